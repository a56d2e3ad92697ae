import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

interface Report {
  checks: { id: string; status: string; message: string }[];
  summary: { fail: number; failed: boolean };
}

describeWithMoto('trailkit setup --cis-alarms, then trailkit verify, against moto_server', () => {
  let moto: MotoServer;
  let env: Record<string, string>;
  let topic: string;
  const setup = () => [
    'setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--create-kms-key', '--s3-data-events', 'all',
    '--cis-alarms', '--alarm-topic', topic, '--yes', '--output', 'json', '--iam-retry-seconds', '5',
  ];

  beforeAll(async () => {
    moto = await startMoto();
    env = motoEnv(moto);
    topic = (await new SNSClient(motoClientConfig(moto)).send(new CreateTopicCommand({ Name: 'security-alerts' }))).TopicArn as string;
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('creates the trail with the CIS metric filters and alarms, and a re-run changes nothing', () => {
    const first = runCli(setup(), { env });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const applied = JSON.parse(first.stdout) as { results: { id: string; action: string }[] };
    expect(applied.results.filter((r) => r.id === 'cis-metric-filter')).toHaveLength(15);
    expect(applied.results.filter((r) => r.id === 'cis-alarm')).toHaveLength(15);
    const again = runCli(setup(), { env });
    expect(again.status).toBe(0);
    const second = JSON.parse(again.stdout) as { changed: boolean; steps: { id: string; action: string }[] };
    expect(second.changed).toBe(false);
    expect(second.steps.filter((s) => s.id.startsWith('cis-')).every((s) => s.action === 'unchanged')).toBe(true);
  });

  it('verify passes every check it can on the trail setup made', () => {
    const r = runCli(['verify', '--trail-name', 'gate', '--output', 'json'], { env });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Report;
    const notPassing = Object.fromEntries(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status]));
    // setup does not turn on server access logging, and moto has delivered no digests to validate.
    expect(notPassing).toEqual({ 'bucket-access-logging': 'warn', integrity: 'warn' });
    expect(r.status).toBe(0);
    expect(runCli(['verify', '--trail-name', 'gate', '--strict'], { env }).status).toBe(1);
  });

  it('rejects a malformed alarm topic before calling AWS', () => {
    const r = runCli(['setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--cis-alarms', '--alarm-topic', 'not-an-arn', '--yes'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^trailkit: --alarm-topic 'not-an-arn' is not an SNS topic ARN/);
  });
});
