import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUCKET, buildArchive, copyArchive, END, errorLines, forgeDigest, RANGE, removeSidecars, START, TRAIL_ARN, url, walkFiles, type SignedArchive } from '../helpers/digest-archive.js';
import { ALL_VALID, CASES, UNVERIFIABLE_HINT } from '../helpers/digest-cases.js';
import { generateArchive } from '../../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../../fixtures/digest-signer.mjs';

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

  it('without any sidecar, only the newest digest is unverifiable (the others are signed inside their successors): INVALID, unless --allow-unverifiable', () => {
    const archive = copyArchive(base, 'no-sidecars');
    made.push(archive.dir);
    for (const f of walkFiles(archive.dir)) if (f.endsWith('.meta.json')) rmSync(join(archive.dir, f));
    const strict = runCli(['validate-digest', archive.dir, ...RANGE, '--public-keys', archive.keysFile]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toBe(`Digest file\t${url(archive.d[5] as string)}\tINVALID: signature unverifiable (no signature metadata)\n\n`);
    expectSummary(strict.stdout, ['5/6 digest files valid, 1/6 digest files signature unverifiable', '6/6 log files valid', UNVERIFIABLE_HINT]);
    const r = runCli(['validate-digest', archive.dir, ...RANGE, '--public-keys', archive.keysFile, '--verbose', '--allow-unverifiable']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Digest file\t${url(archive.d[5] as string)}\tWARNING: signature unverifiable (no signature metadata)\tno ${(archive.d[5] as string).split('/').pop()}.meta.json beside it (trailkit download keeps one)\n\n`);
    expect(r.stdout).toContain(`Digest file\t${url(archive.d[4] as string)}\tvalid\n`);
    expectSummary(r.stdout, ['5/6 digest files valid, 1/6 digest files signature unverifiable', '6/6 log files valid', UNVERIFIABLE_HINT.replace('; --allow-unverifiable accepts them as warnings', ' (accepted: --allow-unverifiable)')]);
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
    expect(doc.totals).toEqual({
      validDigests: 6, invalidDigests: 0, unverifiableDigests: 0, validBackfillDigests: 0, invalidBackfillDigests: 0, unverifiableBackfillDigests: 0,
      validLogs: 5, invalidLogs: 1, unverifiableLogs: 0, unreferencedLogs: 0, listedByInvalidLogs: 0, misplacedFiles: 0,
      otherTrailLogs: 0, otherTrailInvalid: 0, otherTrailUnverifiable: 0, uncoveredLogs: 0, insightFiles: 0, outsideRange: 0,
    });
    const logs = doc.locations[0]?.digests.flatMap((d) => d.logFiles) ?? [];
    expect(logs.find((l) => l.key === archive.logs[1])).toMatchObject({ status: 'not-found', verdict: 'INVALID: not found' });
    expect(doc.locations[0]?.digests.map((d) => d.status)).toEqual(['valid', 'valid', 'valid', 'valid', 'valid', 'valid']);
  });

  it('validates an organization trail with a prefix, several accounts and regions in one run', () => {
    const dir = join(base.dir, '..', `${base.dir.split('/').pop()}-org`);
    made.push(dir);
    generateArchive({ out: dir, accounts: ['111111111111', '222222222222'], regions: ['us-east-1', 'eu-west-1'], start: START, hours: 2, filesPerHour: 2, eventsPerFile: 3, prefix: 'org/logs', orgId: 'o-abcdefghij', duplicates: 0, marker: false });
    // Each region signed with its own key, as CloudTrail does; one key file per region.
    const keys = { 'us-east-1': base.key, 'eu-west-1': makeSigningKey(), 'ap-south-1': makeSigningKey() };
    signArchive({ dir, bucket: BUCKET, trailName: 'org-trail', homeRegion: 'us-east-1', keys, start: START, end: '2026-11-20T02:00:00Z', extraLocations: [{ prefix: 'org/logs', orgId: 'o-abcdefghij', account: '222222222222', region: 'ap-south-1' }] });
    const keyArgs = Object.entries(keys).flatMap(([region, key]) => {
      const file = `${dir}-${region}-keys.json`;
      made.push(file);
      writeFileSync(file, JSON.stringify(key.publicKeysJson()));
      return ['--public-keys', `${region}=${file}`];
    });
    const args = ['validate-digest', dir, '--trail-arn', 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail', '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--prefix', 'org/logs', ...keyArgs];
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
      [['validate-digest', base.dir, ...RANGE, '--start-time', 'tomorrow', '--public-keys', base.keysFile], /^trailkit: --start-time: 'tomorrow' is not a valid time/],
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

describe('validate-digest: what a forger or a broken archive must not get past', () => {
  const copy = (label: string) => {
    const archive = copyArchive(base, label);
    made.push(archive.dir);
    return archive;
  };
  const D = (a: SignedArchive, i: number) => a.d[i] as string;
  const CANNOT_VERIFY = 'INVALID: signature cannot be verified (no signature metadata, and no newer digest carries its signature)';
  const UNVERIFIABLE = 'INVALID: signature unverifiable (no signature metadata)';
  const BAD_LINK = 'INVALID: previousDigestS3Object does not link to an older digest';

  it('a forged archive (no sidecars, every previous* link null, a log file and its hash changed) is INVALID: only the newest digest may be unverifiable', () => {
    const a = copy('forged');
    removeSidecars(a);
    const victim = a.logs[2] as string;
    const forged = Buffer.from('{"Records":[{"eventName":"Forged"}]}');
    writeFileSync(join(a.dir, victim), gzipSync(forged));
    const hash = createHash('sha256').update(forged).digest('hex');
    for (const key of a.d) {
      forgeDigest(a, key, (doc) => {
        for (const field of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature']) doc[field] = null;
        for (const log of doc['logFiles'] as { s3Object: string; hashValue: string }[]) if (log.s3Object === victim) log.hashValue = hash;
      });
    }
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Digest file\t${url(D(a, 5))}\t${UNVERIFIABLE}\n`);
    for (const i of [0, 1, 2, 3, 4]) expect(r.stderr).toContain(`Digest file\t${url(D(a, i))}\t${CANNOT_VERIFY}\n`);
    // Their log files, the forged one among them, are vouched for by nothing.
    for (const log of a.logs) expect(r.stderr).toContain(`Log file\t${url(log)}\tINVALID: listed only by an INVALID digest\n`);
    expect(r.stdout).not.toContain('log files valid');
    expectSummary(r.stdout, ['0/6 digest files valid, 5/6 digest files INVALID, 1/6 digest files signature unverifiable', '6 log files INVALID: listed only by an INVALID digest', UNVERIFIABLE_HINT]);
  });

  it('log files of the newest digest, when its signature is unverifiable, are counted unverifiable, not valid', () => {
    const a = copy('newest-unverifiable-logs');
    rmSync(join(a.dir, `${D(a, 3)}.meta.json`));
    // A range that ends at 02:00: D3 (01:04:04 to 02:04:04, two log files) is the newest digest of
    // the range. D4, after the range, carries D3's signature: the walk starts there, so D3 verifies.
    const args = ['validate-digest', a.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--public-keys', a.keysFile];
    const anchored = runCli(args);
    expect(anchored.stderr).toBe('');
    expect(anchored.stdout.endsWith('\n\n4/4 digest files valid\n6/6 log files valid\n')).toBe(true);
    expect(anchored.status).toBe(0);
    // Without the digests after it, D3 is the newest: nothing but S3 holds its signature.
    for (const i of [4, 5]) rmSync(join(a.dir, D(a, i)), { force: true });
    const r = runCli(['validate-digest', a.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--public-keys', a.keysFile, '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { valid: boolean; totals: Record<string, number>; locations: { digests: { key: string; status: string; logFiles: { status: string }[] }[] }[] };
    const d3 = doc.locations[0]?.digests.find((d) => d.key === D(a, 3));
    expect(d3?.status).toBe('unverifiable');
    expect(d3?.logFiles.map((l) => l.status)).toEqual(['unverifiable', 'unverifiable']);
    expect(doc.totals).toMatchObject({ validDigests: 3, unverifiableDigests: 1, invalidDigests: 0, validLogs: 4, unverifiableLogs: 2, invalidLogs: 0 });
    const text = runCli(['validate-digest', a.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--public-keys', a.keysFile]);
    expect(text.status).toBe(1);
    expect(text.stderr.split('\n').filter((l) => l.endsWith("\tINVALID: hash matches, but the digest that lists it is unverifiable"))).toHaveLength(2);
    expect(text.stdout.endsWith(`\n\n3/4 digest files valid, 1/4 digest files signature unverifiable\n4/6 log files valid, 2/6 log files unverifiable\n${UNVERIFIABLE_HINT}\n`)).toBe(true);
    const accepted = runCli(['validate-digest', a.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--public-keys', a.keysFile, '--allow-unverifiable']);
    expect(accepted.status).toBe(0);
    expect(accepted.stderr.split('\n').filter((l) => l.endsWith("\tWARNING: hash matches, but the digest that lists it is unverifiable"))).toHaveLength(2);
  });

  it('a real gap (null previous link) without sidecars: the chain head before the gap cannot be verified; the digests it links to still are', () => {
    const a = buildArchive({ label: 'gap-no-sidecars', skipHours: [3] });
    made.push(a.dir);
    removeSidecars(a);
    // Logging was off in the gap hour: no log files then.
    for (const i of [4, 5]) rmSync(join(a.dir, a.logs[i] as string));
    // a.d: D0, D1, D2, then the new chain D4, D5.
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile]);
    expect(r.stderr).toBe(errorLines(
      `Digest file\t${url(D(a, 4))}\t${UNVERIFIABLE}`,
      'No log files were delivered by CloudTrail between 2026-11-20T01:04:04Z and 2026-11-20T02:04:04Z',
      `Digest file\t${url(D(a, 2))}\t${CANNOT_VERIFY}`,
      ...[2, 3].map((i) => `Log file\t${url(a.logs[i] as string)}\tINVALID: listed only by an INVALID digest`),
    ));
    expectSummary(r.stdout, ['3/5 digest files valid, 1/5 digest files INVALID, 1/5 digest files signature unverifiable', `${a.digests[1]?.logFiles}/${a.digests[1]?.logFiles} log files valid`, `${a.digests[2]?.logFiles} log files INVALID: listed only by an INVALID digest`, UNVERIFIABLE_HINT]);
    expect(r.status).toBe(1);
  });

  it('a digest that links to itself stops the walk with INVALID instead of looping', () => {
    const a = copy('self-link');
    rmSync(join(a.dir, `${D(a, 5)}.meta.json`));
    forgeDigest(a, D(a, 5), (doc) => {
      doc['previousDigestS3Object'] = D(a, 5);
      doc['previousDigestSignature'] = null;
    });
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile], { timeoutMs: 20_000 });
    expect(r.stderr).toBe(errorLines(`Digest file\t${url(D(a, 5))}\t${BAD_LINK}`));
    expectSummary(r.stdout, ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid']);
    expect(r.status).toBe(1);
  });

  it('a loop through a newer digest (D5 -> D4 -> D5) stops with INVALID', () => {
    const a = copy('loop');
    for (const i of [4, 5]) rmSync(join(a.dir, `${D(a, i)}.meta.json`));
    forgeDigest(a, D(a, 5), (doc) => (doc['previousDigestSignature'] = null));
    forgeDigest(a, D(a, 4), (doc) => {
      doc['previousDigestS3Object'] = D(a, 5);
      doc['previousDigestSignature'] = null;
    });
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile, '--output', 'json'], { timeoutMs: 20_000 });
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { locations: { digests: { key: string; status: string; verdict: string; detail?: string }[] }[] };
    const digests = doc.locations[0]?.digests ?? [];
    expect(digests.map((d) => d.status)).toEqual(['unverifiable', 'bad-link', 'valid', 'valid', 'valid', 'valid']);
    expect(digests[1]).toMatchObject({ key: D(a, 4), verdict: BAD_LINK });
    expect(digests[1]?.detail).toContain(`it links to ${url(D(a, 5))}, which is not older than it`);
  });

  it('a digest path that is a folder is one error line with exit 2, not a crash', () => {
    const a = copy('digest-folder');
    rmSync(join(a.dir, D(a, 1)));
    mkdirSync(join(a.dir, D(a, 1)));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile]);
    expect(r.stderr).toMatch(/^trailkit: .*_20261120T000404Z\.json\.gz: is a folder\n$/);
    expect(r.status).toBe(2);
  });

  it('with --all-regions, a region whose digest folder is gone is still checked', () => {
    const a = copy('no-digest-folder-all-regions');
    rmSync(join(a.dir, 'AWSLogs/111111111111/CloudTrail-Digest'), { recursive: true });
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--all-regions', '--public-keys', a.keysFile]);
    expect(r.stderr).toBe(errorLines(`INVALID: no digest files for 111111111111 us-east-1 between ${START} and ${END}, but 6 log files: validation cannot vouch for them`));
    expect(r.stdout.endsWith('No digests found\n\n6 log files INVALID: not referenced by any digest\n')).toBe(true);
    expect(r.status).toBe(1);
  });

  it('a range with neither digests nor log files is not a failure (as aws-cli)', () => {
    const r = runCli(['validate-digest', base.dir, '--trail-arn', TRAIL_ARN, '--start-time', '2026-11-10T00:00:00Z', '--end-time', '2026-11-11T00:00:00Z', '--public-keys', base.keysFile]);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('Results requested for 2026-11-10T00:00:00Z to 2026-11-11T00:00:00Z\nNo digests found\n')).toBe(true);
    expect(r.status).toBe(0);
  });

  it('deleting only the newest digest of a range is INVALID once it was due, however old the range', () => {
    const a = copy('newest-deleted');
    rmSync(join(a.dir, D(a, 5)));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile]);
    expect(r.stderr).toBe(errorLines(`Digest file\t1 digest file after ${url(D(a, 4))}\tINVALID: not found`));
    expect(r.status).toBe(1);
  });
});
