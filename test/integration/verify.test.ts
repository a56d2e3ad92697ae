import { CloudTrailClient, CreateTrailCommand, DeleteTrailCommand, PutEventSelectorsCommand, PutInsightSelectorsCommand, StartLoggingCommand, StopLoggingCommand, type CreateTrailCommandInput } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutMetricFilterCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateBucketCommand, DeleteBucketCommand, PutBucketLoggingCommand, PutBucketPolicyCommand, PutPublicAccessBlockCommand, S3Client, type BucketCannedACL } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { CHECK_IDS } from '../../src/core/verify-checks.js';
import { runCli } from '../helpers/cli.js';
import { junitErrors } from '../helpers/junit-schema.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const ACCOUNT = '123456789012'; // moto's account
const GROUP = 'aws-cloudtrail-logs-verify';
const ROLE = 'CloudTrail_CloudWatchLogs_Role';

interface Report {
  trail: string;
  checks: { id: string; status: string; message: string; evidence: unknown; remediation?: string }[];
  summary: { pass: number; warn: number; fail: number; skip: number; failed: boolean };
}

describeWithMoto('trailkit verify against moto_server', () => {
  let moto: MotoServer;
  let env: Record<string, string>;
  let cloudTrail: CloudTrailClient;
  let s3: S3Client;
  let kmsKeyArn: string;

  const verify = (args: string[]) => runCli(['verify', ...args], { env });
  const report = (name: string, extra: string[] = []) => {
    const r = verify(['--trail-name', name, '--output', 'json', ...extra]);
    expect(r.stderr).toBe('');
    return { status: r.status, report: JSON.parse(r.stdout) as Report };
  };
  const statusOf = (rep: Report) => Object.fromEntries(rep.checks.map((c) => [c.id, c.status]));

  function bucketPolicy(bucket: string, trailName: string, extra: unknown[] = []) {
    const arn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${trailName}`;
    return JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AWSCloudTrailAclCheck20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: `arn:aws:s3:::${bucket}`, Condition: { StringEquals: { 'aws:SourceArn': arn } } },
        { Sid: 'AWSCloudTrailWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/AWSLogs/${ACCOUNT}/*`, Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': arn } } },
        ...extra,
      ],
    });
  }

  /** A trail the way AWS recommends, made with plain SDK calls; `change` bends one thing. */
  async function makeTrail(name: string, change: { trail?: Partial<CreateTrailCommandInput>; publicPolicy?: boolean; logging?: boolean; writeOnly?: boolean } = {}) {
    const bucket = `${name}-bucket`;
    // Object Lock (which turns versioning on) protects the log files from deletion.
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    const publicStatement = { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` };
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(bucket, name, change.publicPolicy === true ? [publicStatement] : []) }));
    if (change.publicPolicy !== true) {
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    }
    await s3.send(new CreateBucketCommand({ Bucket: `${name}-access-logs`, ACL: 'log-delivery-write' as BucketCannedACL }));
    await s3.send(new PutBucketLoggingCommand({ Bucket: bucket, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: `${name}-access-logs`, TargetPrefix: `${bucket}/` } } }));
    await cloudTrail.send(new CreateTrailCommand({
      Name: name,
      S3BucketName: bucket,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KmsKeyId: kmsKeyArn,
      CloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:*`,
      CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`,
      ...change.trail,
    }));
    await cloudTrail.send(new PutEventSelectorsCommand({
      TrailName: name,
      EventSelectors: [{ ReadWriteType: change.writeOnly === true ? 'WriteOnly' : 'All', IncludeManagementEvents: true, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }],
    }));
    await cloudTrail.send(new PutInsightSelectorsCommand({ TrailName: name, InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }] }));
    if (change.logging !== false) await cloudTrail.send(new StartLoggingCommand({ Name: name }));
  }

  beforeAll(async () => {
    moto = await startMoto();
    env = motoEnv(moto);
    const config = motoClientConfig(moto);
    cloudTrail = new CloudTrailClient(config);
    s3 = new S3Client(config);
    kmsKeyArn = (await new KMSClient(config).send(new CreateKeyCommand({ Description: 'trail key' }))).KeyMetadata?.Arn as string;
    const logs = new CloudWatchLogsClient(config);
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP, kmsKeyId: kmsKeyArn }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 365 }));
    const cloudWatch = new CloudWatchClient(config);
    const sns = new SNSClient(config);
    const topic = (await sns.send(new CreateTopicCommand({ Name: 'security-alerts' }))).TopicArn as string;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: 'security@example.com' }));
    for (const preset of CIS_PRESETS) {
      await logs.send(new PutMetricFilterCommand({ logGroupName: GROUP, filterName: preset.name, filterPattern: preset.pattern, metricTransformations: [{ metricName: preset.metricName, metricNamespace: 'CISBenchmark', metricValue: '1' }] }));
      await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: `${preset.metricName}-alarm`, MetricName: preset.metricName, Namespace: 'CISBenchmark', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic] }));
    }
    const iam = new IAMClient(config);
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: ROLE,
      PolicyName: 'cloudtrail-policy',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:log-stream:${ACCOUNT}_CloudTrail_us-east-1*`] }] }),
    }));
    await iam.send(new CreateRoleCommand({ RoleName: 'NoPermissionsRole', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));

    await makeTrail('good-trail');
    await makeTrail('single-region', { trail: { IsMultiRegionTrail: false } });
    await makeTrail('no-validation', { trail: { EnableLogFileValidation: false } });
    await makeTrail('no-kms', { trail: { KmsKeyId: undefined } });
    await makeTrail('public-bucket', { publicPolicy: true });
    await makeTrail('bad-role', { trail: { CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/NoPermissionsRole` } });
    await makeTrail('stopped', { logging: false });
    await makeTrail('write-only', { writeOnly: true });
  }, 120_000);

  afterAll(async () => {
    cloudTrail?.destroy();
    s3?.destroy();
    await moto?.stop();
  });

  it('passes a trail set up as AWS recommends; integrity warns that moto delivered no digests', () => {
    const { status, report: rep } = report('good-trail');
    expect(status).toBe(0);
    const failing = rep.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status]);
    expect(failing).toEqual([['integrity', 'warn']]);
    expect(rep.trail).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/good-trail`);
    expect(rep.summary).toMatchObject({ fail: 0, failed: false });
  });

  it.each([
    ['single-region', ['multi-region']],
    ['no-validation', ['log-file-validation']],
    ['no-kms', ['kms-encryption']],
    ['public-bucket', ['bucket-public-access']],
    ['bad-role', ['cloudwatch-logs']],
    ['stopped', ['logging']],
    ['write-only', ['management-events']],
  ])('%s fails exactly %j', (name, expectedFails) => {
    const { status, report: rep } = report(name);
    expect(status).toBe(1);
    expect(rep.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(expectedFails);
    for (const c of rep.checks.filter((x) => x.status === 'fail')) expect(c.remediation).toBeTruthy();
  });

  it('fails trail-exists for a missing trail, with exit 1, not a crash', () => {
    const { status, report: rep } = report('no-such-trail');
    expect(status).toBe(1);
    expect(statusOf(rep)['trail-exists']).toBe('fail');
  });

  it('prints a JUnit report that validates against the schema', async () => {
    const r = verify(['--trail-name', 'single-region', '--output', 'junit']);
    expect(r.status).toBe(1);
    expect(await junitErrors(r.stdout)).toEqual([]);
    expect(r.stdout.match(/<testcase /g)).toHaveLength(CHECK_IDS.length);
    expect(r.stdout).toMatch(/<testcase classname="trailkit.verify" name="multi-region" time="0">\s*<failure /);
  });

  it('prints a table by default, and honours --only, --skip and --strict', () => {
    const text = verify(['--trail-name', 'good-trail']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/PASS\s+│ multi-region/);
    expect(text.stdout).toMatch(new RegExp(`^OK: ${CHECK_IDS.length - 1} pass, 1 warn, 0 fail, 0 skip$`, 'm'));
    const onlyOne = report('single-region', ['--only', 'multi-region,logging']);
    expect(onlyOne.report.checks.map((c) => c.id)).toEqual(['logging', 'multi-region']);
    const skipped = report('single-region', ['--skip', 'multi-region']);
    expect(skipped.status).toBe(0);
    // The integrity warning (no digests on moto) fails the run only with --strict.
    const strict = report('good-trail', ['--strict', '--integrity-hours', '2']);
    expect(strict.status).toBe(1);
    expect(report('good-trail', ['--strict', '--skip', 'integrity']).status).toBe(0);
  });

  it('the text table fits 80 columns (the width of COLUMNS when set), its fixes wrapped to the same width', () => {
    for (const [columns, width] of [[undefined, 80], ['120', 120], ['60', 60]] as const) {
      const text = runCli(['verify', '--trail', 'single-region'], { env: { ...env, ...(columns === undefined ? {} : { COLUMNS: columns }) } });
      expect(text.status).toBe(1);
      const lines = text.stdout.split('\n');
      const table = lines.filter((l) => /^[┌│├└]/.test(l));
      expect(table.length).toBeGreaterThan(CHECK_IDS.length);
      // The first line names the trail's ARN, whole.
      for (const line of lines.slice(1)) expect(Array.from(line).length, line).toBeLessThanOrEqual(width);
      if (columns === undefined) expect(Array.from(table[0] as string).length).toBe(80);
      expect(text.stdout).toMatch(/^To fix:$/m);
    }
  });

  it('works by trail ARN', () => {
    const r = verify(['--trail-arn', `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/good-trail`, '--output', 'json']);
    expect(r.status).toBe(0);
  });

  it('exits 2 when it cannot run: bad flags, no credentials, nothing listening', () => {
    expect(runCli(['verify'], { env }).status).toBe(2);
    const unknown = runCli(['verify', '--trail-name', 'x', '--only', 'nope'], { env });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^trailkit: 'nope' is not a check id/);
    const noCreds = runCli(['verify', '--trail-name', 'good-trail'], { env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '' } });
    expect(noCreds.status).toBe(2);
    expect(noCreds.stderr.trim().split('\n')).toHaveLength(1);
    const refused = runCli(['verify', '--trail-name', 'good-trail', '--endpoint-url', 'http://127.0.0.1:9'], { env: { ...env, AWS_MAX_ATTEMPTS: '1' } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^trailkit: /);
  });

  it('a trail whose bucket is gone fails every bucket check, not skips it', async () => {
    await makeTrail('gone-bucket');
    await s3.send(new DeleteBucketCommand({ Bucket: 'gone-bucket-bucket' }));
    const { status, report: rep } = report('gone-bucket');
    expect(status).toBe(1);
    const bucketChecks = rep.checks.filter((c) => c.id.startsWith('bucket-'));
    expect(bucketChecks.map((c) => [c.id, c.status])).toEqual(['bucket-policy', 'bucket-public-access', 'bucket-access-logging', 'bucket-versioning', 'bucket-delete-protection'].map((id) => [id, 'fail']));
    for (const c of bucketChecks) expect(c.message).toBe('bucket gone-bucket-bucket does not exist: CloudTrail cannot deliver logs to it');
  });

  it('a trail deleted after setup is a failed check', async () => {
    await cloudTrail.send(new StopLoggingCommand({ Name: 'write-only' }));
    await cloudTrail.send(new DeleteTrailCommand({ Name: 'write-only' }));
    expect(statusOf(report('write-only').report)['trail-exists']).toBe('fail');
  });
});
