import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { startCli } from '../helpers/cli.js';
import { s3Error, startFaultProxy, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

/**
 * moto answers GetBucketPolicyStatus with an empty PolicyStatus, and confirms an email
 * subscription at once. A loopback stand-in in front of it answers those two calls as AWS
 * documents them: S3's verdict on the policy, and a subscription still `PendingConfirmation`.
 */
const ACCOUNT = '123456789012';
const policyStatus = (r: SeenRequest) => r.method === 'GET' && /[?&]policyStatus(=|&|$)/.test(r.url);
const statusBody = (isPublic: boolean) => `<?xml version="1.0" encoding="UTF-8"?>\n<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>${isPublic}</IsPublic></PolicyStatus>`;

interface Check { id: string; status: string; message: string; evidence: Record<string, unknown> }

describeWithMoto('verify against stand-ins for what moto simplifies (GetBucketPolicyStatus, pending SNS subscriptions)', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let topic: string;
  // The stand-in runs in this process, so the CLI runs asynchronously beside it.
  const check = async (trail: string, id: string): Promise<Check> => {
    const run = startCli(['verify', '--trail-name', trail, '--output', 'json', '--only', id], env);
    await run.exited;
    expect(run.output.stderr).toBe('');
    return (JSON.parse(run.output.stdout) as { checks: Check[] }).checks[0] as Check;
  };

  async function trailWithPolicy(name: string, statement: Record<string, unknown>) {
    const config = motoClientConfig(moto);
    const bucket = `${name}-logs`;
    const s3 = new S3Client(config);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Theirs', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`, ...statement }] }) }));
    await new CloudTrailClient(config).send(new CreateTrailCommand({ Name: name, S3BucketName: bucket, IsMultiRegionTrail: true, CloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:cis-group:*`, CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/r` }));
    await new CloudTrailClient(config).send(new StartLoggingCommand({ Name: name }));
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    env = { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint };
    const config = motoClientConfig(moto);
    const sns = new SNSClient(config);
    topic = (await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn as string;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: 'security@example.com' }));
    const logs = new CloudWatchLogsClient(config);
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'cis-group' }));
    for (const p of CIS_PRESETS) {
      await logs.send(new PutMetricFilterCommand({ logGroupName: 'cis-group', filterName: p.name, filterPattern: p.pattern, metricTransformations: [{ metricName: p.metricName, metricNamespace: 'CIS', metricValue: '1' }] }));
      await new CloudWatchClient(config).send(new PutMetricAlarmCommand({ AlarmName: p.id, MetricName: p.metricName, Namespace: 'CIS', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic] }));
    }
    await trailWithPolicy('agent', { Principal: '*', Condition: { StringEquals: { 'aws:UserAgent': 'internal-tool' } } });
    await trailWithPolicy('vpc', { Principal: '*', Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } } });
  }, 120_000);
  beforeEach(() => proxy.clear());
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it.each([
    ['agent', true, 'a public statement whose only condition is aws:UserAgent'],
    ['vpc', false, 'a statement pinned to one VPC'],
  ])('%s: S3 allowed to answer, and S3 denied: the same verdict (%s)', async (trail, isPublic) => {
    proxy.add({ match: policyStatus, status: 200, contentType: 'application/xml', body: statusBody(isPublic), times: Infinity });
    const withS3 = await check(trail, 'bucket-public-access');
    expect(withS3.evidence['s3Verdict']).toBe(isPublic);
    proxy.clear();
    proxy.add({ match: policyStatus, status: 403, contentType: 'application/xml', body: s3Error('AccessDenied', 'Access Denied'), times: Infinity });
    const withoutS3 = await check(trail, 'bucket-public-access');
    expect(withoutS3.evidence['s3Verdict']).toBeNull();
    expect(withoutS3.evidence['trailkitVerdict']).toBe(isPublic);
    expect(withoutS3.status).toBe(withS3.status);
    expect(withS3.status).toBe(isPublic ? 'fail' : 'warn');
  });

  it('an email subscription still pending confirmation notifies nobody: the CIS controls are not passed', async () => {
    expect((await check('vpc', 'cis-metric-filters')).status).toBe('pass');
    const pending = `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions><member><TopicArn>${topic}</TopicArn><Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn><Owner>${ACCOUNT}</Owner><Endpoint>security@example.com</Endpoint></member></Subscriptions></ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`;
    const fault = proxy.add({ match: (r) => r.body.includes('Action=ListSubscriptionsByTopic'), status: 200, contentType: 'text/xml', body: pending, times: Infinity });
    const cis = await check('vpc', 'cis-metric-filters');
    expect(fault.hits).toBeGreaterThan(0);
    expect(cis.status).toBe('warn');
    expect(cis.message).toMatch(/^an SNS topic without a confirmed subscription for cis-4\.1,/);
    expect(JSON.stringify(cis.evidence)).toContain('(1 pending confirmation)');
  });
});
