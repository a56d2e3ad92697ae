import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUCKET, buildArchive, copyArchive, END, RANGE, START, TRAIL_ARN, url, walkFiles, type SignedArchive } from '../helpers/digest-archive.js';
import { ALL_VALID, CASES } from '../helpers/digest-cases.js';
import { generateArchive } from '../../fixtures/generate.mjs';
import { signArchive } from '../../fixtures/digest-signer.mjs';

let base: SignedArchive;
const made: string[] = [];

beforeAll(() => {
  base = buildArchive();
  made.push(base.dir);
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function expectSummary(stdout: string, ratios: string[]): void {
  expect(stdout.startsWith(`Validating log files for trail ${TRAIL_ARN} between ${START} and ${END}\n\n`)).toBe(true);
  expect(stdout).toContain(`Results requested for ${START} to ${END}\n`);
  expect(stdout.endsWith(`\n\n${ratios.join('\n')}\n`)).toBe(true);
}

describe('trailkit validate-digest on a downloaded folder (offline)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const archive = c.build?.() ?? copyArchive(base, c.name.replace(/\W+/g, '-'));
      made.push(archive.dir);
      c.tamper?.(archive);
      const keys = c.keysFile?.(archive) ?? archive.keysFile;
      const r = runCli(['validate-digest', archive.dir, ...RANGE, '--public-keys', keys]);
      expect(r.stderr).toBe(c.offline.stderr(archive));
      expectSummary(r.stdout, c.offline.ratios);
      expect(r.status).toBe(c.offline.status);
    });
  }

  it('without any sidecar, only the newest digest is unverifiable: the others are signed inside their successors', () => {
    const archive = copyArchive(base, 'no-sidecars');
    made.push(archive.dir);
    for (const f of walkFiles(archive.dir)) if (f.endsWith('.meta.json')) rmSync(join(archive.dir, f));
    const r = runCli(['validate-digest', archive.dir, ...RANGE, '--public-keys', archive.keysFile, '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Digest file\t${url(archive.d[5] as string)}\tWARNING: signature unverifiable (no signature metadata)\n\n`);
    expect(r.stdout).toContain(`Digest file\t${url(archive.d[4] as string)}\tvalid\n`);
    expectSummary(r.stdout, ['5/6 digest files valid, 1/6 digest files signature unverifiable', '6/6 log files valid']);
  });

  it('--verbose prints every valid digest newest first, each followed by its log files', () => {
    const r = runCli(['validate-digest', base.dir, ...RANGE, '--public-keys', base.keysFile, '--verbose']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('Digest file') || l.startsWith('Log file'));
    expect(lines.filter((l) => l.startsWith('Digest file')).map((l) => l.split('\t')[1])).toEqual([...base.d].reverse().map(url));
    expect(lines).toHaveLength(12);
    expect(lines.every((l) => l.endsWith('\tvalid'))).toBe(true);
    expectSummary(r.stdout, ALL_VALID);
  });

  it('--output json gives every digest and log file with its verdict, and totals', () => {
    const archive = copyArchive(base, 'json');
    made.push(archive.dir);
    rmSync(join(archive.dir, archive.logs[1] as string));
    const r = runCli(['validate-digest', archive.dir, ...RANGE, '--public-keys', archive.keysFile, '--output', 'json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { valid: boolean; totals: Record<string, number>; locations: { digests: { key: string; status: string; logFiles: { key: string; status: string; verdict: string }[] }[] }[] };
    expect(doc.valid).toBe(false);
    expect(doc.totals).toEqual({ validDigests: 6, invalidDigests: 0, unverifiableDigests: 0, validLogs: 5, invalidLogs: 1, unreferencedLogs: 0 });
    const logs = doc.locations[0]?.digests.flatMap((d) => d.logFiles) ?? [];
    expect(logs.find((l) => l.key === archive.logs[1])).toMatchObject({ status: 'not-found', verdict: 'INVALID: not found' });
    expect(doc.locations[0]?.digests.map((d) => d.status)).toEqual(['valid', 'valid', 'valid', 'valid', 'valid', 'valid']);
  });

  it('validates an organization trail with a prefix, several accounts and regions in one run', () => {
    const dir = join(base.dir, '..', `${base.dir.split('/').pop()}-org`);
    made.push(dir);
    generateArchive({ out: dir, accounts: ['111111111111', '222222222222'], regions: ['us-east-1', 'eu-west-1'], start: START, hours: 2, filesPerHour: 2, eventsPerFile: 3, prefix: 'org/logs', orgId: 'o-abcdefghij', duplicates: 0, marker: false });
    signArchive({ dir, bucket: BUCKET, trailName: 'org-trail', homeRegion: 'us-east-1', key: base.key, start: START, end: '2026-11-20T02:00:00Z', extraLocations: [{ prefix: 'org/logs', orgId: 'o-abcdefghij', account: '222222222222', region: 'ap-south-1' }] });
    const args = ['validate-digest', dir, '--trail-arn', 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail', '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--prefix', 'org/logs', '--public-keys', base.keysFile];
    const r = runCli([...args, '--all-regions', '--account-id', '111111111111,222222222222']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const blocks = r.stdout.split('Validating log files for trail').slice(1);
    expect(blocks.map((b) => /\(account (\d+), region ([a-z0-9-]+)\)/.exec(b)?.slice(1).join(' '))).toEqual([
      '111111111111 eu-west-1', '111111111111 us-east-1', '222222222222 ap-south-1', '222222222222 eu-west-1', '222222222222 us-east-1',
    ]);
    expect(blocks[2]).toContain('4/4 digest files valid\n');
    expect(blocks[2]).not.toContain('log files');
    for (const i of [0, 1, 3, 4]) expect(blocks[i]).toMatch(/\n4\/4 digest files valid\n4\/4 log files valid\n$/);
    // The default region is the trail's home region; the default account the trail's.
    const home = runCli(args);
    expect(home.status).toBe(0);
    expect(home.stdout.split('Validating').length).toBe(2);
    expect(home.stdout).toContain('4/4 digest files valid\n4/4 log files valid\n');
  });

  it('reports usage and input errors on one line with exit 2', () => {
    const bad = join(base.dir, '..', `${base.dir.split('/').pop()}-bad-keys.json`);
    made.push(bad);
    writeFileSync(bad, '{"PublicKeyList": [{"Value": "not base64!", "Fingerprint": "x"}]}');
    const cases: [string[], RegExp][] = [
      [['validate-digest', base.dir, ...RANGE, '--public-keys', bad], /^trailkit: --public-keys .*: PublicKeyList\[0\]\.Value is not base64\n$/],
      [['validate-digest', base.dir, ...RANGE, '--public-keys', base.dir], /^trailkit: --public-keys .*: is a folder\n$/],
      [['validate-digest', base.dir, '--trail-arn', 'nope', '--public-keys', base.keysFile], /^trailkit: --trail-arn: 'nope' is not a trail ARN/],
      [['validate-digest', base.dir, ...RANGE, '--bucket', 'b-u-c', '--public-keys', base.keysFile], /either --bucket BUCKET or a PATH/],
      [['validate-digest', join(base.dir, 'missing'), ...RANGE, '--public-keys', base.keysFile], /missing: no such file or folder\n$/],
      [['validate-digest', base.dir, ...RANGE, '--start-time', 'yesterday', '--public-keys', base.keysFile], /^trailkit: --start-time: /],
      [['validate-digest', base.dir, ...RANGE, '--concurrency', '0', '--public-keys', base.keysFile], /--concurrency/],
    ];
    for (const [args, pattern] of cases) {
      const r = runCli(args);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    writeFileSync(bad, 'not json');
    const notJson = runCli(['validate-digest', base.dir, ...RANGE, '--public-keys', bad]);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/^trailkit: --public-keys .*: not JSON/);
  });

  it('has help with examples', () => {
    const r = runCli(['validate-digest', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--bucket', '--trail-arn', '--start-time', '--end-time', '--prefix', '--account-id', '--all-regions', '--public-keys', '--concurrency', '--verbose', '--region', 'Examples:']) expect(r.stdout).toContain(flag);
  });
});
