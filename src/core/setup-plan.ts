/**
 * `trailkit setup` as a pure function: what the user asked for plus what exists now gives an
 * ordered list of steps, each create / update / unchanged, with the call that makes it so.
 * The order is AWS's: bucket policy before CreateTrail (CloudTrail checks it), KMS and SNS
 * policies before the trail uses them, the role and its policy before the trail points at the
 * log group, StartLogging last.
 */
import {
  assumeRolePolicy, cloudWatchRolePolicy, formatPolicy, kmsKeyPolicy, mergeBucketPolicy, mergeBySid,
  mergeKmsKeyPolicy, mergeTrustPolicy, partitionOf, snsTopicPolicy, unionTrailStatements, type ChangeAction, type PolicyDocument,
  type PolicyStatement,
} from './policies.js';
import { usageError } from './errors.js';
import {
  recordsWriteManagementEvents, sameBasicSelectors, sameSelectors, type AdvancedEventSelector, type BasicEventSelector,
} from './event-selectors.js';

export const DEFAULT_ROLE_NAME = 'CloudTrail_CloudWatchLogs_Role';
export const DEFAULT_ROLE_POLICY_NAME = 'cloudtrail-policy';
/** The tag `--create-kms-key` puts on its key, with the trail's name as the value. */
export const KMS_TRAIL_TAG = 'trailkit:trail';

/** What the user asked for; undefined means "not given": keep what exists, or AWS's default on create. */
export interface SetupSettings {
  trailName: string;
  bucket: string;
  prefix?: string;
  multiRegion?: boolean;
  logFileValidation?: boolean;
  kmsKey?: string;
  createKmsKey?: boolean;
  /** Encrypt with SSE-S3 only: no KMS key for a new trail (the console's default is SSE-KMS with a new key). */
  sseS3?: boolean;
  /** false: leave an existing bucket's Block Public Access settings as they are. */
  blockPublicAccess?: boolean;
  /** false: no TrailkitDenyInsecureTransport statement. */
  denyInsecureTransport?: boolean;
  snsTopic?: string;
  /** false: no CloudWatch Logs (an existing wiring is left as it is). */
  cloudwatch?: boolean;
  logGroup?: string;
  roleName?: string;
  retentionInDays?: number;
  organizationId?: string;
  eventSelectors?: BasicEventSelector[];
  advancedEventSelectors?: AdvancedEventSelector[];
  insights?: string[];
  tags?: Record<string, string>;
}

export interface SetupEnvironment {
  account: string;
  region: string;
  partition: string;
}

export interface TrailState {
  name: string;
  arn: string;
  homeRegion?: string;
  s3BucketName?: string;
  s3KeyPrefix?: string;
  snsTopicName?: string;
  includeGlobalServiceEvents?: boolean;
  isMultiRegionTrail?: boolean;
  logFileValidationEnabled?: boolean;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  kmsKeyId?: string;
  isOrganizationTrail?: boolean;
}

export interface PublicAccessBlock {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}

export interface CurrentState {
  bucket: { exists: boolean; policy?: string; publicAccessBlock?: PublicAccessBlock };
  /** The KMS key named by --kms-key or the alias of --create-kms-key, when it exists. */
  kmsKey?: { arn: string; policy?: string };
  topic?: { arn: string; policy?: string };
  logGroup?: { arn: string; retentionInDays?: number };
  role?: { arn: string; trust: string };
  rolePolicy?: string;
  trail?: TrailState;
  selectors?: { basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] };
  insightTypes?: string[];
  trailTags?: Record<string, string>;
  isLogging?: boolean;
}

/** Names derived from the settings and, for an existing trail, from what it already uses. */
export interface ResolvedNames {
  trailArn: string;
  cloudwatch: boolean;
  logGroup: string;
  logGroupArn: string;
  roleName: string;
  roleArn: string;
  kmsKeyRef?: string;
  kmsAlias?: string;
  topicArn?: string;
}

export interface CreateTrailInput {
  Name: string;
  S3BucketName: string;
  S3KeyPrefix?: string;
  SnsTopicName?: string;
  IncludeGlobalServiceEvents?: boolean;
  IsMultiRegionTrail?: boolean;
  EnableLogFileValidation?: boolean;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
  KmsKeyId?: string;
  IsOrganizationTrail?: boolean;
}

export type SetupOperation =
  | { kind: 'createBucket'; bucket: string; region: string }
  | { kind: 'putPublicAccessBlock'; bucket: string }
  | { kind: 'putBucketPolicy'; bucket: string; policy: string }
  /** Tags include KMS_TRAIL_TAG, by which a run finds a key an earlier run made but could not alias. */
  | { kind: 'createKmsKey'; alias: string; policy: string; tags: Record<string, string> }
  | { kind: 'putKeyPolicy'; keyId: string; policy: string }
  | { kind: 'createTopic'; name: string; tags: Record<string, string> }
  /** Merged with the topic's policy as read at apply time (a new topic has SNS's default one). */
  | { kind: 'mergeTopicPolicy'; topicArn: string; desired: PolicyDocument }
  /** kmsKeyRef: the trail's key (an alias is resolved to its ARN when applied). */
  | { kind: 'createLogGroup'; name: string; tags: Record<string, string>; kmsKeyRef?: string }
  | { kind: 'putRetentionPolicy'; name: string; days: number }
  | { kind: 'createRole'; name: string; trust: string; tags: Record<string, string> }
  | { kind: 'updateAssumeRolePolicy'; name: string; trust: string }
  | { kind: 'putRolePolicy'; roleName: string; policyName: string; policy: string }
  | { kind: 'createTrail'; input: CreateTrailInput }
  | { kind: 'updateTrail'; input: CreateTrailInput }
  | { kind: 'putEventSelectors'; trailName: string; basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] }
  | { kind: 'putInsightSelectors'; trailName: string; types: string[] }
  | { kind: 'addTags'; trailArn: string; tags: Record<string, string> }
  | { kind: 'startLogging'; trailName: string };

export interface SetupStep {
  /** Stable id: bucket, public-access-block, bucket-policy, kms-key, ... logging. */
  id: string;
  resource: string;
  action: ChangeAction;
  detail: string;
  operation?: SetupOperation;
  /** Policy statements this step adds or widens, shown with the plan. */
  statements?: PolicyStatement[];
}

export interface SetupPlan {
  trailName: string;
  trailArn: string;
  region: string;
  account: string;
  steps: SetupStep[];
}

const ALL_BLOCKED: Required<PublicAccessBlock> = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

function nameFromArn(arn: string, marker: string): string | undefined {
  const at = arn.indexOf(marker);
  if (at < 0) return undefined;
  return arn.slice(at + marker.length).replace(/:\*$/, '').split('/').pop();
}

function logGroupNameFromArn(arn: string): string | undefined {
  const m = /:log-group:([^:]+)(?::\*)?$/.exec(arn);
  return m?.[1];
}

export function logGroupArn(env: SetupEnvironment, name: string): string {
  return `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${name}:*`;
}

/** The alias of the key `--create-kms-key` makes, so a re-run finds it. */
export function kmsAliasFor(trailName: string): string {
  return `alias/trailkit/${trailName.replace(/[^A-Za-z0-9/_-]/g, '-')}`;
}

export function resolveNames(settings: SetupSettings, env: SetupEnvironment, trail: TrailState | undefined): ResolvedNames {
  const trailArn = trail?.arn ?? `arn:${env.partition}:cloudtrail:${env.region}:${env.account}:trail/${settings.trailName}`;
  const fromTrailGroup = trail?.cloudWatchLogsLogGroupArn === undefined ? undefined : logGroupNameFromArn(trail.cloudWatchLogsLogGroupArn);
  const fromTrailRole = trail?.cloudWatchLogsRoleArn === undefined ? undefined : nameFromArn(trail.cloudWatchLogsRoleArn, ':role/');
  const logGroup = settings.logGroup ?? fromTrailGroup ?? `aws-cloudtrail-logs-${settings.trailName}`;
  const roleName = settings.roleName ?? fromTrailRole ?? DEFAULT_ROLE_NAME;
  // A role's ARN holds its IAM path (role/service-role/NAME): take the trail's own ARN for the
  // role it already uses; a role trailkit creates has no path.
  const roleArn = fromTrailRole !== undefined && fromTrailRole === roleName && trail?.cloudWatchLogsRoleArn !== undefined
    ? trail.cloudWatchLogsRoleArn
    : `arn:${env.partition}:iam::${env.account}:role/${roleName}`;
  const out: ResolvedNames = {
    trailArn,
    cloudwatch: settings.cloudwatch !== false,
    logGroup,
    logGroupArn: logGroupArn(env, logGroup),
    roleName,
    roleArn,
  };
  // The console's default for a new trail: SSE-KMS with a new key (--sse-s3 opts out).
  const newKey = settings.createKmsKey === true || (trail === undefined && settings.kmsKey === undefined && settings.sseS3 !== true);
  if (newKey) {
    out.kmsAlias = kmsAliasFor(settings.trailName);
    out.kmsKeyRef = out.kmsAlias;
  } else if (settings.kmsKey !== undefined) {
    out.kmsKeyRef = settings.kmsKey;
  }
  if (settings.snsTopic !== undefined) out.topicArn = `arn:${env.partition}:sns:${env.region}:${env.account}:${settings.snsTopic}`;
  return out;
}

function sameLogGroupArn(a: string | undefined, b: string | undefined): boolean {
  const strip = (s: string | undefined) => s?.replace(/:\*$/, '');
  return strip(a) === strip(b);
}

/** KmsKeyId as GetTrail returns it (a key ARN) against what we would send (a key ARN or alias). */
function sameKey(current: string | undefined, desiredArn: string | undefined, desiredRef: string | undefined): boolean {
  if (current === undefined) return false;
  return current === desiredArn || current === desiredRef || (desiredRef !== undefined && current.endsWith(`:${desiredRef}`));
}

function step(id: string, resource: string, action: ChangeAction, detail: string, operation?: SetupOperation): SetupStep {
  return operation === undefined || action === 'unchanged' ? { id, resource, action, detail } : { id, resource, action, detail, operation };
}

function tagsOf(settings: SetupSettings): Record<string, string> {
  return settings.tags ?? {};
}

/** The ordered steps that bring `current` to what `settings` ask for. */
export function planSetup(settings: SetupSettings, env: SetupEnvironment, current: CurrentState): SetupPlan {
  const resolved = resolveNames(settings, env, current.trail);
  // The role's real ARN (with its IAM path) when it exists.
  const names: ResolvedNames = current.role === undefined || current.role.arn === '' ? resolved : { ...resolved, roleArn: current.role.arn };
  const effectiveSelectors = settings.advancedEventSelectors !== undefined || settings.eventSelectors !== undefined
    ? { ...(settings.advancedEventSelectors === undefined ? {} : { advanced: settings.advancedEventSelectors }), ...(settings.eventSelectors === undefined ? {} : { basic: settings.eventSelectors }) }
    : current.selectors ?? {};
  if ((settings.insights?.length ?? 0) > 0 && !recordsWriteManagementEvents(effectiveSelectors)) {
    throw usageError(
      `--insights needs write management events, but the event selectors of trail ${settings.trailName} do not record them`,
      'add --management-events all (or write) to the same command',
    );
  }
  const steps: SetupStep[] = [];
  const bucket = settings.bucket;
  const org = settings.organizationId;

  // S3 bucket, public access, policy.
  steps.push(current.bucket.exists
    ? step('bucket', `s3://${bucket}`, 'unchanged', 'exists')
    : step('bucket', `s3://${bucket}`, 'create', `CreateBucket in ${env.region}`, { kind: 'createBucket', bucket, region: env.region }));
  if (!current.bucket.exists) {
    steps.push(step('public-access-block', `s3://${bucket}`, 'create', 'block all public access', { kind: 'putPublicAccessBlock', bucket }));
  } else {
    const pab = current.bucket.publicAccessBlock ?? {};
    const off = Object.keys(ALL_BLOCKED).filter((k) => pab[k as keyof PublicAccessBlock] !== true);
    if (off.length === 0) steps.push(step('public-access-block', `s3://${bucket}`, 'unchanged', 'all public access blocked'));
    else if (settings.blockPublicAccess === false) steps.push(step('public-access-block', `s3://${bucket}`, 'unchanged', `${off.join(', ')} off; left as it is (--no-block-public-access)`));
    else steps.push(step('public-access-block', `s3://${bucket}`, 'update', `turn on ${off.join(', ')} (--no-block-public-access leaves them)`, { kind: 'putPublicAccessBlock', bucket }));
  }
  // The prefix the trail will write under: the one asked for, else the one it already has.
  const prefix = settings.prefix ?? current.trail?.s3KeyPrefix;
  const bucketMerge = mergeBucketPolicy(current.bucket.policy, {
    bucket, account: env.account, trailArn: names.trailArn, partition: env.partition,
    ...(prefix === undefined ? {} : { prefix }),
    ...(org === undefined ? {} : { organizationId: org }),
    ...(settings.denyInsecureTransport === false ? { denyInsecureTransport: false } : {}),
  });
  const bucketDetail = [describeMerge(bucketMerge.statements, current.bucket.policy !== undefined), ...bucketMerge.notes].join('; ');
  const bucketStep = step('bucket-policy', `s3://${bucket}`, bucketMerge.action, bucketDetail, { kind: 'putBucketPolicy', bucket, policy: bucketMerge.text });
  if (bucketMerge.written.length > 0) bucketStep.statements = bucketMerge.written;
  steps.push(bucketStep);

  // KMS key and its policy.
  if (names.kmsKeyRef !== undefined) {
    const keyPolicy = kmsKeyPolicy({
      account: env.account, trailArn: names.trailArn, partition: env.partition,
      ...(names.cloudwatch ? { logGroupArn: names.logGroupArn.replace(/:\*$/, ''), region: env.region } : {}),
    });
    if (current.kmsKey === undefined) {
      // Only --create-kms-key gets here: a missing --kms-key is an error when the state is read.
      steps.push(step('kms-key', names.kmsAlias ?? names.kmsKeyRef, 'create', 'CreateKey with the CloudTrail key policy (or the key an earlier run made), then CreateAlias', {
        kind: 'createKmsKey', alias: names.kmsAlias ?? names.kmsKeyRef, policy: formatPolicy(keyPolicy), tags: { ...tagsOf(settings), [KMS_TRAIL_TAG]: settings.trailName },
      }));
    } else {
      steps.push(step('kms-key', current.kmsKey.arn, 'unchanged', 'exists'));
      const merge = mergeKmsKeyPolicy(current.kmsKey.policy, keyPolicy);
      steps.push(step('kms-key-policy', current.kmsKey.arn, merge.action, describeMerge(merge.statements, true), { kind: 'putKeyPolicy', keyId: current.kmsKey.arn, policy: merge.text }));
    }
  }

  // SNS topic and its policy.
  if (settings.snsTopic !== undefined && names.topicArn !== undefined) {
    const desired = snsTopicPolicy({ topicArn: names.topicArn, trailArn: names.trailArn });
    if (current.topic === undefined) {
      steps.push(step('sns-topic', names.topicArn, 'create', 'CreateTopic', { kind: 'createTopic', name: settings.snsTopic, tags: tagsOf(settings) }));
      steps.push(step('sns-topic-policy', names.topicArn, 'create', 'add AWSCloudTrailSNSPolicy20150319 to the new topic\'s policy', { kind: 'mergeTopicPolicy', topicArn: names.topicArn, desired }));
    } else {
      steps.push(step('sns-topic', current.topic.arn, 'unchanged', 'exists'));
      const merge = mergeBySid(current.topic.policy, desired, { combine: unionTrailStatements });
      steps.push(step('sns-topic-policy', current.topic.arn, merge.action, describeMerge(merge.statements, true), { kind: 'mergeTopicPolicy', topicArn: current.topic.arn, desired }));
    }
  }

  // CloudWatch Logs: log group, role, role policy.
  if (names.cloudwatch) {
    if (current.logGroup === undefined) {
      steps.push(step('log-group', names.logGroup, 'create', names.kmsKeyRef === undefined ? 'CreateLogGroup' : `CreateLogGroup, encrypted with ${names.kmsKeyRef}`, {
        kind: 'createLogGroup', name: names.logGroup, tags: tagsOf(settings), ...(names.kmsKeyRef === undefined ? {} : { kmsKeyRef: names.kmsKeyRef }),
      }));
      if (settings.retentionInDays !== undefined) steps.push(step('log-group-retention', names.logGroup, 'create', `${settings.retentionInDays} days`, { kind: 'putRetentionPolicy', name: names.logGroup, days: settings.retentionInDays }));
    } else {
      steps.push(step('log-group', names.logGroup, 'unchanged', 'exists'));
      if (settings.retentionInDays !== undefined) {
        const same = current.logGroup.retentionInDays === settings.retentionInDays;
        steps.push(step('log-group-retention', names.logGroup, same ? 'unchanged' : 'update', same ? `${settings.retentionInDays} days` : `${current.logGroup.retentionInDays ?? 'never expire'} -> ${settings.retentionInDays} days`, { kind: 'putRetentionPolicy', name: names.logGroup, days: settings.retentionInDays }));
      }
    }
    if (current.role === undefined) {
      const trust = formatPolicy(assumeRolePolicy({ trailArn: names.trailArn }));
      steps.push(step('role', names.roleName, 'create', 'CreateRole trusted by cloudtrail.amazonaws.com for this trail', { kind: 'createRole', name: names.roleName, trust, tags: tagsOf(settings) }));
    } else {
      const merge = mergeTrustPolicy(current.role.trust, names.trailArn);
      steps.push(step('role', current.role.arn, merge.action, merge.action === 'unchanged' ? 'exists; trusts CloudTrail' : 'add a statement trusting CloudTrail for this trail', { kind: 'updateAssumeRolePolicy', name: names.roleName, trust: merge.text }));
    }
    const rolePolicy = cloudWatchRolePolicy({ region: env.region, account: env.account, logGroup: names.logGroup, partition: env.partition, ...(org === undefined ? {} : { organizationId: org }) });
    const merge = mergeBySid(current.rolePolicy, rolePolicy, { combine: unionTrailStatements });
    steps.push(step('role-policy', `${names.roleName}/${DEFAULT_ROLE_POLICY_NAME}`, merge.action, describeMerge(merge.statements, current.rolePolicy !== undefined), { kind: 'putRolePolicy', roleName: names.roleName, policyName: DEFAULT_ROLE_POLICY_NAME, policy: merge.text }));
  }

  // The trail.
  const kmsArn = current.kmsKey?.arn;
  if (current.trail === undefined) {
    const multi = settings.multiRegion ?? true;
    const input: CreateTrailInput = {
      Name: settings.trailName,
      S3BucketName: bucket,
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: multi,
      EnableLogFileValidation: settings.logFileValidation ?? true,
    };
    if (settings.prefix !== undefined) input.S3KeyPrefix = settings.prefix;
    if (settings.snsTopic !== undefined) input.SnsTopicName = settings.snsTopic;
    if (names.cloudwatch) {
      input.CloudWatchLogsLogGroupArn = names.logGroupArn;
      input.CloudWatchLogsRoleArn = names.roleArn;
    }
    if (names.kmsKeyRef !== undefined) input.KmsKeyId = kmsArn ?? names.kmsKeyRef;
    if (org !== undefined) input.IsOrganizationTrail = true;
    steps.push(step('trail', names.trailArn, 'create', `CreateTrail (${multi ? 'all regions' : `${env.region} only`}, log file validation ${input.EnableLogFileValidation === true ? 'on' : 'off'})`, { kind: 'createTrail', input }));
  } else {
    const trail = current.trail;
    const input: CreateTrailInput = { Name: settings.trailName, S3BucketName: bucket };
    const changes: string[] = [];
    const change = (label: string, from: unknown, to: unknown) => changes.push(`${label} ${JSON.stringify(from ?? null)} -> ${JSON.stringify(to)}`);
    if (trail.s3BucketName !== bucket) change('S3BucketName', trail.s3BucketName, bucket);
    if (settings.prefix !== undefined && (trail.s3KeyPrefix ?? '') !== settings.prefix) {
      input.S3KeyPrefix = settings.prefix;
      change('S3KeyPrefix', trail.s3KeyPrefix, settings.prefix);
    }
    if (settings.multiRegion !== undefined && trail.isMultiRegionTrail !== settings.multiRegion) {
      input.IsMultiRegionTrail = settings.multiRegion;
      change('IsMultiRegionTrail', trail.isMultiRegionTrail, settings.multiRegion);
      if (settings.multiRegion && trail.includeGlobalServiceEvents !== true) {
        input.IncludeGlobalServiceEvents = true;
        change('IncludeGlobalServiceEvents', trail.includeGlobalServiceEvents, true);
      }
    }
    if (settings.logFileValidation !== undefined && trail.logFileValidationEnabled !== settings.logFileValidation) {
      input.EnableLogFileValidation = settings.logFileValidation;
      change('LogFileValidationEnabled', trail.logFileValidationEnabled, settings.logFileValidation);
    }
    if (settings.snsTopic !== undefined && trail.snsTopicName !== settings.snsTopic && trail.snsTopicName !== names.topicArn) {
      input.SnsTopicName = settings.snsTopic;
      change('SnsTopicName', trail.snsTopicName, settings.snsTopic);
    }
    if (names.kmsKeyRef !== undefined && !sameKey(trail.kmsKeyId, kmsArn, names.kmsKeyRef)) {
      input.KmsKeyId = kmsArn ?? names.kmsKeyRef;
      change('KmsKeyId', trail.kmsKeyId, input.KmsKeyId);
    }
    if (names.cloudwatch && (!sameLogGroupArn(trail.cloudWatchLogsLogGroupArn, names.logGroupArn) || trail.cloudWatchLogsRoleArn !== names.roleArn)) {
      input.CloudWatchLogsLogGroupArn = names.logGroupArn;
      input.CloudWatchLogsRoleArn = names.roleArn;
      change('CloudWatchLogs', trail.cloudWatchLogsLogGroupArn, names.logGroupArn);
    }
    if (org !== undefined && trail.isOrganizationTrail !== true) {
      input.IsOrganizationTrail = true;
      change('IsOrganizationTrail', trail.isOrganizationTrail, true);
    }
    steps.push(changes.length === 0
      ? step('trail', trail.arn, 'unchanged', 'settings as asked')
      : step('trail', trail.arn, 'update', `UpdateTrail: ${changes.join('; ')}`, { kind: 'updateTrail', input }));
  }

  // Event selectors, Insights, tags, logging.
  const wantAdvanced = settings.advancedEventSelectors;
  const wantBasic = settings.eventSelectors;
  if (wantAdvanced === undefined && wantBasic === undefined) {
    steps.push(step('event-selectors', names.trailArn, 'unchanged', current.trail === undefined ? 'trail default: all management events' : 'not asked for: kept as they are'));
  } else {
    const now = current.selectors ?? { basic: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
    const same = wantAdvanced !== undefined
      ? (now.advanced?.length ?? 0) > 0 && sameSelectors(now.advanced, wantAdvanced)
      : (now.advanced?.length ?? 0) === 0 && sameBasicSelectors(now.basic, wantBasic);
    const op: SetupOperation = wantAdvanced !== undefined
      ? { kind: 'putEventSelectors', trailName: settings.trailName, advanced: wantAdvanced }
      : { kind: 'putEventSelectors', trailName: settings.trailName, basic: wantBasic ?? [] };
    const count = wantAdvanced?.length ?? wantBasic?.length ?? 0;
    steps.push(step('event-selectors', names.trailArn, same ? 'unchanged' : current.trail === undefined ? 'create' : 'update', `${count} ${wantAdvanced !== undefined ? 'advanced' : 'basic'} selector(s)`, op));
  }
  if (settings.insights === undefined) {
    steps.push(step('insight-selectors', names.trailArn, 'unchanged', 'not asked for: kept as they are'));
  } else {
    const have = [...new Set(current.insightTypes ?? [])].sort();
    const want = [...new Set(settings.insights)].sort();
    const same = have.join(',') === want.join(',');
    steps.push(step('insight-selectors', names.trailArn, same ? 'unchanged' : have.length === 0 ? 'create' : 'update', want.length === 0 ? 'none' : want.join(', '), { kind: 'putInsightSelectors', trailName: settings.trailName, types: want }));
  }
  const tags = tagsOf(settings);
  const missing: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (current.trailTags?.[k] !== v) missing[k] = v;
  const tagCount = Object.keys(missing).length;
  steps.push(Object.keys(tags).length === 0
    ? step('tags', names.trailArn, 'unchanged', 'none asked for')
    : step('tags', names.trailArn, tagCount === 0 ? 'unchanged' : current.trail === undefined ? 'create' : 'update', tagCount === 0 ? `${Object.keys(tags).length} tag(s) set` : Object.entries(missing).map(([k, v]) => `${k}=${v}`).join(', '), { kind: 'addTags', trailArn: names.trailArn, tags: missing }));
  steps.push(current.isLogging === true
    ? step('logging', names.trailArn, 'unchanged', 'logging is on')
    : step('logging', names.trailArn, current.trail === undefined ? 'create' : 'update', 'StartLogging', { kind: 'startLogging', trailName: settings.trailName }));

  return { trailName: settings.trailName, trailArn: names.trailArn, region: env.region, account: env.account, steps };
}

function describeMerge(statements: { sid: string; action: ChangeAction }[], existing = false): string {
  const changed = statements.filter((s) => s.action !== 'unchanged');
  if (changed.length === 0) return 'has the CloudTrail statements';
  const list = changed.map((s) => `${s.action === 'create' ? 'add' : 'update'} ${s.sid === '' ? 'statement' : s.sid}`).join(', ');
  return changed.length < statements.length || existing ? `${list}; other statements kept` : list;
}

export function planCounts(plan: SetupPlan): Record<ChangeAction, number> {
  const out: Record<ChangeAction, number> = { create: 0, update: 0, unchanged: 0 };
  for (const s of plan.steps) out[s.action]++;
  return out;
}

export function planChanges(plan: SetupPlan): boolean {
  return plan.steps.some((s) => s.action !== 'unchanged');
}

export { partitionOf };
