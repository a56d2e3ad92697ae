import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyProxy } from '../../bench/lib/digest-key-proxy.mjs';
import { runCli, startCli } from '../helpers/cli.js';
import { BUCKET, buildArchive, copyArchive, END, RANGE, START, TRAIL_ARN, uploadArchive, type SignedArchive } from '../helpers/digest-archive.js';
import { ALL_VALID, CASES } from '../helpers/digest-cases.js';
import { s3Error, s3Get, startFaultProxy } from '../helpers/fault-proxy.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

describeWithMoto('trailkit validate-digest against moto_server S3', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let base: SignedArchive;
  const made: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    base = buildArchive({ label: 's3-base' });
    made.push(base.dir);
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  // The S3 verdicts are the offline ones, except where a signature comes from a sidecar offline.
  CASES.forEach((c, index) => {
    it(c.name, async () => {
      const archive = c.build?.() ?? copyArchive(base, `s3-${index}`);
      made.push(archive.dir);
      c.tamper?.(archive);
      // Each case gets an empty moto: the digests name the trail's bucket.
      await moto.reset();
      const bucket = BUCKET;
      await uploadArchive(s3, bucket, archive.dir);
      const expected = c.s3 ?? c.offline;
      const r = runCli(['validate-digest', '--bucket', bucket, ...RANGE, '--public-keys', c.keysFile?.(archive) ?? archive.keysFile], { env: motoEnv(moto) });
      // The S3 lines name the bucket the objects are in; the digests name the trail's bucket.
      expect(r.stderr).toBe(expected.stderr(archive));
      expect(r.stdout.startsWith(`Validating log files for trail ${TRAIL_ARN} between ${START} and ${END}\n\n`)).toBe(true);
      expect(r.stdout.endsWith(`\n\n${expected.ratios.join('\n')}\n`)).toBe(true);
      expect(r.status).toBe(expected.status);
    });
  });

  it('reads the public keys from ListPublicKeys in the home region when no file is given', async () => {
    await moto.reset();
    const bucket = BUCKET;
    await uploadArchive(s3, bucket, base.dir);
    const proxy = await startKeyProxy(moto.endpoint, base.key.publicKeysJson());
    try {
      const env = { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint };
      // Spawned asynchronously: the proxy runs in this process.
      const cli = startCli(['validate-digest', '--bucket', bucket, ...RANGE], env);
      const status = await cli.exited;
      expect(cli.output.stderr).toBe('');
      expect(cli.output.stdout.endsWith(`\n\n${ALL_VALID.join('\n')}\n`)).toBe(true);
      expect(status).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('a bucket that does not exist is an error (exit 2) on one line', () => {
    const r = runCli(['validate-digest', '--bucket', 'no-such-bucket', ...RANGE, '--public-keys', base.keysFile], { env: motoEnv(moto) });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^trailkit: s3:ListBucket on s3:\/\/no-such-bucket: AWS answered NoSuchBucket/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  describe('errors while digests are fetched ahead or log files hashed are one line with exit 2, never a crash', () => {
    // The proxy answers in this process, so the CLI runs asynchronously (startCli).
    async function runThroughProxy(arrange: (proxy: Awaited<ReturnType<typeof startFaultProxy>>) => Promise<void> | void) {
      await moto.reset();
      await uploadArchive(s3, BUCKET, base.dir);
      const proxy = await startFaultProxy(moto.endpoint);
      try {
        await arrange(proxy);
        const cli = startCli(['validate-digest', '--bucket', BUCKET, ...RANGE, '--public-keys', base.keysFile], { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint });
        const status = await cli.exited;
        return { status, ...cli.output };
      } finally {
        await proxy.stop();
      }
    }

    it('AccessDenied on an older digest fetched ahead while the walk waits for a newer one', async () => {
      // The same path as SlowDown once the SDK's retries are spent (8 adaptive attempts: ~40 s).
      const r = await runThroughProxy((proxy) => {
        proxy.add({ match: s3Get(base.d[5] as string), forwardAfterMs: 3_000, status: 0, body: '', times: 1 });
        proxy.add({ match: s3Get(base.d[2] as string), status: 403, body: s3Error('AccessDenied', 'Access Denied'), contentType: 'application/xml', times: Infinity });
      });
      expect(r.stderr).toBe(`trailkit: s3:GetObject on s3://${BUCKET}/${base.d[2]}: access denied (the caller needs the IAM permission s3:GetObject)\n`);
      expect(r.status).toBe(2);
    }, 60_000);

    it('AccessDenied on a log file, with a deleted digest, while the walk waits for an older digest', async () => {
      const victim = base.logs[2] as string;
      const r = await runThroughProxy(async (proxy) => {
        await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: base.d[3] as string }));
        proxy.add({ match: s3Get(base.d[1] as string), forwardAfterMs: 3_000, status: 0, body: '', times: 1 });
        proxy.add({ match: s3Get(victim), status: 403, body: s3Error('AccessDenied', 'Access Denied'), contentType: 'application/xml', times: Infinity });
      });
      expect(r.stderr).toBe(`trailkit: s3:GetObject on s3://${BUCKET}/${victim}: access denied (the caller needs the IAM permission s3:GetObject)\n`);
      expect(r.status).toBe(2);
    }, 60_000);
  });
});
