/**
 * The attack suite of validate-digest: what an adversary with write access to the trail's bucket
 * tries, each asserting the exact verdict lines and exit status, on a downloaded folder here and on
 * moto S3 in test/integration/validate-digest-attacks-s3.test.ts.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateArchive } from '../../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../../fixtures/digest-signer.mjs';
import { runCli } from '../helpers/cli.js';
import { BUCKET, buildArchive, copyArchive, END, errorLines, forgeDigest, RANGE, START, tempDir, TRAIL_ARN, url, walkFiles, type SignedArchive } from '../helpers/digest-archive.js';
import { ACCOUNT, ATTACKS, expectVerdicts, keysOf, LOG_ROOT, logName, plant, twoTrailArchive } from '../helpers/digest-attacks.js';
import { ALL_VALID } from '../helpers/digest-cases.js';

let base: SignedArchive;
const made: string[] = [];
const keep = <T extends { dir: string }>(a: T): T => {
  made.push(a.dir);
  return a;
};

beforeAll(() => {
  base = keep(buildArchive({ label: 'attacks' }));
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('validate-digest attacks on a downloaded folder', () => {
  for (const attack of ATTACKS) {
    it(attack.name, () => {
      const a = keep(attack.build?.() ?? copyArchive(base, 'attack'));
      attack.tamper?.(a);
      const r = runCli(['validate-digest', a.dir, ...RANGE, ...keysOf(attack, a)]);
      expectVerdicts(r, attack, a);
      if (attack.planted !== undefined) {
        // One set of files: what validate-digest judges, grep reads.
        const grep = runCli(['grep', a.dir, '--event-name', 'InjectedEvent', '--count']);
        expect(grep.stdout).toBe(`${attack.planted}\n`);
      }
    });
  }

  it('--verbose adds the precise reason as a fourth field of an INVALID line', () => {
    const a = keep(copyArchive(base, 'verbose-detail'));
    plant(a, `${LOG_ROOT}2026/11/20/${logName('20261120T0040Z', { account: '222222222222' })}`);
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', a.keysFile, '--verbose']);
    // As aws-cli with --verbose: a blank line before an error line that follows valid lines.
    expect(r.stderr).toBe(`\n${errorLines(`Log file\t${url(`${LOG_ROOT}2026/11/20/${logName('20261120T0040Z', { account: '222222222222' })}`)}\tINVALID: not a CloudTrail log file name or location\tthe name says account 222222222222, the folder ${ACCOUNT}`)}`);
    expect(r.status).toBe(1);
  });

  it('a forged digest after the range claiming a new chain (null previous links) does not hide a deleted digest', () => {
    const a = keep(copyArchive(base, 'forged-anchor'));
    rmSync(join(a.dir, a.d[3] as string));
    rmSync(join(a.dir, `${a.d[4]}.meta.json`));
    forgeDigest(a, a.d[4] as string, (doc) => {
      for (const f of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature']) doc[f] = null;
    });
    const r = runCli(['validate-digest', a.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', '2026-11-20T02:00:00Z', '--public-keys', a.keysFile]);
    expect(r.stderr.split('\n\n')[0]).toBe(`Digest file\t1 digest file after ${url(a.d[2] as string)}\tINVALID: not found`);
    expect(r.status).toBe(1);
  });

  it('accepts ISO 8601 basic format times, as aws-cli users type them', () => {
    const r = runCli(['validate-digest', base.dir, '--trail-arn', TRAIL_ARN, '--start-time', '20261119T230000Z', '--end-time', '20261120T040000Z', '--public-keys', base.keysFile]);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith(`Validating log files for trail ${TRAIL_ARN} between ${START} and ${END}\n`)).toBe(true);
    expect(r.stdout.endsWith(`\n\n${ALL_VALID.join('\n')}\n`)).toBe(true);
    expect(r.status).toBe(0);
    const epoch = runCli(['validate-digest', base.dir, '--trail-arn', TRAIL_ARN, '--start-time', String(Date.parse(START) / 1000), '--end-time', String(Date.parse(END) / 1000), '--public-keys', base.keysFile]);
    expect(epoch.stdout).toBe(r.stdout);
  });
});

describe('public keys: each region its own key pair', () => {
  const REGIONS = ['us-east-1', 'eu-west-1'];
  let multi: SignedArchive & { keys: Record<string, ReturnType<typeof makeSigningKey>>; keyFiles: Record<string, string> };
  const multiArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/multi`;

  beforeAll(() => {
    const dir = keep({ dir: tempDir('multi-region') }).dir;
    generateArchive({ out: dir, accounts: [ACCOUNT], regions: REGIONS, start: START, hours: 2, filesPerHour: 2, eventsPerFile: 3, duplicates: 0, marker: false });
    const keys = { 'us-east-1': makeSigningKey(), 'eu-west-1': makeSigningKey() };
    const { digests } = signArchive({ dir, bucket: BUCKET, trailName: 'multi', homeRegion: 'us-east-1', keys, start: START, end: END });
    const keyFiles = Object.fromEntries(REGIONS.map((region) => {
      const file = join(dir, '..', `${dir.split('/').pop()}-${region}-keys.json`);
      writeFileSync(file, JSON.stringify(keys[region as keyof typeof keys].publicKeysJson()));
      made.push(file);
      return [region, file];
    }));
    multi = { dir, key: keys['us-east-1'], digests, d: digests.map((x) => x.key), logs: walkFiles(dir).filter((f) => f.includes('/CloudTrail/')), keysFile: keyFiles['us-east-1'] as string, keys, keyFiles };
  });

  const args = (more: string[]) => ['validate-digest', multi.dir, '--trail-arn', multiArn, '--start-time', START, '--end-time', END, '--all-regions', ...more];

  it('a healthy multi-region archive passes with each region\'s key file', () => {
    const r = runCli(args(['--public-keys', `us-east-1=${multi.keyFiles['us-east-1']}`, '--public-keys', `eu-west-1=${multi.keyFiles['eu-west-1']}`]));
    expect(r.stderr).toBe('');
    expect(r.stdout.match(/\n6\/6 digest files valid\n4\/4 log files valid\n/g)).toHaveLength(2);
    expect(r.status).toBe(0);
    // Files without a region serve every region; a key only verifies what it signed.
    const pooled = runCli(args(['--public-keys', multi.keyFiles['us-east-1'] as string, '--public-keys', multi.keyFiles['eu-west-1'] as string]));
    expect(pooled.stdout).toBe(r.stdout);
    expect(pooled.status).toBe(0);
  });

  it('no key for a region is a setup error naming the region and --public-keys (exit 2), not a wall of INVALID lines', () => {
    const r = runCli(args(['--public-keys', `us-east-1=${multi.keyFiles['us-east-1']}`]));
    expect(r.stderr).toBe("trailkit: no CloudTrail public keys for region eu-west-1: --public-keys gives no key for it (CloudTrail signs each region's digests with that region's own key: add --public-keys eu-west-1=FILE, made with: aws cloudtrail list-public-keys --region eu-west-1 --start-time START --end-time END > FILE)\n");
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
    // The home region's key for every region: what trailkit asked for before, and what failed healthy trails.
    const homeOnly = runCli(args(['--public-keys', multi.keyFiles['us-east-1'] as string]));
    expect(homeOnly.stderr).toMatch(/^trailkit: no CloudTrail public keys for region eu-west-1: none of the keys given with --public-keys verifies its digests/);
    expect(homeOnly.status).toBe(2);
  });

  it('a key that expired in 2019 does not validate 2026 digests', () => {
    const file = join(multi.dir, '..', `${multi.dir.split('/').pop()}-expired.json`);
    made.push(file);
    writeFileSync(file, JSON.stringify(multi.keys['us-east-1']?.publicKeysJson('2015-01-01T00:00:00Z', '2019-01-01T00:00:00Z')));
    const r = runCli(['validate-digest', multi.dir, '--trail-arn', multiArn, '--start-time', START, '--end-time', END, '--public-keys', file, '--output', 'json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^trailkit: no CloudTrail public keys for region us-east-1: none of the keys given with --public-keys verifies its digests \(keys of another region, or outside their validity dates\)/);
  });
});

describe('two trails writing to the same bucket and prefix', () => {
  it('the other trail\'s log files are reported as its own, valid; tampering with them fails the run', () => {
    const otherKey = makeSigningKey();
    const a = keep(twoTrailArchive('two-trails', otherKey));
    const keys = join(a.dir, '..', `${a.dir.split('/').pop()}-both.json`);
    made.push(keys);
    writeFileSync(keys, JSON.stringify({ PublicKeyList: [...a.key.publicKeysJson().PublicKeyList, ...otherKey.publicKeysJson().PublicKeyList] }));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys]);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith(`\n\n${[...ALL_VALID, `${a.otherLogs.length} log files of other trails writing to these folders (other): valid`].join('\n')}\n`)).toBe(true);
    expect(r.status).toBe(0);
    const victim = a.otherLogs[1] as string;
    writeFileSync(join(a.dir, victim), gzipSync(Buffer.from('{"Records":[]}')));
    const tampered = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys]);
    expect(tampered.stderr).toBe(errorLines(`Log file\t${url(victim)}\tINVALID: hash value doesn't match`));
    expect(tampered.stdout).toContain(`\n${a.otherLogs.length - 1} log files of other trails writing to these folders (other): valid\n`);
    expect(tampered.stdout).toContain('\n1 digest or log file of other trails in these folders INVALID\n');
    expect(tampered.status).toBe(1);
  });
});

describe('backfill digests: their own chain, validated as aws-cli does', () => {
  // L3 (00:30) reached the bucket too late for D2: a backfill digest for D2's period lists it,
  // signed a day later with the key in use then.
  const backfillKey = makeSigningKey();
  const GENERATED = '2026-11-21T10:00:00Z';
  const build = (label: string) => {
    const probe = buildArchive({ label: `${label}-probe` });
    const late = probe.logs[3] as string;
    rmSync(probe.dir, { recursive: true, force: true });
    const a = keep(buildArchive({ label, backfill: { logs: [late], generatedAt: GENERATED, key: backfillKey } }));
    const keys = join(a.dir, '..', `${a.dir.split('/').pop()}-with-backfill.json`);
    made.push(keys);
    writeFileSync(keys, JSON.stringify({ PublicKeyList: [...a.key.publicKeysJson().PublicKeyList, ...backfillKey.publicKeysJson('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z').PublicKeyList] }));
    const backfill = a.digests.find((d) => d.backfill)?.key as string;
    return { a, keys, late, backfill };
  };

  it('a healthy archive with a backfill digest passes, and its lines say (backfill)', () => {
    const { a, keys, late, backfill } = build('backfill-ok');
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys, '--verbose']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`(backfill) Digest file\t${url(backfill)}\tvalid\nLog file\t${url(late)}\tvalid\n`);
    expect(r.stdout.endsWith('\n\n6/6 digest files valid\n1/1 backfill digest files valid\n6/6 log files valid\n')).toBe(true);
    expect(r.status).toBe(0);
  });

  it('a tampered backfill digest is INVALID, and the log file only it lists is vouched for by nothing', () => {
    const { a, keys, late, backfill } = build('backfill-tampered');
    forgeDigest(a, backfill, (doc) => (doc['awsAccountId'] = '999999999999'));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys]);
    expect(r.stderr).toBe(errorLines(`(backfill) Digest file\t${url(backfill)}\tINVALID: signature verification failed`, `Log file\t${url(late)}\tINVALID: listed only by an INVALID digest`));
    expect(r.stdout.endsWith('\n\n6/6 digest files valid\n0/1 backfill digest files valid, 1/1 backfill digest files INVALID\n5/5 log files valid\n1 log file INVALID: listed only by an INVALID digest\n')).toBe(true);
    expect(r.status).toBe(1);
  });

  it('a backfill digest without its backfill-generation-timestamp metadata is invalid format (as aws-cli)', () => {
    const { a, keys, backfill } = build('backfill-no-stamp');
    const sidecar = join(a.dir, `${backfill}.meta.json`);
    const meta = JSON.parse(readFileSync(sidecar, 'utf8')) as { metadata: Record<string, string> };
    delete meta.metadata['backfill-generation-timestamp'];
    writeFileSync(sidecar, JSON.stringify(meta));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys, '--verbose']);
    expect(r.stderr).toContain(`(backfill) Digest file\t${url(backfill)}\tINVALID: invalid format\tno backfill-generation-timestamp metadata\n`);
    expect(r.status).toBe(1);
  });

  it('the backfill key is used only around the generation time', () => {
    const { a, backfill } = build('backfill-key-window');
    const keys = join(a.dir, '..', `${a.dir.split('/').pop()}-early-backfill-key.json`);
    made.push(keys);
    writeFileSync(keys, JSON.stringify({ PublicKeyList: [...a.key.publicKeysJson().PublicKeyList, ...backfillKey.publicKeysJson('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z').PublicKeyList] }));
    const r = runCli(['validate-digest', a.dir, ...RANGE, '--public-keys', keys]);
    expect(r.stderr).toContain(`(backfill) Digest file\t${url(backfill)}\tINVALID: public key not found in region us-east-1 for fingerprint ${backfillKey.fingerprint}\n`);
    expect(r.status).toBe(1);
  });
});
