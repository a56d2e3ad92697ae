import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

interface Report {
  account: string;
  checks: { id: string; status: string; message: string; evidence: { enabledRegions: number; regions: Record<string, { trails: string[]; covered: boolean }> } }[];
}

describeWithMoto('trailkit verify --account against moto_server', () => {
  let moto: MotoServer;
  let env: Record<string, string>;
  const account = () => {
    const r = runCli(['verify', '--account', '--output', 'json'], { env });
    expect(r.stderr).toBe('');
    return { status: r.status, report: JSON.parse(r.stdout) as Report };
  };

  beforeAll(async () => {
    moto = await startMoto();
    env = motoEnv(moto);
    await new S3Client(motoClientConfig(moto)).send(new CreateBucketCommand({ Bucket: 'account-logs' }));
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('fails while only a single-region trail logs, listing the regions; passes once a multi-region trail logs', async () => {
    const ct = new CloudTrailClient(motoClientConfig(moto));
    await ct.send(new CreateTrailCommand({ Name: 'local', S3BucketName: 'account-logs' }));
    await ct.send(new StartLoggingCommand({ Name: 'local' }));
    const before = account();
    expect(before.status).toBe(1);
    const check = before.report.checks[0];
    expect(check).toMatchObject({ id: 'account-regions-covered', status: 'fail' });
    expect(check?.message).toMatch(/us-east-1/);
    expect(check?.evidence.regions['us-east-1']?.trails).toEqual(['arn:aws:cloudtrail:us-east-1:123456789012:trail/local (single-region)']);

    await ct.send(new CreateTrailCommand({ Name: 'everywhere', S3BucketName: 'account-logs', IsMultiRegionTrail: true }));
    await ct.send(new StartLoggingCommand({ Name: 'everywhere' }));
    const after = account();
    expect(after.status).toBe(0);
    expect(after.report.checks[0]).toMatchObject({ status: 'pass', message: expect.stringContaining('arn:aws:cloudtrail:us-east-1:123456789012:trail/everywhere') });
    expect(after.report.checks[0]?.evidence.enabledRegions).toBeGreaterThan(10);
    expect(after.report.account).toBe('123456789012');
  });

  it('refuses --account with a trail, and a trail check id', () => {
    expect(runCli(['verify', '--account', '--trail-name', 'x'], { env }).status).toBe(2);
    const r = runCli(['verify', '--account', '--only', 'logging'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'logging' is not a check id of --account/);
  });
});
