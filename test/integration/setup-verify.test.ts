import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

interface Report {
  checks: { id: string; status: string; message: string; evidence: Record<string, unknown> }[];
  summary: { fail: number; failed: boolean };
}

const ACCOUNT = '123456789012';

/**
 * What verify cannot pass on a trail that a default setup made, and why setup leaves it:
 * server access logging needs a second bucket; Insights, S3 data events, versioning and MFA delete
 * cost money or need the root user, so they are opt-in (flags for the first two); moto delivers
 * no digest files, so there is nothing to validate yet.
 */
const NOT_SETUP_DEFAULTS = {
  's3-data-events': 'warn', insights: 'warn', 'bucket-access-logging': 'warn', 'bucket-versioning': 'warn', 'bucket-delete-protection': 'warn', integrity: 'warn',
};

describeWithMoto('trailkit setup, then trailkit verify, against moto_server', () => {
  let moto: MotoServer;
  let env: Record<string, string>;
  const verify = (trail: string) => {
    const r = runCli(['verify', '--trail-name', trail, '--output', 'json'], { env });
    expect(r.stderr).toBe('');
    return { status: r.status, report: JSON.parse(r.stdout) as Report };
  };
  const notPassing = (rep: Report) => Object.fromEntries(rep.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status]));

  beforeAll(async () => {
    moto = await startMoto();
    env = motoEnv(moto);
  });
  beforeEach(async () => {
    await moto.reset();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('a default setup with --cis-alarms --alarm-email, then verify: every check moto can answer passes; a re-run changes nothing', () => {
    const setup = ['setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--cis-alarms', '--alarm-email', 'security@example.com', '--yes', '--iam-retry-seconds', '5'];
    const first = runCli(setup, { env });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/done {2}cis-alarm-topic\s+arn:aws:sns:us-east-1:123456789012:trailkit-cis-alarms-gate/);
    expect(first.stdout).toMatch(/done {2}cis-alarm-subscription/);
    expect(first.stdout).toContain('security@example.com must confirm the subscription email');
    const { status, report } = verify('gate');
    expect(notPassing(report)).toEqual(NOT_SETUP_DEFAULTS);
    expect(status).toBe(0);
    const again = runCli([...setup, '--output', 'json'], { env });
    expect(again.status).toBe(0);
    expect((JSON.parse(again.stdout) as { changed: boolean }).changed).toBe(false);
  });

  it('with the opt-in flags, Insights and S3 data events pass too', () => {
    const r = runCli(['setup', '--trail-name', 'full', '--bucket', 'full-trail-logs', '--insights', 'api-call-rate,api-error-rate', '--s3-data-events', 'all', '--retention-in-days', '365',
      '--cis-alarms', '--alarm-email', 'security@example.com', '--yes', '--iam-retry-seconds', '5'], { env });
    expect(r.status).toBe(0);
    const rest = { ...NOT_SETUP_DEFAULTS } as Record<string, string>;
    delete rest['s3-data-events'];
    delete rest['insights'];
    expect(notPassing(verify('full').report)).toEqual(rest);
  });

  it('--cis-alarms without a topic or email: setup says the topic needs a subscriber, and verify says nobody is notified', () => {
    const r = runCli(['setup', '--trail-name', 'quiet', '--bucket', 'quiet-trail-logs', '--cis-alarms', '--yes', '--iam-retry-seconds', '5'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`CIS alarms notify arn:aws:sns:us-east-1:${ACCOUNT}:trailkit-cis-alarms-quiet, which needs a subscriber: aws sns subscribe`);
    const check = verify('quiet').report.checks.find((c) => c.id === 'cis-metric-filters');
    expect(check?.status).toBe('warn');
    expect(check?.message).toMatch(/^an SNS topic without a confirmed subscription for cis-4\.1, .* cis-4\.15$/);
  });

  it('two trails with --cis-alarms keep separate metrics and alarms; the second setup leaves the first one\'s alone', async () => {
    const topic = (await new SNSClient(motoClientConfig(moto)).send(new CreateTopicCommand({ Name: 'security-alerts' }))).TopicArn as string;
    const setup = (trail: string) => runCli(['setup', '--trail-name', trail, '--bucket', `${trail}-logs`, '--cis-alarms', '--alarm-topic', topic, '--yes', '--output', 'json', '--iam-retry-seconds', '5'], { env });
    expect(setup('first').status).toBe(0);
    const alarms = async () => ((await new CloudWatchClient(motoClientConfig(moto)).send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => [a.AlarmName, a.Namespace]);
    const before = await alarms();
    expect(before).toHaveLength(15);
    expect(setup('second').status).toBe(0);
    const after = await alarms();
    expect(after).toHaveLength(30);
    for (const alarm of before) expect(after).toContainEqual(alarm);
    expect(after.filter(([name]) => name?.startsWith('trailkit/aws-cloudtrail-logs-second/'))).toHaveLength(15);
    expect(new Set(after.map(([, namespace]) => namespace))).toEqual(new Set(['CISBenchmark/aws-cloudtrail-logs-first', 'CISBenchmark/aws-cloudtrail-logs-second']));
    const rerun = JSON.parse(setup('first').stdout) as { changed: boolean };
    expect(rerun.changed).toBe(false);
  });

  it('an existing bucket with a user\'s policy: their statements stay byte for byte, Block Public Access is turned on, and verify passes the bucket checks', async () => {
    const s3 = new S3Client(motoClientConfig(moto));
    await s3.send(new CreateBucketCommand({ Bucket: 'shared-logs' }));
    const other = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/other`;
    const theirs = [
      '{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com","config.amazonaws.com"]},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::shared-logs"}',
      `{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com","config.amazonaws.com"]},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::shared-logs/AWSLogs/${ACCOUNT}/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"${other}"}}}`,
      '{"Sid":"DenyOldTls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::shared-logs","arn:aws:s3:::shared-logs/*"],"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}',
      '{"Sid":"DenyDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::shared-logs/*"}',
    ];
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'shared-logs', Policy: `{"Version":"2012-10-17","Statement":[${theirs.join(',')}]}` }));
    const r = runCli(['setup', '--trail-name', 'main', '--bucket', 'shared-logs', '--yes', '--iam-retry-seconds', '5'], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/~ update\s+public-access-block/);
    expect(r.stdout).toMatch(/AWSCloudTrailAclCheck20150319 already grants what TrailkitCloudTrailAclCheck would/);
    // The plan prints the statements it adds, one per line.
    expect(r.stdout).toMatch(/^ {6}\+ \{"Sid":"TrailkitCloudTrailWrite",/m);
    expect(r.stdout).toMatch(/^ {6}\+ \{"Sid":"TrailkitDenyInsecureTransport",/m);
    const after = (await s3.send(new GetBucketPolicyCommand({ Bucket: 'shared-logs' }))).Policy ?? '';
    for (const statement of theirs) expect(after).toContain(statement);
    expect((JSON.parse(after) as { Statement: { Sid: string }[] }).Statement.map((st) => st.Sid)).toEqual([
      'AWSCloudTrailAclCheck20150319', 'AWSCloudTrailWrite20150319', 'DenyOldTls', 'DenyDeletes', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport',
    ]);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'shared-logs' }))).PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const report = verify('main').report;
    // CloudTrail can write; the user's own ACL statement has no aws:SourceArn, which verify points out.
    expect(report.checks.find((c) => c.id === 'bucket-policy')).toMatchObject({ status: 'warn', message: expect.stringMatching(/without an aws:SourceArn condition/) });
    expect(notPassing(report)['bucket-public-access']).toBeUndefined();
  });

  it('"Next:" repeats the connection flags the user gave', () => {
    const r = runCli(['setup', '--trail-name', 'flags', '--bucket', 'flags-trail-logs', '--yes', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--iam-retry-seconds', '5'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Next: trailkit verify --trail-name flags --region us-east-1 --endpoint-url ${moto.endpoint}`);
  });

  it('rejects a malformed alarm topic or email before calling AWS, and --alarm-email without --cis-alarms', () => {
    const topic = runCli(['setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--cis-alarms', '--alarm-topic', 'not-an-arn', '--yes'], { env });
    expect(topic.status).toBe(2);
    expect(topic.stderr.trim()).toMatch(/^trailkit: --alarm-topic 'not-an-arn' is not an SNS topic ARN/);
    const email = runCli(['setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--cis-alarms', '--alarm-email', 'nobody', '--yes'], { env });
    expect(email.status).toBe(2);
    expect(email.stderr.trim().split('\n')).toEqual(["trailkit: --alarm-email 'nobody' is not an email address (e.g. --alarm-email security@example.com)"]);
    const alone = runCli(['setup', '--trail-name', 'gate', '--bucket', 'gate-trail-logs', '--alarm-email', 'a@example.com', '--yes'], { env });
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/--alarm-email is for the CIS alarms/);
  });
});
