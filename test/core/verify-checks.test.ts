import { describe, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { CHECK_IDS, evaluateChecks, selectChecks, summarize, type CheckId, type CheckStatus, type TrailEvidence, type TrailInfo } from '../../src/core/verify-checks.js';

const ACCOUNT = '111111111111';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`;
const GROUP = 'aws-cloudtrail-logs-main';
const ok = <T>(value: T) => ({ ok: true as const, value });
const denied = (action: string) => ({ ok: false as const, denied: action, error: 'AccessDenied: no' });

const trail: TrailInfo = {
  name: 'main', arn: ARN, homeRegion: 'us-east-1', s3BucketName: 'trail-bucket', s3KeyPrefix: 'ct',
  isMultiRegionTrail: true, includeGlobalServiceEvents: true, logFileValidationEnabled: true,
  kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/abc`,
  cloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:*`,
  cloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role`,
  hasCustomEventSelectors: true,
};

const bucketPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AWSCloudTrailAclCheck20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: 'arn:aws:s3:::trail-bucket', Condition: { StringEquals: { 'aws:SourceArn': ARN } } },
    { Sid: 'AWSCloudTrailWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::trail-bucket/ct/AWSLogs/${ACCOUNT}/*`, Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': ARN } } },
  ],
});

const rolePolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:log-stream:${ACCOUNT}_CloudTrail_us-east-1*`] }],
});
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const NOW = Date.parse('2026-11-20T12:00:00Z');
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:alerts';
const alarmsWith = (change: Record<string, unknown>) => ok(CIS_PRESETS.map((p) => ({ name: `${p.metricName}-alarm`, metricName: p.metricName, namespace: 'CISBenchmark', actions: [TOPIC], actionsEnabled: true, ...change })));

function good(): TrailEvidence {
  return {
    trailRef: 'main', accountId: ACCOUNT, now: NOW, integrityHours: 24,
    trail: ok(trail),
    status: ok({ isLogging: true, latestDeliveryTime: NOW - 5 * 60_000, latestCloudWatchLogsDeliveryTime: NOW - 3 * 60_000, startLoggingTime: NOW - 86_400_000 }),
    insightTypes: ok(['ApiCallRateInsight']),
    bucketExists: ok(true),
    bucketVersioning: ok({ status: 'Enabled', mfaDelete: 'Enabled' }),
    objectLock: ok(undefined),
    logGroup: ok({ kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/logs`, retentionInDays: 400 }),
    selectors: ok({ basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }], ExcludeManagementEventSources: [] }], advanced: [] }),
    bucketPolicy: ok(bucketPolicy),
    publicAccessBlock: ok({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true }),
    bucketPolicyIsPublic: ok(false),
    bucketAclPublicGrants: ok([]),
    bucketLogging: ok({ targetBucket: 'access-logs' }),
    logGroupExists: ok(true),
    role: ok({ arn: trail.cloudWatchLogsRoleArn as string, trustPolicy: trust, policies: [rolePolicy] }),
    metricFilters: ok(CIS_PRESETS.map((p) => ({ name: p.name, pattern: p.pattern, metricName: p.metricName, metricNamespace: 'CISBenchmark' }))),
    alarms: ok(CIS_PRESETS.map((p) => ({ name: `${p.metricName}-alarm`, metricName: p.metricName, namespace: 'CISBenchmark', actions: [TOPIC], actionsEnabled: true }))),
    topicSubscriptions: { [TOPIC]: ok([{ arn: `${TOPIC}:5f1c2a`, protocol: 'email' }]) },
    integrity: ok({ digestsValid: 24, digestsInvalid: 0, logsValid: 200, logsInvalid: 0, unreferenced: 0, problems: [] }),
  };
}

function withStatement(statement: Record<string, unknown>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [...(JSON.parse(bucketPolicy) as { Statement: unknown[] }).Statement, statement] });
}

function statuses(evidence: TrailEvidence): Record<CheckId, CheckStatus> {
  return Object.fromEntries(evaluateChecks(evidence).map((r) => [r.id, r.status])) as Record<CheckId, CheckStatus>;
}

function only(evidence: TrailEvidence, id: CheckId) {
  const found = evaluateChecks(evidence).find((r) => r.id === id);
  if (found === undefined) throw new Error(`no ${id}`);
  return found;
}

describe('evaluateChecks', () => {
  it('passes every check on a trail set up the way AWS recommends, in the stable order', () => {
    const results = evaluateChecks(good());
    expect(results.map((r) => r.id)).toEqual([...CHECK_IDS]);
    for (const r of results) expect(r, r.id).toMatchObject({ status: 'pass' });
  });

  const mutations: [string, (e: TrailEvidence) => TrailEvidence, CheckId, CheckStatus, RegExp][] = [
    ['single-region', (e) => ({ ...e, trail: ok({ ...trail, isMultiRegionTrail: false }) }), 'multi-region', 'fail', /one region/],
    ['no global events', (e) => ({ ...e, trail: ok({ ...trail, includeGlobalServiceEvents: false }) }), 'global-service-events', 'fail', /not logged/],
    ['validation off', (e) => ({ ...e, trail: ok({ ...trail, logFileValidationEnabled: false }) }), 'log-file-validation', 'fail', /off/],
    ['validation off skips integrity', (e) => ({ ...e, trail: ok({ ...trail, logFileValidationEnabled: false }) }), 'integrity', 'skip', /off/],
    ['no KMS', (e) => ({ ...e, trail: ok({ ...trail, kmsKeyId: undefined as unknown as string }) }), 'kms-encryption', 'fail', /not encrypted/],
    ['logging stopped', (e) => ({ ...e, status: ok({ isLogging: false }) }), 'logging', 'fail', /not logging/],
    ['no log group on trail', (e) => ({ ...e, trail: ok({ ...trail, cloudWatchLogsLogGroupArn: '' }) }), 'cloudwatch-logs', 'fail', /does not send/],
    ['log group gone', (e) => ({ ...e, logGroupExists: ok(false) }), 'cloudwatch-logs', 'fail', /does not exist/],
    ['role without PutLogEvents', (e) => ({ ...e, role: ok({ arn: 'r', trustPolicy: trust, policies: [JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'logs:CreateLogStream', Resource: '*' }] })] }) }), 'cloudwatch-logs', 'fail', /does not allow logs:PutLogEvents/],
    ['role policy on another log group', (e) => ({ ...e, role: ok({ arn: 'r', trustPolicy: trust, policies: [rolePolicy.replace(GROUP, 'other')] }) }), 'cloudwatch-logs', 'fail', /CreateLogStream/],
    ['role that does not trust CloudTrail', (e) => ({ ...e, role: ok({ arn: 'r', trustPolicy: trust.replace('cloudtrail', 'ec2'), policies: [rolePolicy] }) }), 'cloudwatch-logs', 'fail', /does not trust/],
    ['CloudWatch delivery error', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, latestCloudWatchLogsDeliveryError: 'AccessDenied' }) }), 'cloudwatch-logs', 'fail', /delivery error/],
    ['write-only selectors', (e) => ({ ...e, selectors: ok({ basic: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }], advanced: [] }) }), 'management-events', 'fail', /^read management events are not logged/],
    ['KMS excluded', (e) => ({ ...e, selectors: ok({ basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: ['kms.amazonaws.com'] }], advanced: [] }) }), 'management-events', 'warn', /excluding kms.amazonaws.com/],
    ['advanced read-only management', (e) => ({ ...e, selectors: ok({ basic: [], advanced: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['true'] }] }] }) }), 'management-events', 'fail', /write management/],
    ['no S3 data events', (e) => ({ ...e, selectors: ok({ basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true }], advanced: [] }) }), 's3-data-events', 'warn', /read and write events are not logged/],
    ['advanced S3 data events for all buckets', (e) => ({ ...e, selectors: ok({ basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true }], advanced: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }] }) }), 's3-data-events', 'pass', /all S3 buckets/],
    ['no bucket policy', (e) => ({ ...e, bucketPolicy: ok(undefined) }), 'bucket-policy', 'fail', /no bucket policy/],
    ['bucket policy for another prefix', (e) => ({ ...e, bucketPolicy: ok(bucketPolicy.replace('/ct/AWSLogs', '/other/AWSLogs')) }), 'bucket-policy', 'fail', /s3:PutObject to ct\/AWSLogs/],
    ['bucket policy without SourceArn', (e) => ({ ...e, bucketPolicy: ok(bucketPolicy.replace(/"aws:SourceArn":"[^"]+"/g, '"aws:Other":"x"')) }), 'bucket-policy', 'warn', /aws:SourceArn/],
    ['bucket policy for another trail', (e) => ({ ...e, bucketPolicy: ok(bucketPolicy.replaceAll(ARN, ARN.replace('trail/main', 'trail/other'))) }), 'bucket-policy', 'fail', /only for other trails/],
    ['bucket policy with a wildcard SourceArn under ArnLike, any key case', (e) => ({ ...e, bucketPolicy: ok(bucketPolicy.replace(/"StringEquals":\{"aws:SourceArn":"[^"]+"\}/, `"ArnLike":{"AWS:SourceArn":"arn:aws:cloudtrail:*:${ACCOUNT}:trail/*"}`).replace(/"aws:SourceArn":"[^"]+"/, `"aws:SourceAccount":"${ACCOUNT}"`)) }), 'bucket-policy', 'pass', /limited by aws:SourceArn/],
    ['public bucket policy', (e) => ({ ...e, publicAccessBlock: ok(undefined), bucketPolicy: ok(JSON.stringify({ Statement: [...JSON.parse(bucketPolicy).Statement, { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/*' }] })) }), 'bucket-public-access', 'fail', /the bucket policy is public \(Public: Principal "\*", and no condition\)/],
    ['public ACL', (e) => ({ ...e, bucketAclPublicGrants: ok(['READ to AllUsers']) }), 'bucket-public-access', 'fail', /READ to AllUsers/],
    ['no Block Public Access', (e) => ({ ...e, publicAccessBlock: ok(undefined) }), 'bucket-public-access', 'warn', /Block Public Access is off/],
    ['no access logging', (e) => ({ ...e, bucketLogging: ok(undefined) }), 'bucket-access-logging', 'warn', /off/],
    ['delivery error', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, latestDeliveryError: 'AccessDenied' }) }), 'delivery-health', 'fail', /log delivery: AccessDenied/],
    ['digest delivery error', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, latestDigestDeliveryError: 'NoSuchBucket' }) }), 'delivery-health', 'fail', /digest delivery/],
    ['stale delivery', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW - 5 * 3_600_000 }) }), 'delivery-health', 'warn', /300 minutes ago/],
    ['just started', (e) => ({ ...e, status: ok({ isLogging: true, startLoggingTime: NOW - 60_000 }) }), 'delivery-health', 'pass', /started recently/],
    ['tampered logs', (e) => ({ ...e, integrity: ok({ digestsValid: 23, digestsInvalid: 1, logsValid: 199, logsInvalid: 1, unreferenced: 0, problems: ['Log file\ts3://b/k\tINVALID: hash value doesn\'t match'] }) }), 'integrity', 'fail', /1 digest and 1 log files invalid/],
    ['no digests yet', (e) => ({ ...e, integrity: ok(undefined) }), 'integrity', 'warn', /no digest files/],
    ['CIS filter missing', (e) => ({ ...e, metricFilters: ok([]) }), 'cis-metric-filters', 'warn', /no metric filter for cis-4.1/],
    ['CIS alarm missing', (e) => ({ ...e, alarms: ok([]) }), 'cis-metric-filters', 'warn', /no alarm on the metric for cis-4.1,/],
    ['CIS alarms without any action notify nobody', (e) => ({ ...e, alarms: alarmsWith({ actions: [] }) }), 'cis-metric-filters', 'warn', /an alarm that notifies no SNS topic for cis-4.1,/],
    ['CIS alarms whose only action is not SNS', (e) => ({ ...e, alarms: alarmsWith({ actions: ['arn:aws:automate:us-east-1:ec2:stop'] }) }), 'cis-metric-filters', 'warn', /notifies no SNS topic/],
    ['CIS alarms with actions disabled', (e) => ({ ...e, alarms: alarmsWith({ actionsEnabled: false }) }), 'cis-metric-filters', 'warn', /alarm actions disabled for cis-4.1,/],
    ['CIS topic without subscribers', (e) => ({ ...e, topicSubscriptions: { [TOPIC]: ok([]) } }), 'cis-metric-filters', 'warn', /SNS topic without a confirmed subscription for cis-4.1,/],
    ['CIS topic whose only subscription is pending confirmation', (e) => ({ ...e, topicSubscriptions: { [TOPIC]: ok([{ arn: 'PendingConfirmation', protocol: 'email' }]) } }), 'cis-metric-filters', 'warn', /without a confirmed subscription/],
    ['CIS alarm on another namespace', (e) => ({ ...e, alarms: alarmsWith({ namespace: 'Other' }) }), 'cis-metric-filters', 'warn', /no alarm on the metric/],
    ['CIS filters in another quoting and spacing still count', (e) => ({ ...e, metricFilters: ok(CIS_PRESETS.map((p) => ({ name: p.name, pattern: p.pattern.replace(/"([A-Za-z0-9_.*]+)"/g, '$1').replace(/\s*(&&|\|\||!=|=|\(|\))\s*/g, '$1'), metricName: p.metricName, metricNamespace: 'CISBenchmark' }))) }), 'cis-metric-filters', 'pass', /all 15/],
    ['CIS filter one event name short', (e) => ({ ...e, metricFilters: ok(CIS_PRESETS.map((p) => ({ name: p.name, pattern: p.id === 'cis-4.5' ? '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) }' : p.pattern, metricName: p.metricName, metricNamespace: 'CISBenchmark' }))) }), 'cis-metric-filters', 'warn', /^no metric filter for cis-4.5$/],
    ['permission to read subscriptions denied', (e) => ({ ...e, topicSubscriptions: { [TOPIC]: denied('sns:ListSubscriptionsByTopic') } }), 'cis-metric-filters', 'skip', /needs sns:ListSubscriptionsByTopic/],
    ['CloudWatch Logs delivery a day old', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, latestCloudWatchLogsDeliveryTime: NOW - 30 * 3_600_000, startLoggingTime: NOW - 86_400_000 * 3 }) }), 'cloudwatch-logs-delivery', 'fail', /30 hours ago/],
    ['CloudWatch Logs never delivered', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, startLoggingTime: NOW - 86_400_000 }) }), 'cloudwatch-logs-delivery', 'fail', /has not delivered any event/],
    ['CloudWatch Logs: logging started a minute ago', (e) => ({ ...e, status: ok({ isLogging: true, latestDeliveryTime: NOW, startLoggingTime: NOW - 60_000 }) }), 'cloudwatch-logs-delivery', 'pass', /started recently/],
    ['log group without a KMS key', (e) => ({ ...e, logGroup: ok({ retentionInDays: 400 }) }), 'log-group-encryption', 'fail', /not encrypted/],
    ['log group keeping 90 days', (e) => ({ ...e, logGroup: ok({ kmsKeyId: 'k', retentionInDays: 90 }) }), 'log-group-retention', 'warn', /only 90 days/],
    ['log group keeping events forever', (e) => ({ ...e, logGroup: ok({ kmsKeyId: 'k' }) }), 'log-group-retention', 'pass', /forever/],
    ['log group gone skips its checks', (e) => ({ ...e, logGroupExists: ok(false), logGroup: ok(undefined) }), 'log-group-encryption', 'skip', /does not exist/],
    ['Insights off', (e) => ({ ...e, insightTypes: ok([]) }), 'insights', 'warn', /Insights is off/],
    ['versioning never turned on', (e) => ({ ...e, bucketVersioning: ok({}) }), 'bucket-versioning', 'warn', /versioning is off/],
    ['versioning suspended', (e) => ({ ...e, bucketVersioning: ok({ status: 'Suspended' }) }), 'bucket-versioning', 'warn', /suspended/],
    ['neither MFA delete nor Object Lock', (e) => ({ ...e, bucketVersioning: ok({ status: 'Enabled', mfaDelete: 'Disabled' }) }), 'bucket-delete-protection', 'warn', /neither MFA delete nor Object Lock/],
    ['Object Lock instead of MFA delete', (e) => ({ ...e, bucketVersioning: ok({ status: 'Enabled' }), objectLock: ok({ enabled: true, mode: 'GOVERNANCE', days: 365 }) }), 'bucket-delete-protection', 'pass', /Object Lock is on .*GOVERNANCE 365 days/],
    ['public statement with a User-Agent condition (S3 verdict unavailable)', (e) => ({ ...e, publicAccessBlock: ok(undefined), bucketPolicyIsPublic: ok(undefined), bucketPolicy: ok(withStatement({ Sid: 'ByAgent', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/*', Condition: { StringEquals: { 'aws:UserAgent': 'internal-tool' } } })) }), 'bucket-public-access', 'fail', /ByAgent: Principal "\*", and its condition \(aws:UserAgent\) does not limit/],
    ['Allow with NotPrincipal (S3 verdict denied)', (e) => ({ ...e, publicAccessBlock: ok(undefined), bucketPolicyIsPublic: denied('s3:GetBucketPolicyStatus'), bucketPolicy: ok(withStatement({ Sid: 'AllButOne', Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/*' })) }), 'bucket-public-access', 'fail', /AllButOne: NotPrincipal/],
    ['S3 says public where trailkit sees nothing', (e) => ({ ...e, publicAccessBlock: ok(undefined), bucketPolicyIsPublic: ok(true) }), 'bucket-public-access', 'fail', /S3 reports the bucket policy as public/],
    ['public policy held back by RestrictPublicBuckets', (e) => ({ ...e, bucketPolicy: ok(withStatement({ Sid: 'Open', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/*' })) }), 'bucket-public-access', 'warn', /RestrictPublicBuckets/],
    ['a public policy with Block Public Access off', (e) => ({ ...e, publicAccessBlock: ok({ blockPublicAcls: true }), bucketPolicy: ok(withStatement({ Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::trail-bucket/*' })) }), 'bucket-public-access', 'fail', /Open: Principal/],
    ['the bucket does not exist', (e) => ({ ...e, bucketExists: ok(false), bucketPolicy: { ok: false as const, error: 'NoSuchBucket: The specified bucket does not exist' } }), 'bucket-policy', 'fail', /bucket trail-bucket does not exist/],
    ['the bucket does not exist (public access)', (e) => ({ ...e, bucketExists: ok(false) }), 'bucket-public-access', 'fail', /does not exist/],
    ['the bucket does not exist, seen only by GetBucketPolicy', (e) => ({ ...e, bucketExists: denied('s3:ListBucket'), bucketPolicy: { ok: false as const, error: 'NoSuchBucket: The specified bucket does not exist' } }), 'bucket-versioning', 'fail', /does not exist/],
    ['permission to read the bucket policy denied', (e) => ({ ...e, bucketPolicy: denied('s3:GetBucketPolicy') }), 'bucket-policy', 'skip', /needs s3:GetBucketPolicy/],
    ['permission to read the role denied', (e) => ({ ...e, role: denied('iam:GetRole') }), 'cloudwatch-logs', 'skip', /needs iam:GetRole/],
    ['permission to read alarms denied', (e) => ({ ...e, alarms: denied('cloudwatch:DescribeAlarms') }), 'cis-metric-filters', 'skip', /needs cloudwatch:DescribeAlarms/],
  ];
  it.each(mutations)('%s', (_name, mutate, id, status, message) => {
    const evidence = mutate(good());
    const found = only(evidence, id);
    expect(found.status).toBe(status);
    expect(found.message).toMatch(message);
    if (status === 'fail' || status === 'warn') expect(found.remediation).toMatch(/trailkit|aws /);
    // Nothing else changes status to fail because of this one mutation, except where checks share evidence.
    const others = Object.entries(statuses(evidence)).filter(([other, s]) => other !== id && s === 'fail' && !['integrity', 'cis-metric-filters'].includes(other));
    if (!['logging', 'delivery-health', 'cloudwatch-logs', 'integrity'].includes(id) && !/does not exist|log group gone/.test(_name)) expect(others).toEqual([]);
  });

  it('reads the partition from the trail ARN (GovCloud)', () => {
    const gov = (text: string) => text.replaceAll('arn:aws:', 'arn:aws-us-gov:').replaceAll('us-east-1', 'us-gov-west-1');
    const govTrail = JSON.parse(gov(JSON.stringify(trail))) as TrailInfo;
    const evidence = { ...good(), trail: ok(govTrail), bucketPolicy: ok(gov(bucketPolicy)), role: ok({ arn: govTrail.cloudWatchLogsRoleArn as string, trustPolicy: trust, policies: [gov(rolePolicy)] }) };
    expect(only(evidence, 'bucket-policy').status).toBe('pass');
    expect(only(evidence, 'cloudwatch-logs').status).toBe('pass');
  });

  it('fails trail-exists and skips the rest when the trail does not exist', () => {
    const results = evaluateChecks({ ...good(), trail: ok(undefined) });
    expect(results[0]).toMatchObject({ id: 'trail-exists', status: 'fail', remediation: expect.stringContaining('trailkit setup --trail-name main') });
    expect(new Set(results.slice(1).map((r) => r.status))).toEqual(new Set(['skip']));
  });

  it('skips with the IAM action when the trail cannot be read', () => {
    const results = evaluateChecks({ ...good(), trail: denied('cloudtrail:GetTrail') });
    expect(results[0]).toMatchObject({ id: 'trail-exists', status: 'skip', message: expect.stringContaining('cloudtrail:GetTrail') });
  });

  it('treats a trail without custom selectors as logging all management events', () => {
    const evidence = { ...good(), trail: ok({ ...trail, hasCustomEventSelectors: false }), selectors: ok({ basic: [], advanced: [] }) };
    expect(only(evidence, 'management-events').status).toBe('pass');
  });
});

describe('summarize and selectChecks', () => {
  const results = evaluateChecks({ ...good(), bucketLogging: ok(undefined), trail: ok({ ...trail, isMultiRegionTrail: false }) });
  it('fails on a fail, and on a warn only with --strict', () => {
    expect(summarize(results, false)).toMatchObject({ fail: 1, warn: 1, failed: true });
    const warnOnly = selectChecks(results, [], ['multi-region']);
    expect(summarize(warnOnly, false).failed).toBe(false);
    expect(summarize(warnOnly, true).failed).toBe(true);
  });

  it('keeps --only and drops --skip', () => {
    expect(selectChecks(results, ['logging', 'integrity'], []).map((r) => r.id)).toEqual(['logging', 'integrity']);
    expect(selectChecks(results, [], ['logging']).map((r) => r.id)).not.toContain('logging');
  });
});
