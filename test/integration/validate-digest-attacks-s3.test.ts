/**
 * The attack suite of validate-digest on moto S3 (see test/cli/validate-digest-attacks.test.ts for
 * the same attacks offline): signatures from object metadata, ListPublicKeys per region through a
 * loopback stand-in, backfill digests, two trails in one prefix.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProxy } from '../../bench/lib/digest-key-proxy.mjs';
import { generateArchive } from '../../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../../fixtures/digest-signer.mjs';
import { runCli, startCli } from '../helpers/cli.js';
import { BUCKET, buildArchive, copyArchive, END, RANGE, START, tempDir, uploadArchive, type SignedArchive } from '../helpers/digest-archive.js';
import { ACCOUNT, ATTACKS, expectVerdicts, keysOf, twoTrailArchive } from '../helpers/digest-attacks.js';
import { ALL_VALID } from '../helpers/digest-cases.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

let base: SignedArchive;
const made: string[] = [];
const keep = <T extends { dir: string }>(a: T): T => {
  made.push(a.dir);
  return a;
};

beforeAll(() => {
  base = keep(buildArchive({ label: 's3-attacks' }));
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describeWithMoto('validate-digest attacks on moto S3', () => {
  let moto: MotoServer;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  for (const attack of ATTACKS.filter((x) => x.offlineOnly !== true)) {
    it(attack.name, async () => {
      const a = keep(attack.build?.() ?? copyArchive(base, 's3-attack'));
      attack.tamper?.(a);
      await moto.reset();
      await uploadArchive(s3, BUCKET, a.dir);
      const r = runCli(['validate-digest', '--bucket', BUCKET, ...RANGE, ...keysOf(attack, a)], { env: motoEnv(moto) });
      expectVerdicts(r, attack, a);
      if (attack.planted !== undefined) {
        const grep = runCli(['grep', '--bucket', BUCKET, '--since', START, '--until', END, '--event-name', 'InjectedEvent', '--count'], { env: motoEnv(moto) });
        expect(grep.stdout).toBe(`${attack.planted}\n`);
      }
    });
  }

  it('ListPublicKeys is called in each source region, for the range and two hours after it; a healthy multi-region trail passes', async () => {
    await moto.reset();
    const dir = keep({ dir: tempDir('s3-multi') }).dir;
    generateArchive({ out: dir, accounts: [ACCOUNT], regions: ['us-east-1', 'eu-west-1', 'ap-south-1'], start: START, hours: 2, filesPerHour: 2, eventsPerFile: 3, duplicates: 0, marker: false });
    const keys = { 'us-east-1': makeSigningKey(), 'eu-west-1': makeSigningKey(), 'ap-south-1': makeSigningKey() };
    signArchive({ dir, bucket: BUCKET, trailName: 'main', homeRegion: 'us-east-1', keys, start: START, end: END });
    await uploadArchive(s3, BUCKET, dir);
    const proxy = await startProxy(moto.endpoint, { publicKeys: Object.fromEntries(Object.entries(keys).map(([r, k]) => [r, k.publicKeysJson()])) });
    try {
      const cli = startCli(['validate-digest', '--bucket', BUCKET, ...RANGE, '--all-regions'], { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint });
      const status = await cli.exited;
      expect(cli.output.stderr).toBe('');
      expect(cli.output.stdout.match(/\n6\/6 digest files valid\n4\/4 log files valid\n/g)).toHaveLength(3);
      expect(status).toBe(0);
      const calls = proxy.calls.filter((c) => c.start === Date.parse(START) / 1000);
      expect(calls.map((c) => c.region).sort()).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
      expect(calls.every((c) => c.end === Date.parse(END) / 1000 + 2 * 3600)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a region whose ListPublicKeys returns nothing is a setup error naming it (exit 2)', async () => {
    await moto.reset();
    await uploadArchive(s3, BUCKET, base.dir);
    const proxy = await startProxy(moto.endpoint, { publicKeys: { 'eu-west-1': base.key.publicKeysJson() } });
    try {
      const cli = startCli(['validate-digest', '--bucket', BUCKET, ...RANGE], { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint });
      const status = await cli.exited;
      expect(cli.output.stderr).toBe('trailkit: no CloudTrail public keys in region us-east-1 between 2026-11-19T23:00:00Z and 2026-11-20T06:00:00Z: ListPublicKeys in us-east-1 returned none (was log file validation on for the trail there? Keys can also be given with --public-keys us-east-1=FILE (aws cloudtrail list-public-keys --region us-east-1))\n');
      expect(status).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('backfill: the key is looked up around backfill-generation-timestamp; download keeps that metadata and validates offline', async () => {
    await moto.reset();
    const probe = buildArchive({ label: 's3-backfill-probe' });
    const late = probe.logs[3] as string;
    rmSync(probe.dir, { recursive: true, force: true });
    const backfillKey = makeSigningKey();
    const a = keep(buildArchive({ label: 's3-backfill', backfill: { logs: [late], generatedAt: '2026-11-21T10:00:00Z', key: backfillKey } }));
    await uploadArchive(s3, BUCKET, a.dir);
    // The backfill key is listed only for ranges that reach its validity, the day after the range.
    const proxy = await startProxy(moto.endpoint, { publicKeys: { 'us-east-1': { PublicKeyList: [...a.key.publicKeysJson('2026-11-19T00:00:00Z', '2026-11-20T12:00:00Z').PublicKeyList, ...backfillKey.publicKeysJson('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z').PublicKeyList] } } });
    const to = keep({ dir: tempDir('s3-backfill-download') }).dir;
    try {
      const env = { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint };
      const cli = startCli(['validate-digest', '--bucket', BUCKET, ...RANGE], env);
      const status = await cli.exited;
      expect(cli.output.stderr).toBe('');
      expect(cli.output.stdout.endsWith('\n\n6/6 digest files valid\n1/1 backfill digest files valid\n6/6 log files valid\n')).toBe(true);
      expect(status).toBe(0);
      expect(proxy.calls.some((c) => c.start === Date.parse('2026-11-21T09:00:00Z') / 1000 && c.end === Date.parse('2026-11-21T11:00:00Z') / 1000)).toBe(true);
      const download = startCli(['download', '--bucket', BUCKET, '--to', to], env);
      expect(await download.exited).toBe(0);
      const backfill = a.digests.find((d) => d.backfill)?.key as string;
      const sidecar = JSON.parse(readFileSync(join(to, `${backfill}.meta.json`), 'utf8')) as { metadata: Record<string, string> };
      expect(sidecar.metadata['backfill-generation-timestamp']).toBe('2026-11-21T10:00:00Z');
      const keys = join(to, '..', `${to.split('/').pop()}-keys.json`);
      made.push(keys);
      writeFileSync(keys, JSON.stringify({ PublicKeyList: [...a.key.publicKeysJson().PublicKeyList, ...backfillKey.publicKeysJson('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z').PublicKeyList] }));
      const offline = runCli(['validate-digest', to, ...RANGE, '--public-keys', keys]);
      expect(offline.stderr).toBe('');
      expect(offline.stdout.endsWith('\n\n6/6 digest files valid\n1/1 backfill digest files valid\n6/6 log files valid\n')).toBe(true);
      expect(offline.status).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('two trails sharing the bucket and prefix: the other trail\'s files are its own, not unreferenced', async () => {
    await moto.reset();
    const otherKey = makeSigningKey();
    const a = keep(twoTrailArchive('s3-two-trails', otherKey));
    await uploadArchive(s3, BUCKET, a.dir);
    const keys = join(a.dir, '..', `${a.dir.split('/').pop()}-both.json`);
    made.push(keys);
    writeFileSync(keys, JSON.stringify({ PublicKeyList: [...a.key.publicKeysJson().PublicKeyList, ...otherKey.publicKeysJson().PublicKeyList] }));
    const r = runCli(['validate-digest', '--bucket', BUCKET, ...RANGE, '--public-keys', keys], { env: motoEnv(moto) });
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith(`\n\n${[...ALL_VALID, `${a.otherLogs.length} log files of other trails writing to these folders (other): valid`].join('\n')}\n`)).toBe(true);
    expect(r.status).toBe(0);
  });
});

