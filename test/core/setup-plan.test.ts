import { describe, expect, it } from 'vitest';
import { bucketPolicy, cloudWatchRolePolicy, formatPolicy, assumeRolePolicy } from '../../src/core/policies.js';
import { normalizeConfig, resolveSetupSettings } from '../../src/core/setup-config.js';
import { planSetup, type CurrentState, type SetupEnvironment, type SetupSettings } from '../../src/core/setup-plan.js';

const env: SetupEnvironment = { account: '111122223333', region: 'us-east-1', partition: 'aws' };
const ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';
const settings: SetupSettings = { trailName: 'main', bucket: 'ct-logs' };
const nothing: CurrentState = { bucket: { exists: false } };

function done(s: SetupSettings = settings): CurrentState {
  return {
    bucket: { exists: true, policy: formatPolicy(bucketPolicy({ bucket: s.bucket, account: env.account, trailArn: ARN })), publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } },
    logGroup: { arn: 'arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs-main:*' },
    role: { arn: 'arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role', trust: formatPolicy(assumeRolePolicy({ trailArn: ARN })) },
    rolePolicy: formatPolicy(cloudWatchRolePolicy({ region: 'us-east-1', account: env.account, logGroup: 'aws-cloudtrail-logs-main' })),
    trail: {
      name: 'main', arn: ARN, homeRegion: 'us-east-1', s3BucketName: s.bucket, isMultiRegionTrail: true, includeGlobalServiceEvents: true, logFileValidationEnabled: true,
      cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs-main:*', cloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role',
    },
    selectors: { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] },
    isLogging: true,
  };
}

describe('setup plan', () => {
  it('from nothing: every step is a create, in AWS\'s order, with the console\'s SSE-KMS default', () => {
    const plan = planSetup(settings, env, nothing);
    expect(plan.steps.map((s) => [s.id, s.action])).toEqual([
      ['bucket', 'create'], ['public-access-block', 'create'], ['bucket-policy', 'create'], ['kms-key', 'create'], ['log-group', 'create'], ['role', 'create'],
      ['role-policy', 'create'], ['trail', 'create'], ['event-selectors', 'unchanged'], ['insight-selectors', 'unchanged'], ['tags', 'unchanged'], ['logging', 'create'],
    ]);
    const trail = plan.steps.find((s) => s.id === 'trail')?.operation;
    expect(trail).toEqual({ kind: 'createTrail', input: {
      Name: 'main', S3BucketName: 'ct-logs', IncludeGlobalServiceEvents: true, IsMultiRegionTrail: true, EnableLogFileValidation: true,
      CloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs-main:*',
      CloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role',
      KmsKeyId: 'alias/trailkit/main',
    } });
    expect(plan.steps.find((s) => s.id === 'log-group')?.operation).toEqual({ kind: 'createLogGroup', name: 'aws-cloudtrail-logs-main', tags: {}, kmsKeyRef: 'alias/trailkit/main' });
    const key = plan.steps.find((s) => s.id === 'kms-key')?.operation;
    const keyPolicy = JSON.parse(key?.kind === 'createKmsKey' ? key.policy : '{}') as { Statement: { Sid: string; Principal?: unknown; Condition?: unknown }[] };
    expect(keyPolicy.Statement.find((s) => s.Sid === 'Allow CloudWatch Logs to use the key')).toMatchObject({
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs-main' } },
    });
    const policy = plan.steps.find((s) => s.id === 'bucket-policy');
    const written = JSON.parse(policy?.operation?.kind === 'putBucketPolicy' ? policy.operation.policy : '{}') as { Statement: { Sid: string }[] };
    expect(written.Statement.map((s) => s.Sid)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    expect(policy?.statements).toEqual(written.Statement);
  });

  it('--sse-s3: a new trail without a KMS key, and a log group without one', () => {
    const plan = planSetup({ ...settings, sseS3: true }, env, nothing);
    expect(plan.steps.map((s) => s.id)).not.toContain('kms-key');
    const trail = plan.steps.find((s) => s.id === 'trail')?.operation;
    expect(trail?.kind === 'createTrail' && trail.input.KmsKeyId).toBeUndefined();
    expect(plan.steps.find((s) => s.id === 'log-group')?.operation).toEqual({ kind: 'createLogGroup', name: 'aws-cloudtrail-logs-main', tags: {} });
  });

  it('everything in place: no changes, no operations', () => {
    const plan = planSetup(settings, env, done());
    expect(plan.steps.filter((s) => s.action !== 'unchanged')).toEqual([]);
    expect(plan.steps.every((s) => s.operation === undefined)).toBe(true);
  });

  it('an existing trail keeps settings not asked for and updates only those asked', () => {
    const current = done();
    current.trail = { ...current.trail!, isMultiRegionTrail: false, logFileValidationEnabled: false, s3KeyPrefix: 'old' };
    expect(planSetup(settings, env, current).steps.find((s) => s.id === 'trail')?.action).toBe('unchanged');
    const plan = planSetup({ ...settings, logFileValidation: true, prefix: 'new' }, env, current);
    const trail = plan.steps.find((s) => s.id === 'trail');
    expect(trail?.action).toBe('update');
    expect(trail?.operation).toEqual({ kind: 'updateTrail', input: { Name: 'main', S3BucketName: 'ct-logs', S3KeyPrefix: 'new', EnableLogFileValidation: true } });
    expect(trail?.detail).toContain('S3KeyPrefix "old" -> "new"');
  });

  it('adopts the log group and role an existing trail already uses', () => {
    const current = done();
    current.trail = { ...current.trail!, cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:theirs:*', cloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/TheirRole' };
    current.logGroup = { arn: 'arn:aws:logs:us-east-1:111122223333:log-group:theirs:*' };
    current.role = { arn: 'arn:aws:iam::111122223333:role/TheirRole', trust: formatPolicy(assumeRolePolicy()) };
    current.rolePolicy = formatPolicy(cloudWatchRolePolicy({ region: 'us-east-1', account: env.account, logGroup: 'theirs' }));
    const plan = planSetup(settings, env, current);
    expect(plan.steps.filter((s) => s.action !== 'unchanged').map((s) => s.id)).toEqual([]);
    expect(plan.steps.find((s) => s.id === 'role')?.resource).toBe('arn:aws:iam::111122223333:role/TheirRole');
  });

  it('a bucket with someone else\'s policy: update that keeps it; Block Public Access planned (opt-out: left alone)', () => {
    const foreign = '{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::ct-logs/*"}]}';
    const plan = planSetup(settings, env, { bucket: { exists: true, policy: foreign } });
    const step = plan.steps.find((s) => s.id === 'bucket-policy');
    expect(step?.action).toBe('update');
    expect(step?.operation?.kind === 'putBucketPolicy' && step.operation.policy).toContain('{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::ct-logs/*"}');
    expect(plan.steps.find((s) => s.id === 'public-access-block')).toMatchObject({ action: 'update', operation: { kind: 'putPublicAccessBlock', bucket: 'ct-logs' } });
    const optOut = planSetup({ ...settings, blockPublicAccess: false }, env, { bucket: { exists: true, policy: foreign } });
    expect(optOut.steps.find((s) => s.id === 'public-access-block')).toMatchObject({ action: 'unchanged', detail: expect.stringMatching(/left as it is/) });
  });

  it('KMS, SNS, selectors, insights, tags and retention', () => {
    const want: SetupSettings = {
      ...settings, createKmsKey: true, snsTopic: 'ct', retentionInDays: 90, insights: ['ApiCallRateInsight'], tags: { team: 'sec' },
      advancedEventSelectors: [{ Name: 'm', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
    };
    const fresh = planSetup(want, env, nothing);
    expect(fresh.steps.map((s) => s.id)).toEqual(['bucket', 'public-access-block', 'bucket-policy', 'kms-key', 'sns-topic', 'sns-topic-policy', 'log-group', 'log-group-retention', 'role', 'role-policy', 'trail', 'event-selectors', 'insight-selectors', 'tags', 'logging']);
    const trail = fresh.steps.find((s) => s.id === 'trail')?.operation;
    expect(trail?.kind === 'createTrail' && [trail.input.KmsKeyId, trail.input.SnsTopicName]).toEqual(['alias/trailkit/main', 'ct']);

    const current = done(want);
    current.kmsKey = { arn: 'arn:aws:kms:us-east-1:111122223333:key/k', policy: '{"Version":"2012-10-17","Statement":[]}' };
    current.trail = { ...current.trail!, kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k', snsTopicName: 'ct' };
    current.topic = { arn: 'arn:aws:sns:us-east-1:111122223333:ct' };
    current.logGroup = { ...current.logGroup!, retentionInDays: 30 };
    current.selectors = { advanced: want.advancedEventSelectors! };
    current.insightTypes = ['ApiCallRateInsight'];
    current.trailTags = { team: 'dev' };
    const plan = planSetup(want, env, current);
    expect(plan.steps.filter((s) => s.action !== 'unchanged').map((s) => `${s.id}:${s.action}`)).toEqual([
      'kms-key-policy:update', 'sns-topic-policy:create', 'log-group-retention:update', 'tags:update',
    ]);
    expect(plan.steps.find((s) => s.id === 'tags')?.operation).toEqual({ kind: 'addTags', trailArn: ARN, tags: { team: 'sec' } });
  });

  it('--no-cloudwatch plans no log group or role', () => {
    const plan = planSetup({ ...settings, cloudwatch: false }, env, nothing);
    expect(plan.steps.some((s) => s.id.startsWith('log-group') || s.id.startsWith('role'))).toBe(false);
    const trail = plan.steps.find((s) => s.id === 'trail')?.operation;
    expect(trail?.kind === 'createTrail' && trail.input.CloudWatchLogsRoleArn).toBeUndefined();
  });
});

describe('setup settings from config and flags', () => {
  const warn = () => undefined;
  it('flags override the config; kebab-case keys work; unknown keys are errors', () => {
    const config = normalizeConfig({ 'trail-name': 'main', bucket: 'from-config', 'retention-in-days': 30, tags: { team: 'sec' }, 's3-data-events': ['logs'] }, 'trailkit.yaml');
    const s = resolveSetupSettings(config, { bucket: 'from-flag', managementEvents: 'write' }, 'aws', warn);
    expect(s).toMatchObject({ trailName: 'main', bucket: 'from-flag', retentionInDays: 30, tags: { team: 'sec' } });
    // The flag's selectors replace the config's instead of clashing with them.
    expect(s.advancedEventSelectors?.map((x) => x.Name)).toEqual(['Management events (write only)']);
    expect(() => normalizeConfig({ trailname: 'x' }, 'trailkit.yaml')).toThrow(/trailkit.yaml: unknown setting "trailname"/);
  });
  it('rejects bad values before any call', () => {
    expect(() => resolveSetupSettings({}, { trailName: 'x', bucket: 'b' }, 'aws', warn)).toThrow(/invalid trail name "x"/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'B' }, 'aws', warn)).toThrow(/invalid bucket name "B"/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'bkt', retentionInDays: '2' }, 'aws', warn)).toThrow(/--retention-in-days/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'bkt', kmsKey: 'alias/x', createKmsKey: true }, 'aws', warn)).toThrow(/not both/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'bkt', managementEvents: 'read', insights: 'api-call-rate' }, 'aws', warn)).toThrow(/needs write management events/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'bkt', eventSelectors: [], managementEvents: 'all' }, 'aws', warn)).toThrow(/give only one/);
    expect(() => resolveSetupSettings({}, { trailName: 'main', bucket: 'bkt', organization: true }, 'aws', warn)).toThrow(/organization id/);
  });
});

describe('setup plan: an existing trail as AWS returns it', () => {
  it('a CloudWatch role with an IAM path keeps its real ARN: no update on a re-run', () => {
    const current = done();
    const pathRole = 'arn:aws:iam::111122223333:role/service-role/CT';
    current.trail = { ...current.trail!, cloudWatchLogsRoleArn: pathRole };
    current.role = { arn: pathRole, trust: formatPolicy(assumeRolePolicy({ trailArn: ARN })) };
    const plan = planSetup(settings, env, current);
    expect(plan.steps.filter((s) => s.action !== 'unchanged').map((s) => s.id)).toEqual([]);
    expect(plan.steps.find((s) => s.id === 'role-policy')?.resource).toBe('CT/cloudtrail-policy');
  });

  it('a --role-name that exists under a path: the trail is pointed at its real ARN (from GetRole)', () => {
    const pathRole = 'arn:aws:iam::111122223333:role/service-role/CT';
    const plan = planSetup({ ...settings, roleName: 'CT' }, env, { bucket: { exists: false }, role: { arn: pathRole, trust: formatPolicy(assumeRolePolicy({ trailArn: ARN })) } });
    const trail = plan.steps.find((s) => s.id === 'trail')?.operation;
    expect(trail?.kind === 'createTrail' && trail.input.CloudWatchLogsRoleArn).toBe(pathRole);
    // An existing trail moved to that role is sent the same ARN.
    const current = done();
    current.role = { arn: pathRole, trust: formatPolicy(assumeRolePolicy({ trailArn: ARN })) };
    const update = planSetup({ ...settings, roleName: 'CT' }, env, current).steps.find((s) => s.id === 'trail')?.operation;
    expect(update?.kind === 'updateTrail' && update.input.CloudWatchLogsRoleArn).toBe(pathRole);
  });

  it('the bucket policy follows the trail\'s current S3 key prefix when --prefix is not given', () => {
    const current = done();
    current.trail = { ...current.trail!, s3KeyPrefix: 'p' };
    current.bucket.policy = formatPolicy(bucketPolicy({ bucket: 'ct-logs', prefix: 'p', account: env.account, trailArn: ARN }));
    const plan = planSetup(settings, env, current);
    expect(plan.steps.find((s) => s.id === 'bucket-policy')?.action).toBe('unchanged');
    const fresh = planSetup(settings, env, { ...current, bucket: { exists: true } }).steps.find((s) => s.id === 'bucket-policy')?.operation;
    const doc = JSON.parse(fresh?.kind === 'putBucketPolicy' ? fresh.policy : '{}') as { Statement: { Sid: string; Resource: unknown }[] };
    expect(doc.Statement.find((s) => s.Sid === 'TrailkitCloudTrailWrite')?.Resource).toBe('arn:aws:s3:::ct-logs/p/AWSLogs/111122223333/*');
  });

  it('basic selectors that leave out AWS\'s defaults are the same as what AWS returns', () => {
    const plan = planSetup({ ...settings, eventSelectors: [{ IncludeManagementEvents: true }] }, env, done());
    expect(plan.steps.find((s) => s.id === 'event-selectors')?.action).toBe('unchanged');
    const current = done();
    current.selectors = { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::b/'] }], ExcludeManagementEventSources: [] }] };
    expect(planSetup({ ...settings, eventSelectors: [{ DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::b/'] }] }] }, env, current).steps.find((s) => s.id === 'event-selectors')?.action).toBe('unchanged');
    expect(planSetup({ ...settings, eventSelectors: [{ ReadWriteType: 'WriteOnly' }] }, env, done()).steps.find((s) => s.id === 'event-selectors')?.action).toBe('update');
  });

  it('--insights on a trail whose selectors record no write management events: a usage error before any change', () => {
    const current = done();
    current.selectors = { basic: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
    const want = { ...settings, insights: ['ApiCallRateInsight'] };
    expect(() => planSetup(want, env, current)).toThrow(expect.objectContaining({ code: 'usage', exitCode: 2, message: expect.stringMatching(/--insights needs write management events, but the event selectors of trail main do not record them/) }));
    current.selectors = { advanced: [{ Name: 'data', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }] };
    expect(() => planSetup(want, env, current)).toThrow(/needs write management events/);
    // Selectors asked for in the same run are what counts; turning Insights off needs nothing.
    expect(planSetup({ ...want, eventSelectors: [{ ReadWriteType: 'All' }] }, env, current).steps.find((s) => s.id === 'insight-selectors')?.action).toBe('create');
    expect(() => planSetup({ ...settings, insights: [] }, env, current)).not.toThrow();
    expect(() => planSetup(want, env, nothing)).not.toThrow();
  });
});

describe('setup config values are type-checked', () => {
  const warn = () => undefined;
  it.each([
    ['single-region', 'false', 'true or false', 'the string "false"'],
    ['logFileValidation', 'false', 'true or false', 'the string "false"'],
    ['cloudwatch', 'false', 'true or false', 'the string "false"'],
    ['create-kms-key', 1, 'true or false', 'number 1'],
    ['retention-in-days', '90', 'a whole number', 'the string "90"'],
    ['bucket', 12345, 'a string', 'number 12345'],
    ['prefix', null, 'a string', 'null'],
    ['insights', [1], 'a string or a list of strings', 'a list'],
    ['tags', { team: ['a'] }, 'a mapping of tag keys to values, or a list of KEY=VALUE strings', 'a mapping'],
  ])('%s: %j is refused, naming the file and the key', (key, value, expected, got) => {
    expect(() => normalizeConfig({ 'trail-name': 'main', bucket: 'ct-logs', [key]: value }, 'trailkit.json')).toThrow(`trailkit.json: setting ${JSON.stringify(key)} must be ${expected}, not ${got}`);
  });

  it('real booleans and numbers are taken', () => {
    const config = normalizeConfig({ 'trail-name': 'main', bucket: 'ct-logs', 'single-region': false, 'log-file-validation': true, cloudwatch: true, 'retention-in-days': 90 }, 'trailkit.json');
    expect(resolveSetupSettings(config, {}, 'aws', warn)).toMatchObject({ multiRegion: true, logFileValidation: true, retentionInDays: 90 });
  });

  it('tag values from a mapping may hold commas and equals signs', () => {
    const config = normalizeConfig({ 'trail-name': 'main', bucket: 'ct-logs', tags: { owners: 'alice,bob', query: 'a=b', cost: 1234 } }, 'trailkit.yaml');
    expect(resolveSetupSettings(config, {}, 'aws', warn).tags).toEqual({ owners: 'alice,bob', query: 'a=b', cost: '1234' });
    expect(() => resolveSetupSettings(normalizeConfig({ 'trail-name': 'main', bucket: 'ct-logs', tags: { 'aws:x': 'y' } }, 'f'), {}, 'aws', warn)).toThrow(/the aws: prefix is reserved/);
  });
});
