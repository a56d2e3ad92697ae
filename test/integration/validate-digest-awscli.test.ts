/**
 * On clean archives the text of validate-digest is byte for byte that of `aws cloudtrail
 * validate-logs` (awscli v1, which validates backfill digests since 1.44, February 2026), on the
 * same moto bucket through the same ListPublicKeys stand-in. Skipped where the AWS CLI is absent.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../bench/lib/digest-key-proxy.mjs';
import { makeSigningKey } from '../../fixtures/digest-signer.mjs';
import { BIN } from '../helpers/cli.js';
import { BUCKET, buildArchive, RANGE, uploadArchive, type SignedArchive } from '../helpers/digest-archive.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' });
const hasAwsCli = awsCli.status === 0 && /aws-cli\/1\./.test(`${awsCli.stdout}${awsCli.stderr}`);

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env, NO_COLOR: '1', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', PYTHONWARNINGS: 'ignore' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describeWithMoto('validate-digest text against aws cloudtrail validate-logs', () => {
  let moto: MotoServer;
  let s3: S3Client;
  const made: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  async function compare(a: SignedArchive, publicKeys: NonNullable<Parameters<typeof startProxy>[1]>['publicKeys'], verbose: boolean) {
    await moto.reset();
    await uploadArchive(s3, BUCKET, a.dir);
    const proxy = await startProxy(moto.endpoint, { publicKeys });
    try {
      const env = { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint };
      const flags = [...RANGE, ...(verbose ? ['--verbose'] : [])];
      const aws = await run('aws', ['cloudtrail', 'validate-logs', '--s3-bucket', BUCKET, ...flags], env);
      const tk = await run(process.execPath, [BIN, 'validate-digest', '--bucket', BUCKET, ...flags], env);
      return { aws, tk };
    } finally {
      await proxy.close();
    }
  }

  describe.skipIf(!hasAwsCli)('byte for byte (awscli v1 on the PATH)', () => {
    it('a clean archive, with and without --verbose', async () => {
      const a = buildArchive({ label: 'awscli-clean' });
      made.push(a.dir);
      for (const verbose of [false, true]) {
        const { aws, tk } = await compare(a, a.key.publicKeysJson(), verbose);
        expect(aws.status).toBe(0);
        expect(tk.stdout).toBe(aws.stdout);
        expect(tk.stderr).toBe(aws.stderr);
        expect(tk.status).toBe(aws.status);
      }
    }, 60_000);

    it('a clean archive with a backfill digest signed by the key of the day it was generated', async () => {
      const probe = buildArchive({ label: 'awscli-backfill-probe' });
      const late = probe.logs[3] as string;
      rmSync(probe.dir, { recursive: true, force: true });
      const backfillKey = makeSigningKey();
      const a = buildArchive({ label: 'awscli-backfill', backfill: { logs: [late], generatedAt: '2026-11-21T10:00:00Z', key: backfillKey } });
      made.push(a.dir);
      const keys = { 'us-east-1': { PublicKeyList: [...a.key.publicKeysJson('2026-11-19T00:00:00Z', '2026-11-20T12:00:00Z').PublicKeyList, ...backfillKey.publicKeysJson('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z').PublicKeyList] } };
      const { aws, tk } = await compare(a, keys, true);
      expect(aws.stdout).toContain('(backfill) Digest file');
      expect(aws.stdout).toContain('1/1 backfill digest files valid');
      expect(tk.stdout).toBe(aws.stdout);
      expect(tk.stderr).toBe(aws.stderr);
      expect(tk.status).toBe(0);
    }, 60_000);
  });
});
