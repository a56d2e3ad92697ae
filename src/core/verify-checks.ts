import { CIS_METRIC_FILTER_VARIANTS } from './cis-metric-filter-variants.js';
import { publicStatements } from './bucket-public-access.js';
import { CIS_PRESETS } from './cis-presets.js';
import { formDifference, normalizePattern, sameNormalForm, type NormalForm } from './filter-pattern-equivalence.js';
import {
  allowingStatements,
  parsePolicy,
  principalIncludesService,
  statementsOf,
  wildcardMatch,
  type PolicyDocument,
  type PolicyStatement,
} from './policy-analysis.js';

/**
 * `trailkit verify`: the checks of SPEC section 8 as pure functions of the evidence gathered from
 * AWS. Each check has a stable id, a status, the evidence it saw and the command that fixes it.
 */

export const CHECK_IDS = [
  'trail-exists',
  'logging',
  'multi-region',
  'global-service-events',
  'log-file-validation',
  'kms-encryption',
  'cloudwatch-logs',
  'cloudwatch-logs-delivery',
  'log-group-encryption',
  'log-group-retention',
  'management-events',
  's3-data-events',
  'insights',
  'bucket-policy',
  'bucket-public-access',
  'bucket-access-logging',
  'bucket-versioning',
  'bucket-delete-protection',
  'delivery-health',
  'integrity',
  'cis-metric-filters',
] as const;

/** The trail checks, and `verify --account`'s (src/core/account-coverage.ts). */
export type CheckId = (typeof CHECK_IDS)[number] | 'account-regions-covered';
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: CheckId;
  readonly status: CheckStatus;
  readonly message: string;
  readonly evidence: Record<string, unknown>;
  readonly remediation?: string;
}

/** What one AWS look-up gave: its value, or why there is none (the IAM action it lacked). */
export type Probe<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly denied?: string; readonly error: string };

export interface TrailInfo {
  name: string;
  arn: string;
  homeRegion: string;
  s3BucketName?: string;
  s3KeyPrefix?: string;
  isMultiRegionTrail?: boolean;
  includeGlobalServiceEvents?: boolean;
  logFileValidationEnabled?: boolean;
  kmsKeyId?: string;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  isOrganizationTrail?: boolean;
  hasCustomEventSelectors?: boolean;
}

export interface TrailStatusInfo {
  isLogging?: boolean;
  latestDeliveryError?: string;
  latestDigestDeliveryError?: string;
  latestCloudWatchLogsDeliveryError?: string;
  latestDeliveryTime?: number;
  latestCloudWatchLogsDeliveryTime?: number;
  startLoggingTime?: number;
}

export interface LogGroupInfo {
  kmsKeyId?: string;
  /** Absent: the events never expire. */
  retentionInDays?: number;
}

export interface BucketVersioningInfo {
  /** `Enabled`, `Suspended`, or absent when versioning was never turned on. */
  status?: string;
  mfaDelete?: string;
}

export interface ObjectLockInfo {
  enabled: boolean;
  mode?: string;
  days?: number;
  years?: number;
}

export interface BasicSelector {
  ReadWriteType?: string;
  IncludeManagementEvents?: boolean;
  DataResources?: { Type?: string; Values?: string[] }[];
  ExcludeManagementEventSources?: string[];
}

export interface AdvancedSelector {
  Name?: string;
  FieldSelectors?: { Field?: string; Equals?: string[]; NotEquals?: string[]; StartsWith?: string[]; NotStartsWith?: string[]; EndsWith?: string[]; NotEndsWith?: string[] }[];
}

export interface SelectorsInfo {
  basic: BasicSelector[];
  advanced: AdvancedSelector[];
}

export interface PublicAccessBlockInfo {
  blockPublicAcls?: boolean;
  ignorePublicAcls?: boolean;
  blockPublicPolicy?: boolean;
  restrictPublicBuckets?: boolean;
}

export interface RoleInfo {
  arn: string;
  trustPolicy?: string;
  /** Inline and attached permission policy documents. */
  policies: string[];
}

export interface MetricFilterInfo {
  name: string;
  pattern: string;
  metricName?: string;
  metricNamespace?: string;
}

export interface AlarmInfo {
  name: string;
  metricName?: string;
  namespace?: string;
  actions: string[];
  /** ActionsEnabled: false means the alarm changes state but runs none of its actions. */
  actionsEnabled?: boolean;
}

/** One subscription of an SNS topic; a pending one has `PendingConfirmation` for its ARN. */
export interface SubscriptionInfo {
  arn: string;
  protocol?: string;
}

export interface IntegrityInfo {
  digestsValid: number;
  digestsInvalid: number;
  logsValid: number;
  logsInvalid: number;
  unreferenced: number;
  /** The first few problems, one line each. */
  problems: string[];
}

export interface TrailEvidence {
  /** The name or ARN the user gave. */
  readonly trailRef: string;
  readonly accountId?: string;
  readonly now: number;
  readonly trail: Probe<TrailInfo | undefined>;
  readonly status?: Probe<TrailStatusInfo>;
  readonly selectors?: Probe<SelectorsInfo>;
  /** HeadBucket: false when the trail's bucket does not exist. */
  readonly bucketExists?: Probe<boolean>;
  readonly bucketPolicy?: Probe<string | undefined>;
  readonly bucketVersioning?: Probe<BucketVersioningInfo>;
  readonly objectLock?: Probe<ObjectLockInfo | undefined>;
  /** DescribeLogGroups for the trail's log group; undefined when it does not exist. */
  readonly logGroup?: Probe<LogGroupInfo | undefined>;
  /** GetInsightSelectors: the Insights types turned on. */
  readonly insightTypes?: Probe<string[]>;
  readonly publicAccessBlock?: Probe<PublicAccessBlockInfo | undefined>;
  readonly bucketPolicyIsPublic?: Probe<boolean | undefined>;
  readonly bucketAclPublicGrants?: Probe<string[]>;
  readonly bucketLogging?: Probe<{ targetBucket?: string } | undefined>;
  readonly logGroupExists?: Probe<boolean>;
  readonly role?: Probe<RoleInfo | undefined>;
  readonly metricFilters?: Probe<MetricFilterInfo[]>;
  readonly alarms?: Probe<AlarmInfo[]>;
  /** The subscriptions of each SNS topic an alarm on a metric filter's metric notifies. */
  readonly topicSubscriptions?: Readonly<Record<string, Probe<SubscriptionInfo[]>>>;
  readonly integrity?: Probe<IntegrityInfo | undefined>;
  readonly integrityHours: number;
}

const CLOUDTRAIL = 'cloudtrail.amazonaws.com';

/** The partition of an ARN (`aws`, `aws-us-gov`, `aws-cn`). */
function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

/** A logging trail delivers about every 5 minutes; this much silence means something is wrong. */
const DELIVERY_STALE_MS = 2 * 60 * 60 * 1000;
/** A trail that just started logging has not delivered yet. */
const FIRST_DELIVERY_GRACE_MS = 20 * 60 * 1000;

function result(id: CheckId, status: CheckStatus, message: string, evidence: Record<string, unknown> = {}, remediation?: string): CheckResult {
  return remediation === undefined ? { id, status, message, evidence } : { id, status, message, evidence, remediation };
}

function skipped<T>(id: CheckId, probe: Probe<T> | undefined, what: string): CheckResult | undefined {
  if (probe === undefined) return result(id, 'skip', `${what} was not looked up`);
  if (probe.ok) return undefined;
  if (probe.denied !== undefined) return result(id, 'skip', `not allowed to read ${what}: needs ${probe.denied}`, { error: probe.error });
  return result(id, 'skip', `could not read ${what}: ${probe.error}`);
}

/**
 * How a statement's confused-deputy condition relates to this trail: `none` (no aws:SourceArn or
 * aws:SourceAccount), `this-trail` (a value that matches the trail ARN or account, wildcards
 * allowed), or `other` (it names only other trails, so CloudTrail is refused for this one).
 */
export function sourceCondition(statement: PolicyStatement, trailArn: string, account: string): 'none' | 'this-trail' | 'other' {
  let found = false;
  for (const block of Object.values(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(block ?? {})) {
      const lower = key.toLowerCase();
      if (lower !== 'aws:sourcearn' && lower !== 'aws:sourceaccount') continue;
      found = true;
      const wanted = lower === 'aws:sourcearn' ? trailArn : account;
      const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
      if (values.some((v) => wildcardMatch(v, wanted))) return 'this-trail';
    }
  }
  return found ? 'other' : 'none';
}

/** Evaluates every check; `only`/`skip` select by id. */
export function evaluateChecks(evidence: TrailEvidence): CheckResult[] {
  const ref = evidence.trailRef;
  const out: CheckResult[] = [];
  const trailProbe = evidence.trail;
  if (!trailProbe.ok) {
    const skip = skipped('trail-exists', trailProbe, 'the trail');
    out.push(skip as CheckResult);
    for (const id of CHECK_IDS.slice(1)) out.push(result(id, 'skip', 'the trail could not be read'));
    return out;
  }
  const trail = trailProbe.value;
  if (trail === undefined) {
    out.push(result('trail-exists', 'fail', `no trail named ${ref}`, { trail: ref }, `trailkit setup --trail-name ${ref} --bucket BUCKET`));
    for (const id of CHECK_IDS.slice(1)) out.push(result(id, 'skip', 'the trail does not exist'));
    return out;
  }
  const name = trail.name;
  const account = evidence.accountId ?? trail.arn.split(':')[4] ?? 'ACCOUNT';
  out.push(result('trail-exists', 'pass', `trail ${trail.arn}`, { arn: trail.arn, homeRegion: trail.homeRegion, bucket: trail.s3BucketName }));
  out.push(loggingCheck(evidence, name));
  out.push(flagCheck('multi-region', trail.isMultiRegionTrail, 'the trail logs every region', 'the trail logs one region only', `trailkit update-trail --name ${name} --is-multi-region-trail`));
  out.push(flagCheck('global-service-events', trail.includeGlobalServiceEvents, 'global service events (IAM, STS, CloudFront) are logged', 'global service events (IAM, STS, CloudFront) are not logged', `trailkit update-trail --name ${name} --include-global-service-events`));
  out.push(flagCheck('log-file-validation', trail.logFileValidationEnabled, 'log file validation is on (digest files are delivered)', 'log file validation is off: tampering cannot be detected', `trailkit update-trail --name ${name} --enable-log-file-validation`));
  out.push(
    trail.kmsKeyId !== undefined && trail.kmsKeyId !== ''
      ? result('kms-encryption', 'pass', `logs are encrypted with ${trail.kmsKeyId}`, { kmsKeyId: trail.kmsKeyId })
      : result('kms-encryption', 'fail', 'logs are not encrypted with a KMS key (SSE-S3 only)', {}, `trailkit setup --trail-name ${name} --bucket ${trail.s3BucketName ?? 'BUCKET'} --create-kms-key`),
  );
  out.push(cloudWatchCheck(evidence, trail, account));
  out.push(cloudWatchDeliveryCheck(evidence, trail));
  out.push(logGroupEncryptionCheck(evidence, trail));
  out.push(logGroupRetentionCheck(evidence, trail));
  out.push(managementEventsCheck(evidence, trail));
  out.push(s3DataEventsCheck(evidence, trail));
  out.push(insightsCheck(evidence, trail));
  const missing = missingBucket(evidence, trail);
  out.push(missing?.('bucket-policy') ?? bucketPolicyCheck(evidence, trail, account));
  out.push(missing?.('bucket-public-access') ?? publicAccessCheck(evidence, trail));
  out.push(missing?.('bucket-access-logging') ?? accessLoggingCheck(evidence, trail));
  out.push(missing?.('bucket-versioning') ?? versioningCheck(evidence, trail));
  out.push(missing?.('bucket-delete-protection') ?? deleteProtectionCheck(evidence, trail));
  out.push(deliveryHealthCheck(evidence, trail));
  out.push(integrityCheck(evidence, trail));
  out.push(cisMetricFiltersCheck(evidence, trail));
  return out;
}

function flagCheck(id: CheckId, value: boolean | undefined, passMessage: string, failMessage: string, remediation: string): CheckResult {
  return value === true ? result(id, 'pass', passMessage, { value }) : result(id, 'fail', failMessage, { value: value ?? null }, remediation);
}

function loggingCheck(evidence: TrailEvidence, name: string): CheckResult {
  const skip = skipped('logging', evidence.status, 'the trail status');
  if (skip !== undefined) return skip;
  const status = (evidence.status as { value: TrailStatusInfo }).value;
  return status.isLogging === true
    ? result('logging', 'pass', 'the trail is logging', { isLogging: true })
    : result('logging', 'fail', 'the trail is not logging (StopLogging was called, or logging never started)', { isLogging: status.isLogging ?? null }, `aws cloudtrail start-logging --name ${name} (or re-run trailkit setup)`);
}

function cloudWatchCheck(evidence: TrailEvidence, trail: TrailInfo, account: string): CheckResult {
  const id: CheckId = 'cloudwatch-logs';
  const groupArn = trail.cloudWatchLogsLogGroupArn;
  const fix = `trailkit create-log-group --log-group-name aws-cloudtrail-logs-${trail.name} && trailkit create-role && trailkit put-role-policy --role-name CloudTrail_CloudWatchLogs_Role --log-group-name aws-cloudtrail-logs-${trail.name} && trailkit update-trail --name ${trail.name} --cloud-watch-logs-log-group-arn ARN --cloud-watch-logs-role-arn ROLE_ARN`;
  if (groupArn === undefined || groupArn === '') return result(id, 'fail', 'the trail does not send events to CloudWatch Logs', {}, fix);
  const groupName = /:log-group:([^:]+)/.exec(groupArn)?.[1] ?? groupArn;
  const region = groupArn.split(':')[3] ?? trail.homeRegion;
  const problems: string[] = [];
  const evidenceOut: Record<string, unknown> = { logGroupArn: groupArn, roleArn: trail.cloudWatchLogsRoleArn };
  const exists = skipped(id, evidence.logGroupExists, 'the log group');
  if (exists !== undefined) return exists;
  if ((evidence.logGroupExists as { value: boolean }).value !== true) problems.push(`log group ${groupName} does not exist`);
  const roleSkip = skipped(id, evidence.role, 'the CloudWatch Logs role');
  if (roleSkip !== undefined) return roleSkip;
  const role = (evidence.role as { value: RoleInfo | undefined }).value;
  if (role === undefined) {
    problems.push(`role ${trail.cloudWatchLogsRoleArn ?? '(none)'} does not exist`);
  } else {
    const trust = parsePolicy(role.trustPolicy);
    const trusts = statementsOf(trust).some((s) => s.Effect === 'Allow' && principalIncludesService(s, CLOUDTRAIL) && [s.Action].flat().some((a) => typeof a === 'string' && /^sts:(AssumeRole|\*)$|^\*$/i.test(a)));
    if (!trusts) problems.push(`role ${role.arn} does not trust ${CLOUDTRAIL} with sts:AssumeRole`);
    const stream = `arn:${partitionOf(trail.arn)}:logs:${region}:${account}:log-group:${groupName}:log-stream:${account}_CloudTrail_${region}_2026`;
    const docs = role.policies.map(parsePolicy).filter((d): d is PolicyDocument => d !== undefined);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      if (!docs.some((d) => allowingStatements(d, action, stream).length > 0)) problems.push(`role ${role.arn} does not allow ${action} on ${account}_CloudTrail_${region}* streams of ${groupName}`);
    }
  }
  const status = evidence.status?.ok === true ? evidence.status.value : undefined;
  if (status?.latestCloudWatchLogsDeliveryError !== undefined && status.latestCloudWatchLogsDeliveryError !== '') {
    problems.push(`CloudWatch Logs delivery error: ${status.latestCloudWatchLogsDeliveryError}`);
  }
  evidenceOut['problems'] = problems;
  return problems.length === 0
    ? result(id, 'pass', `events go to log group ${groupName} through a role that can write its streams`, evidenceOut)
    : result(id, 'fail', problems.join('; '), evidenceOut, fix);
}

function managementEventsCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'management-events';
  const skip = skipped(id, evidence.selectors, 'the event selectors');
  if (skip !== undefined) return skip;
  const { basic, advanced } = (evidence.selectors as { value: SelectorsInfo }).value;
  const fix = `trailkit put-event-selectors --trail-name ${trail.name} --management-events all`;
  let read = false;
  let write = false;
  const excluded = new Set<string>();
  if (basic.length === 0 && advanced.length === 0) {
    // A trail without custom selectors logs all management events (AWS's default).
    if (trail.hasCustomEventSelectors !== true) return result(id, 'pass', 'read and write management events (default selectors)', { selectors: 'default' });
    return result(id, 'fail', 'no event selectors: no management events are logged', {}, fix);
  }
  for (const s of basic) {
    if (s.IncludeManagementEvents === false) continue;
    const rw = s.ReadWriteType ?? 'All';
    if (rw === 'All' || rw === 'ReadOnly') read = true;
    if (rw === 'All' || rw === 'WriteOnly') write = true;
    for (const source of s.ExcludeManagementEventSources ?? []) excluded.add(source);
  }
  for (const s of advanced) {
    const fields = s.FieldSelectors ?? [];
    const category = fields.find((f) => f.Field === 'eventCategory');
    if (!(category?.Equals ?? []).includes('Management')) continue;
    const readOnly = fields.find((f) => f.Field === 'readOnly');
    const only = readOnly?.Equals?.[0];
    if (only === undefined || only === 'true') read = true;
    if (only === undefined || only === 'false') write = true;
    for (const source of fields.find((f) => f.Field === 'eventSource')?.NotEquals ?? []) excluded.add(source);
  }
  const ev = { read, write, excluded: [...excluded] };
  if (!read || !write) {
    const missing = [!read ? 'read' : undefined, !write ? 'write' : undefined].filter(Boolean).join(' and ');
    return result(id, 'fail', `${missing} management events are not logged`, ev, fix);
  }
  if (excluded.size > 0) return result(id, 'warn', `read and write management events, excluding ${[...excluded].join(', ')}`, ev, fix);
  return result(id, 'pass', 'read and write management events', ev);
}

function s3DataEventsCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 's3-data-events';
  const skip = skipped(id, evidence.selectors, 'the event selectors');
  if (skip !== undefined) return skip;
  const { basic, advanced } = (evidence.selectors as { value: SelectorsInfo }).value;
  let read = false;
  let write = false;
  for (const s of basic) {
    const allBuckets = (s.DataResources ?? []).some((r) => r.Type === 'AWS::S3::Object' && (r.Values ?? []).some((v) => /^arn:[a-z-]+:s3(:::)?$/.test(v) || v === 'arn:aws:s3'));
    if (!allBuckets) continue;
    const rw = s.ReadWriteType ?? 'All';
    if (rw === 'All' || rw === 'ReadOnly') read = true;
    if (rw === 'All' || rw === 'WriteOnly') write = true;
  }
  for (const s of advanced) {
    const fields = s.FieldSelectors ?? [];
    if (!(fields.find((f) => f.Field === 'eventCategory')?.Equals ?? []).includes('Data')) continue;
    if (!(fields.find((f) => f.Field === 'resources.type')?.Equals ?? []).includes('AWS::S3::Object')) continue;
    // A selector narrowed to some buckets or events is object-level logging, but not for all.
    if (fields.some((f) => f.Field === 'resources.ARN' || f.Field === 'eventName')) continue;
    const only = fields.find((f) => f.Field === 'readOnly')?.Equals?.[0];
    if (only === undefined || only === 'true') read = true;
    if (only === undefined || only === 'false') write = true;
  }
  const fix = `trailkit put-event-selectors --trail-name ${trail.name} --management-events all --s3-data-events all`;
  if (read && write) return result(id, 'pass', 'object-level read and write events are logged for all S3 buckets', { read, write });
  const missing = [!read ? 'read' : undefined, !write ? 'write' : undefined].filter(Boolean).join(' and ');
  return result(id, 'warn', `S3 object-level ${missing} events are not logged for all buckets (CIS object-level logging)`, { read, write }, fix);
}

function bucketPolicyCheck(evidence: TrailEvidence, trail: TrailInfo, account: string): CheckResult {
  const id: CheckId = 'bucket-policy';
  const skip = skipped(id, evidence.bucketPolicy, 'the bucket policy');
  if (skip !== undefined) return skip;
  const bucket = trail.s3BucketName ?? '';
  const prefix = trail.s3KeyPrefix === undefined || trail.s3KeyPrefix === '' ? '' : `${trail.s3KeyPrefix.replace(/\/$/, '')}/`;
  const s3Arn = `arn:${partitionOf(trail.arn)}:s3:::${bucket}`;
  const objectArn = `${s3Arn}/${prefix}AWSLogs/${account}/CloudTrail/example.json.gz`;
  const fix = `trailkit policy bucket --bucket ${bucket}${prefix === '' ? '' : ` --prefix ${prefix.slice(0, -1)}`} --account-id ${account} --trail-arn ${trail.arn}  (then merge it into the bucket policy, or re-run trailkit setup)`;
  const doc = parsePolicy((evidence.bucketPolicy as { value: string | undefined }).value);
  if (doc === undefined) return result(id, 'fail', `bucket ${bucket} has no bucket policy: CloudTrail cannot write to it`, { bucket }, fix);
  const writers = allowingStatements(doc, 's3:PutObject', objectArn, (s) => principalIncludesService(s, CLOUDTRAIL));
  const acl = allowingStatements(doc, 's3:GetBucketAcl', s3Arn, (s) => principalIncludesService(s, CLOUDTRAIL));
  const ev = { bucket, objectArn, writeSids: writers.map((s) => s.Sid ?? null), aclSids: acl.map((s) => s.Sid ?? null) };
  if (writers.length === 0) return result(id, 'fail', `the bucket policy does not let ${CLOUDTRAIL} s3:PutObject to ${prefix}AWSLogs/${account}/`, ev, fix);
  if (acl.length === 0) return result(id, 'fail', `the bucket policy does not let ${CLOUDTRAIL} s3:GetBucketAcl`, ev, fix);
  const writeFor = writers.map((statement) => sourceCondition(statement, trail.arn, account));
  const aclFor = acl.map((statement) => sourceCondition(statement, trail.arn, account));
  if (writeFor.every((c) => c === 'other') || aclFor.every((c) => c === 'other')) {
    return result(id, 'fail', `the bucket policy lets ${CLOUDTRAIL} in only for other trails (its aws:SourceArn does not match ${trail.arn})`, ev, fix);
  }
  if (!writeFor.includes('this-trail') || !aclFor.includes('this-trail')) {
    return result(id, 'warn', 'CloudTrail can write the trail prefix, but without an aws:SourceArn condition (confused-deputy protection)', ev, fix);
  }
  return result(id, 'pass', `CloudTrail can write ${prefix}AWSLogs/${account}/, limited by aws:SourceArn`, ev);
}

function publicAccessCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'bucket-public-access';
  const bucket = trail.s3BucketName ?? '';
  const fix = `trailkit setup --trail-name ${trail.name} --bucket ${bucket} (turns Block Public Access on), and remove the public statements or ACL grants`;
  const problems: string[] = [];
  const ev: Record<string, unknown> = { bucket };
  const pab = evidence.publicAccessBlock?.ok === true ? evidence.publicAccessBlock.value : undefined;
  // S3's own verdict, when the caller may ask for it (moto and some roles cannot).
  const s3Verdict = evidence.bucketPolicyIsPublic?.ok === true ? evidence.bucketPolicyIsPublic.value : undefined;
  ev['s3Verdict'] = s3Verdict ?? null;
  // trailkit's own reading of the policy, always, so a missing or denied verdict hides nothing.
  const policyRead = evidence.bucketPolicy?.ok === true;
  const statements = policyRead ? publicStatements(parsePolicy((evidence.bucketPolicy as { value: string | undefined }).value)) : [];
  ev['trailkitVerdict'] = policyRead ? statements.length > 0 : null;
  ev['publicStatements'] = statements;
  const policyPublic = statements.length > 0 || s3Verdict === true;
  if (policyPublic) {
    const named = statements.map((st) => `${st.sid ?? `statement ${st.index + 1}`}: ${st.reason}`);
    const what = named.length > 0 ? named.join('; ') : 'S3 reports the bucket policy as public';
    if (pab?.restrictPublicBuckets === true) ev['restrictedBy'] = 'RestrictPublicBuckets';
    else problems.push(`the bucket policy is public (${what})`);
  }
  if (evidence.bucketAclPublicGrants?.ok === true && evidence.bucketAclPublicGrants.value.length > 0) problems.push(`the bucket ACL grants ${evidence.bucketAclPublicGrants.value.join(', ')}`);
  if (problems.length > 0) return result(id, 'fail', problems.join('; '), { ...ev, problems }, fix);
  if (!policyRead && s3Verdict === undefined) {
    const skip = skipped(id, evidence.bucketPolicy, 'the bucket policy');
    if (skip !== undefined) return { ...skip, message: `${skip.message} (or s3:GetBucketPolicyStatus)` };
  }
  const pabSkip = skipped(id, evidence.publicAccessBlock, 'the bucket public access block');
  if (pabSkip !== undefined) return pabSkip;
  ev['publicAccessBlock'] = pab ?? null;
  if (policyPublic) return result(id, 'warn', 'the bucket policy is public, but RestrictPublicBuckets keeps it to AWS services and this account', ev, fix);
  const off = pab === undefined ? ['all four settings'] : (['blockPublicAcls', 'ignorePublicAcls', 'blockPublicPolicy', 'restrictPublicBuckets'] as const).filter((k) => pab[k] !== true);
  if (off.length > 0) return result(id, 'warn', `the bucket is not public, but Block Public Access is off (${off.join(', ')})`, ev, fix);
  return result(id, 'pass', 'the bucket is not public and Block Public Access is on', ev);
}

/** When the trail's bucket does not exist, every bucket check fails with that. */
function missingBucket(evidence: TrailEvidence, trail: TrailInfo): ((id: CheckId) => CheckResult) | undefined {
  const bucket = trail.s3BucketName ?? '';
  const probes = [evidence.bucketExists, evidence.bucketPolicy, evidence.publicAccessBlock, evidence.bucketLogging, evidence.bucketVersioning];
  const gone = (evidence.bucketExists?.ok === true && evidence.bucketExists.value === false)
    || probes.some((p) => p !== undefined && !p.ok && /^NoSuchBucket\b/.test(p.error));
  if (!gone) return undefined;
  return (id) => result(id, 'fail', `bucket ${bucket} does not exist: CloudTrail cannot deliver logs to it`, { bucket, exists: false }, `trailkit setup --trail-name ${trail.name} --bucket ${bucket}`);
}

function versioningCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'bucket-versioning';
  const skip = skipped(id, evidence.bucketVersioning, 'the bucket versioning');
  if (skip !== undefined) return skip;
  const v = (evidence.bucketVersioning as { value: BucketVersioningInfo }).value;
  const bucket = trail.s3BucketName ?? '';
  const ev = { bucket, status: v.status ?? null, mfaDelete: v.mfaDelete ?? null };
  if (v.status === 'Enabled') return result(id, 'pass', `versioning is on for ${bucket}: an overwritten or deleted log file can be recovered`, ev);
  return result(id, 'warn', `versioning is ${v.status === 'Suspended' ? 'suspended' : 'off'} for ${bucket}: a deleted or overwritten log file is gone`, ev, `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`);
}

function deleteProtectionCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'bucket-delete-protection';
  const bucket = trail.s3BucketName ?? '';
  const lock = evidence.objectLock?.ok === true ? evidence.objectLock.value : undefined;
  const versioning = evidence.bucketVersioning?.ok === true ? evidence.bucketVersioning.value : undefined;
  const ev = { bucket, objectLock: lock ?? null, mfaDelete: versioning?.mfaDelete ?? null };
  if (lock?.enabled === true) {
    const retention = lock.mode === undefined ? 'no default retention' : `default retention ${lock.mode} ${lock.days === undefined ? `${lock.years ?? '?'} years` : `${lock.days} days`}`;
    return result(id, 'pass', `Object Lock is on for ${bucket} (${retention})`, ev);
  }
  if (versioning?.mfaDelete === 'Enabled') return result(id, 'pass', `MFA delete is on for ${bucket}: deleting a log file version needs the root user's MFA`, ev);
  if (evidence.objectLock !== undefined && !evidence.objectLock.ok && evidence.bucketVersioning !== undefined && !evidence.bucketVersioning.ok) {
    return skipped(id, evidence.objectLock, 'the Object Lock configuration') as CheckResult;
  }
  return result(id, 'warn', `neither MFA delete nor Object Lock protects the log files in ${bucket} from deletion (CIS: MFA delete on the CloudTrail bucket)`, ev,
    `with the root user's MFA: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE' (or use a bucket with Object Lock)`);
}

/** The log group the trail sends to, by name, or undefined. */
function groupNameOf(trail: TrailInfo): string | undefined {
  const arn = trail.cloudWatchLogsLogGroupArn;
  if (arn === undefined || arn === '') return undefined;
  return /:log-group:([^:]+)/.exec(arn)?.[1] ?? arn;
}

/** CloudTrail delivers to CloudWatch Logs within minutes; a day without a delivery means it stopped. */
const CLOUDWATCH_STALE_MS = 24 * 60 * 60 * 1000;

function cloudWatchDeliveryCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'cloudwatch-logs-delivery';
  const group = groupNameOf(trail);
  if (group === undefined) return result(id, 'skip', 'the trail does not send events to CloudWatch Logs (see cloudwatch-logs)');
  const skip = skipped(id, evidence.status, 'the trail status');
  if (skip !== undefined) return skip;
  const status = (evidence.status as { value: TrailStatusInfo }).value;
  const last = status.latestCloudWatchLogsDeliveryTime;
  const ev = { logGroup: group, latestCloudWatchLogsDeliveryTime: last === undefined ? null : new Date(last).toISOString(), error: status.latestCloudWatchLogsDeliveryError ?? null };
  const fix = `trailkit verify --trail-name ${trail.name} --only cloudwatch-logs (the role, its policy and the log group)`;
  if (status.latestCloudWatchLogsDeliveryError !== undefined && status.latestCloudWatchLogsDeliveryError !== '') return result(id, 'fail', `CloudWatch Logs delivery error: ${status.latestCloudWatchLogsDeliveryError}`, ev, fix);
  if (status.isLogging !== true) return result(id, 'skip', 'the trail is not logging, so nothing is delivered', ev);
  if (last === undefined) {
    if (status.startLoggingTime !== undefined && evidence.now - status.startLoggingTime < FIRST_DELIVERY_GRACE_MS) return result(id, 'pass', `logging started recently; no delivery to ${group} yet`, ev);
    return result(id, 'fail', `CloudTrail has not delivered any event to ${group}`, ev, fix);
  }
  const age = evidence.now - last;
  if (age > CLOUDWATCH_STALE_MS) return result(id, 'fail', `the last delivery to ${group} was ${Math.round(age / 3_600_000)} hours ago (more than 24)`, ev, fix);
  return result(id, 'pass', `events reached ${group} ${Math.max(0, Math.round(age / 60_000))} minutes ago`, ev);
}

function logGroupSkip(id: CheckId, evidence: TrailEvidence, trail: TrailInfo): CheckResult | { group: string; info: LogGroupInfo } {
  const group = groupNameOf(trail);
  if (group === undefined) return result(id, 'skip', 'the trail does not send events to CloudWatch Logs (see cloudwatch-logs)');
  const skip = skipped(id, evidence.logGroup, 'the log group');
  if (skip !== undefined) return skip;
  const info = (evidence.logGroup as { value: LogGroupInfo | undefined }).value;
  if (info === undefined) return result(id, 'skip', `log group ${group} does not exist (see cloudwatch-logs)`);
  return { group, info };
}

function logGroupEncryptionCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'log-group-encryption';
  const found = logGroupSkip(id, evidence, trail);
  if ('id' in found) return found;
  if (found.info.kmsKeyId !== undefined && found.info.kmsKeyId !== '') return result(id, 'pass', `log group ${found.group} is encrypted with ${found.info.kmsKeyId}`, { logGroup: found.group, kmsKeyId: found.info.kmsKeyId });
  return result(id, 'fail', `log group ${found.group} is not encrypted with a KMS key`, { logGroup: found.group },
    `aws logs associate-kms-key --log-group-name ${found.group} --kms-key-id KEY_ARN (the key policy must let logs.REGION.amazonaws.com use it; trailkit setup does this for a log group it creates)`);
}

/** CIS and Security Hub CloudWatch.16 recommend a year of retention. */
const MIN_RETENTION_DAYS = 365;

function logGroupRetentionCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'log-group-retention';
  const found = logGroupSkip(id, evidence, trail);
  if ('id' in found) return found;
  const days = found.info.retentionInDays;
  const ev = { logGroup: found.group, retentionInDays: days ?? null };
  if (days === undefined) return result(id, 'pass', `log group ${found.group} keeps events forever (no retention set)`, ev);
  if (days >= MIN_RETENTION_DAYS) return result(id, 'pass', `log group ${found.group} keeps events ${days} days`, ev);
  return result(id, 'warn', `log group ${found.group} keeps events only ${days} days (at least ${MIN_RETENTION_DAYS} recommended)`, ev, `trailkit create-log-group --log-group-name ${found.group} --retention-in-days ${MIN_RETENTION_DAYS}`);
}

function insightsCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'insights';
  const skip = skipped(id, evidence.insightTypes, 'the Insights selectors');
  if (skip !== undefined) return skip;
  const types = (evidence.insightTypes as { value: string[] }).value;
  if (types.length > 0) return result(id, 'pass', `Insights is on (${types.join(', ')})`, { types });
  return result(id, 'warn', 'Insights is off: unusual API call or error rates go unnoticed', { types }, `trailkit put-insight-selectors --trail-name ${trail.name} --insights api-call-rate,api-error-rate`);
}

function accessLoggingCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'bucket-access-logging';
  const skip = skipped(id, evidence.bucketLogging, 'the bucket logging configuration');
  if (skip !== undefined) return skip;
  const logging = (evidence.bucketLogging as { value: { targetBucket?: string } | undefined }).value;
  const bucket = trail.s3BucketName ?? '';
  return logging?.targetBucket !== undefined
    ? result(id, 'pass', `server access logs of ${bucket} go to ${logging.targetBucket}`, { targetBucket: logging.targetBucket })
    : result(id, 'warn', `server access logging is off for ${bucket} (CIS: log access to the CloudTrail bucket)`, {}, `aws s3api put-bucket-logging --bucket ${bucket} --bucket-logging-status '{"LoggingEnabled":{"TargetBucket":"LOG_BUCKET","TargetPrefix":"${bucket}/"}}'`);
}

function deliveryHealthCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'delivery-health';
  const skip = skipped(id, evidence.status, 'the trail status');
  if (skip !== undefined) return skip;
  const status = (evidence.status as { value: TrailStatusInfo }).value;
  const errors = [
    status.latestDeliveryError ? `log delivery: ${status.latestDeliveryError}` : undefined,
    status.latestDigestDeliveryError ? `digest delivery: ${status.latestDigestDeliveryError}` : undefined,
  ].filter((e): e is string => e !== undefined);
  const ev = { latestDeliveryTime: status.latestDeliveryTime === undefined ? null : new Date(status.latestDeliveryTime).toISOString(), errors };
  const fix = `trailkit verify --trail-name ${trail.name} --only bucket-policy,kms-encryption (a delivery error is usually the bucket or key policy)`;
  if (errors.length > 0) return result(id, 'fail', errors.join('; '), ev, fix);
  if (status.isLogging !== true) return result(id, 'skip', 'the trail is not logging, so nothing is delivered', ev);
  if (status.latestDeliveryTime === undefined) {
    if (status.startLoggingTime !== undefined && evidence.now - status.startLoggingTime < FIRST_DELIVERY_GRACE_MS) return result(id, 'pass', 'logging started recently; no delivery yet', ev);
    return result(id, 'warn', 'no log file has been delivered', ev, fix);
  }
  const age = evidence.now - status.latestDeliveryTime;
  if (age > DELIVERY_STALE_MS) return result(id, 'warn', `the last delivery was ${Math.round(age / 60_000)} minutes ago`, ev, fix);
  return result(id, 'pass', `no delivery errors; last delivery ${Math.max(0, Math.round(age / 60_000))} minutes ago`, ev);
}

function integrityCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'integrity';
  if (trail.logFileValidationEnabled !== true) return result(id, 'skip', 'log file validation is off (see log-file-validation)');
  const skip = skipped(id, evidence.integrity, 'the digest files');
  if (skip !== undefined) return skip;
  const info = (evidence.integrity as { value: IntegrityInfo | undefined }).value;
  const hours = evidence.integrityHours;
  const fix = `trailkit validate-digest --bucket ${trail.s3BucketName ?? 'BUCKET'} --trail-arn ${trail.arn} --start-time ${hours}h --verbose`;
  if (info === undefined) return result(id, 'warn', `no digest files in the last ${hours} hours`, {}, fix);
  const ev = { ...info };
  const bad = info.digestsInvalid + info.logsInvalid + info.unreferenced;
  if (bad > 0) return result(id, 'fail', `${info.digestsInvalid} digest and ${info.logsInvalid} log files invalid, ${info.unreferenced} unreferenced in the last ${hours} hours${info.problems[0] === undefined ? '' : `: ${info.problems[0]}`}`, ev, fix);
  return result(id, 'pass', `${info.digestsValid} digest and ${info.logsValid} log files valid in the last ${hours} hours`, ev);
}

/** How one CIS monitoring control stands: the first thing missing, or pass. */
export type CisControlStatus = 'pass' | 'no-filter' | 'no-alarm' | 'no-sns-action' | 'actions-disabled' | 'no-subscriber' | 'subscribers-unknown';

export interface CisControlResult {
  id: string;
  status: CisControlStatus;
  /** The metric filter that means the same as a published pattern, and which one. */
  filter?: string;
  variant?: string;
  alarm?: string;
  topic?: string;
  /** What is missing, in words. */
  detail: string;
}

const SNS_ARN = /^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/;
const RANK: Record<CisControlStatus, number> = { 'no-filter': 0, 'no-alarm': 1, 'actions-disabled': 2, 'no-sns-action': 2, 'no-subscriber': 3, 'subscribers-unknown': 4, pass: 5 };

interface ParsedFilter {
  info: MetricFilterInfo;
  form?: NormalForm;
  error?: string;
}

let variantForms: Map<string, { source: string; form: NormalForm }[]> | undefined;

function publishedForms(id: string): { source: string; form: NormalForm }[] {
  variantForms ??= new Map(Object.entries(CIS_METRIC_FILTER_VARIANTS).map(([key, variants]) => [key, variants.flatMap((v) => {
    const n = normalizePattern(v.pattern);
    return n.ok ? [{ source: v.source, form: n.form }] : [];
  })]));
  return variantForms.get(id) ?? [];
}

/** A subscription that delivers: confirmed (it has an ARN, not `PendingConfirmation`). */
const confirmed = (s: SubscriptionInfo) => s.arn.startsWith('arn:');

/**
 * One control: a metric filter whose pattern means a published pattern, an alarm on that filter's
 * metric (name and namespace), an alarm action that is an SNS topic (with actions enabled), and
 * a topic with at least one confirmed subscription, as the CIS audit steps ask.
 */
export function evaluateCisControl(
  id: string,
  filters: readonly ParsedFilter[],
  alarms: readonly AlarmInfo[],
  subscriptions: Readonly<Record<string, Probe<SubscriptionInfo[]>>>,
): CisControlResult {
  const published = publishedForms(id);
  const candidates = filters.flatMap((f) => {
    const match = f.form === undefined ? undefined : published.find((p) => sameNormalForm(p.form, f.form as NormalForm));
    return match === undefined ? [] : [{ filter: f.info, variant: match.source }];
  });
  if (candidates.length === 0) return { id, status: 'no-filter', detail: nearestFilter(id, filters) };
  let best: CisControlResult | undefined;
  const consider = (r: CisControlResult) => {
    if (best === undefined || RANK[r.status] > RANK[best.status]) best = r;
  };
  for (const { filter, variant } of candidates) {
    const base = { id, filter: filter.name, variant };
    const onMetric = alarms.filter((a) => a.metricName === filter.metricName && (filter.metricNamespace === undefined || a.namespace === filter.metricNamespace));
    if (onMetric.length === 0) {
      consider({ ...base, status: 'no-alarm', detail: `metric filter ${filter.name} has no alarm on its metric ${filter.metricNamespace ?? ''}/${filter.metricName ?? '?'}` });
      continue;
    }
    for (const alarm of onMetric) {
      const topics = alarm.actions.filter((a) => SNS_ARN.test(a));
      const withAlarm = { ...base, alarm: alarm.name };
      if (topics.length === 0) {
        consider({ ...withAlarm, status: 'no-sns-action', detail: `alarm ${alarm.name} notifies no SNS topic${alarm.actions.length === 0 ? ' (it has no alarm action)' : ''}` });
        continue;
      }
      if (alarm.actionsEnabled === false) {
        consider({ ...withAlarm, status: 'actions-disabled', detail: `alarm ${alarm.name} has its actions disabled` });
        continue;
      }
      for (const topic of topics) {
        const probe = subscriptions[topic];
        if (probe === undefined || !probe.ok) {
          consider({ ...withAlarm, topic, status: 'subscribers-unknown', detail: `the subscriptions of ${topic} could not be read${probe !== undefined && !probe.ok && probe.denied !== undefined ? ` (needs ${probe.denied})` : ''}` });
          continue;
        }
        const live = probe.value.filter(confirmed);
        if (live.length === 0) {
          const pending = probe.value.length - live.length;
          consider({ ...withAlarm, topic, status: 'no-subscriber', detail: `SNS topic ${topic} has no confirmed subscription${pending > 0 ? ` (${pending} pending confirmation)` : ''}` });
          continue;
        }
        consider({ ...withAlarm, topic, status: 'pass', detail: `metric filter ${filter.name} (${variant}), alarm ${alarm.name}, SNS topic ${topic} with ${live.length} subscription(s)` });
      }
    }
  }
  return best as CisControlResult;
}

/** For a control without a filter: the filter that comes closest to a published pattern, and how it differs. */
function nearestFilter(id: string, filters: readonly ParsedFilter[]): string {
  let best: { filter: string; missing: readonly string[]; extra: readonly string[]; shared: number } | undefined;
  for (const f of filters) {
    if (f.form === undefined) continue;
    for (const p of publishedForms(id)) {
      const d = formDifference(p.form, f.form);
      if (d === undefined || d.shared === 0) continue;
      if (best === undefined || d.shared - d.missing.length - d.extra.length > best.shared - best.missing.length - best.extra.length) best = { filter: f.info.name, ...d };
    }
  }
  if (best === undefined) return 'no metric filter on the log group means one of the published patterns';
  const list = (items: readonly string[]) => `${items.slice(0, 3).join('; ')}${items.length > 3 ? `; and ${items.length - 3} more` : ''}`;
  const parts = [best.missing.length > 0 ? `lacks ${list(best.missing)}` : undefined, best.extra.length > 0 ? `adds ${list(best.extra)}` : undefined].filter(Boolean);
  return `no metric filter means a published pattern; closest is ${best.filter}, which ${parts.join(' and ')}`;
}

const CIS_MISSING: Record<Exclude<CisControlStatus, 'pass' | 'subscribers-unknown'>, string> = {
  'no-filter': 'no metric filter for',
  'no-alarm': 'no alarm on the metric for',
  'no-sns-action': 'an alarm that notifies no SNS topic for',
  'actions-disabled': 'alarm actions disabled for',
  'no-subscriber': 'an SNS topic without a confirmed subscription for',
};

function cisMetricFiltersCheck(evidence: TrailEvidence, trail: TrailInfo): CheckResult {
  const id: CheckId = 'cis-metric-filters';
  const fix = `trailkit setup --trail-name ${trail.name} --bucket ${trail.s3BucketName ?? 'BUCKET'} --cis-alarms --alarm-email ADDRESS (or --alarm-topic SNS_TOPIC_ARN)`;
  if (trail.cloudWatchLogsLogGroupArn === undefined || trail.cloudWatchLogsLogGroupArn === '') {
    return result(id, 'fail', 'no CloudWatch Logs log group, so no CIS 4.x metric filters', {}, fix);
  }
  const filtersSkip = skipped(id, evidence.metricFilters, 'the metric filters');
  if (filtersSkip !== undefined) return filtersSkip;
  const alarmsSkip = skipped(id, evidence.alarms, 'the CloudWatch alarms');
  if (alarmsSkip !== undefined) return alarmsSkip;
  const filters = (evidence.metricFilters as { value: MetricFilterInfo[] }).value.map((info): ParsedFilter => {
    const n = normalizePattern(info.pattern);
    return n.ok ? { info, form: n.form } : { info, error: n.error };
  });
  const alarms = (evidence.alarms as { value: AlarmInfo[] }).value;
  const controls = CIS_PRESETS.map((p) => evaluateCisControl(p.id, filters, alarms, evidence.topicSubscriptions ?? {}));
  const unparsed = filters.filter((f) => f.error !== undefined).map((f) => ({ filter: f.info.name, error: f.error }));
  const ev = { controls, filters: filters.length, alarms: alarms.length, ...(unparsed.length === 0 ? {} : { unparsedFilters: unparsed }) };
  if (controls.every((c) => c.status === 'pass')) return result(id, 'pass', `all ${controls.length} CIS 4.x controls have a metric filter, an alarm and a subscribed SNS topic`, ev);
  const parts: string[] = [];
  for (const [status, words] of Object.entries(CIS_MISSING)) {
    const ids = controls.filter((c) => c.status === status).map((c) => c.id);
    if (ids.length > 0) parts.push(`${words} ${ids.join(', ')}`);
  }
  const unknown = controls.filter((c) => c.status === 'subscribers-unknown');
  if (parts.length === 0) {
    const denied = [...new Set(unknown.map((c) => c.topic).filter((t): t is string => t !== undefined))];
    return result(id, 'skip', `the filters and alarms are there, but the subscriptions of ${denied.join(', ')} could not be read: needs sns:ListSubscriptionsByTopic`, ev);
  }
  if (unknown.length > 0) parts.push(`subscriptions unreadable for ${unknown.map((c) => c.id).join(', ')}`);
  return result(id, 'warn', parts.join('; '), ev, fix);
}

export interface CheckSummary {
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  /** Whether the run fails: any fail, or any warn with --strict. */
  failed: boolean;
}

export function summarize(results: readonly CheckResult[], strict: boolean): CheckSummary {
  const summary: CheckSummary = { pass: 0, warn: 0, fail: 0, skip: 0, failed: false };
  for (const r of results) summary[r.status]++;
  summary.failed = summary.fail > 0 || (strict && summary.warn > 0);
  return summary;
}

/** Keeps the checks named by --only and drops those named by --skip. */
export function selectChecks(results: readonly CheckResult[], only: readonly string[], skip: readonly string[]): CheckResult[] {
  return results.filter((r) => (only.length === 0 || only.includes(r.id)) && !skip.includes(r.id));
}
