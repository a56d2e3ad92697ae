/**
 * The AWS CLI's documented trail workflow as jobs, one function per subcommand it mirrors
 * (create-log-group, create-role, put-role-policy, update-trail, put-event-selectors,
 * put-insight-selectors). Each checks its input before any call, runs in the region it is given
 * (a trail's home region for the trail calls), is idempotent, and returns what it did.
 */
import { usageError } from '../core/errors.js';
import { parseInsightTypes, recordsWriteManagementEvents } from '../core/event-selectors.js';
import {
  bucketNameProblem, kmsKeyRefProblem, logGroupNameProblem, organizationIdProblem, parseTags, policyNameProblem, requireValid,
  retentionProblem, roleNameProblem, topicNameProblem, trailNameProblem,
} from '../core/names.js';
import { assumeRolePolicy, cloudWatchRolePolicy, formatPolicy, mergeBySid, mergeTrustPolicy, partitionOf, unionTrailStatements, type ChangeAction } from '../core/policies.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { selectorsOf, type SetupInput } from '../core/setup-config.js';
import { logGroupArn, type CreateTrailInput } from '../core/setup-plan.js';
import { describeChanges, trailChanges, type TrailSettingChange } from '../core/trail-update.js';
import { jobContext, withAwsClients, type JobContext, type JobOptions } from './job-options.js';
import { checkGivenRegion } from './region-check.js';
import type { TrailSession } from './trail-session.js';

/** Checks the region, then runs `body` with the account learnt (STS) and the setup gateway. */
async function inSession<T>(options: JobOptions, action: string, body: (session: TrailSession, job: JobContext) => Promise<T>): Promise<T> {
  const job = jobContext(options);
  checkGivenRegion(job);
  const { openTrailSession } = await import('./trail-session.js');
  return withAwsClients(job, action, async (clients) => body(await openTrailSession(job, clients), job));
}

/** A trail given by name or ARN, checked. */
export function checkTrailRef(value: string, flag: string): string {
  if (value.startsWith('arn:')) {
    const arn = parseTrailArn(value);
    if (arn === undefined) throw usageError(`invalid ${flag} ${JSON.stringify(value)}: expected a trail name or arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`);
    requireValid('trail name', arn.name, trailNameProblem);
    return value;
  }
  return requireValid('trail name', value, trailNameProblem);
}

export interface CreateLogGroupInput {
  readonly logGroupName: string;
  /** A whole number of days CloudWatch Logs accepts. */
  readonly retentionInDays?: string | number;
  /** The key's full ARN. */
  readonly kmsKeyId?: string;
  /** `key=value` strings. */
  readonly tags?: readonly string[];
}

export async function createLogGroup(input: CreateLogGroupInput, options: JobOptions = {}): Promise<{ action: ChangeAction; logGroupName: string; logGroupArn: string; retentionInDays?: number }> {
  const name = requireValid('log group name', input.logGroupName, logGroupNameProblem);
  let days: number | undefined;
  if (input.retentionInDays !== undefined) {
    days = Number(input.retentionInDays);
    requireValid('--retention-in-days', String(input.retentionInDays), () => (Number.isInteger(days) ? retentionProblem(days as number) : 'must be a whole number of days'));
  }
  if (input.kmsKeyId !== undefined && !/^arn:aws[a-z-]*:kms:/.test(input.kmsKeyId)) throw usageError(`invalid --kms-key-id ${JSON.stringify(input.kmsKeyId)}: CloudWatch Logs needs the key's full ARN`);
  const tags = parseTags([...(input.tags ?? [])]);
  return inSession(options, 'logs:CreateLogGroup', async ({ gw, env }) => {
    const existing = await gw.logGroup(name);
    let action: ChangeAction = 'unchanged';
    if (existing === undefined) {
      await gw.createLogGroup(name, { tags, ...(input.kmsKeyId === undefined ? {} : { kmsKeyId: input.kmsKeyId }) });
      action = 'create';
    }
    if (days !== undefined && existing?.retentionInDays !== days) {
      await gw.putRetentionPolicy(name, days);
      if (action === 'unchanged') action = 'update';
    }
    const arn = existing?.arn ?? logGroupArn(env, name);
    return { action, logGroupName: name, logGroupArn: arn, ...(days === undefined ? {} : { retentionInDays: days }) };
  });
}

export interface CreateRoleInput {
  readonly roleName: string;
  /** Trust only this trail (aws:SourceArn); none: CloudTrail in general. */
  readonly trailArn?: string;
  readonly tags?: readonly string[];
}

/** Creates the role CloudTrail assumes to write to CloudWatch Logs, or merges its trust policy. */
export async function createRole(input: CreateRoleInput, options: JobOptions = {}): Promise<{ action: ChangeAction; roleName: string; roleArn: string }> {
  const name = requireValid('role name', input.roleName, roleNameProblem);
  if (input.trailArn !== undefined && parseTrailArn(input.trailArn) === undefined) throw usageError(`invalid --trail-arn ${JSON.stringify(input.trailArn)}: expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`);
  const tags = parseTags([...(input.tags ?? [])]);
  return inSession(options, 'iam:CreateRole', async ({ gw }) => {
    const existing = await gw.role(name);
    if (existing === undefined) {
      const arn = await gw.createRole(name, formatPolicy(assumeRolePolicy(input.trailArn === undefined ? {} : { trailArn: input.trailArn })), tags);
      return { action: 'create' as const, roleName: name, roleArn: arn };
    }
    const merge = mergeTrustPolicy(existing.trust, input.trailArn);
    if (merge.action !== 'unchanged') await gw.updateAssumeRolePolicy(name, merge.text);
    return { action: merge.action === 'unchanged' ? 'unchanged' as const : 'update' as const, roleName: name, roleArn: existing.arn };
  });
}

export interface PutRolePolicyInput {
  readonly roleName: string;
  readonly logGroupName: string;
  readonly policyName: string;
  readonly organizationId?: string;
}

/** The role's inline policy for writing the trail's log streams, merged by Sid with what is there. */
export async function putRolePolicy(input: PutRolePolicyInput, options: JobOptions = {}): Promise<{ action: ChangeAction; roleName: string; policyName: string; policy: unknown }> {
  const role = requireValid('role name', input.roleName, roleNameProblem);
  const group = requireValid('log group name', input.logGroupName, logGroupNameProblem);
  const policyName = requireValid('policy name', input.policyName, policyNameProblem);
  const org = input.organizationId === undefined ? undefined : requireValid('organization id', input.organizationId, organizationIdProblem);
  return inSession(options, 'iam:PutRolePolicy', async ({ gw, env }) => {
    const desired = cloudWatchRolePolicy({ region: env.region, account: env.account, logGroup: group, partition: env.partition, ...(org === undefined ? {} : { organizationId: org }) });
    if (await gw.role(role) === undefined) throw usageError(`IAM role ${role} does not exist`, 'create it first: trailkit create-role');
    const merge = mergeBySid(await gw.rolePolicy(role, policyName), desired, { combine: unionTrailStatements });
    if (merge.action !== 'unchanged') await gw.putRolePolicy(role, policyName, merge.text);
    return { action: merge.action, roleName: role, policyName, policy: JSON.parse(merge.text) as unknown };
  });
}

/** UpdateTrail's settings as the AWS CLI names them; only those given change. */
export type UpdateTrailInput = Partial<Omit<CreateTrailInput, 'Name'>> & { readonly Name: string };

/** Checks UpdateTrail's settings (names, ARNs, pairs that go together) before any call. */
export function checkUpdateTrailInput(input: UpdateTrailInput): UpdateTrailInput {
  const out: Partial<CreateTrailInput> & { Name: string } = { Name: checkTrailRef(input.Name, '--name') };
  if (input.S3BucketName !== undefined) out.S3BucketName = requireValid('bucket name', input.S3BucketName, bucketNameProblem);
  if (input.S3KeyPrefix !== undefined) out.S3KeyPrefix = input.S3KeyPrefix;
  if (input.SnsTopicName !== undefined) out.SnsTopicName = input.SnsTopicName.startsWith('arn:') ? input.SnsTopicName : requireValid('SNS topic name', input.SnsTopicName, topicNameProblem);
  for (const key of ['IncludeGlobalServiceEvents', 'IsMultiRegionTrail', 'EnableLogFileValidation', 'IsOrganizationTrail'] as const) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  if (input.KmsKeyId !== undefined) out.KmsKeyId = requireValid('--kms-key-id', input.KmsKeyId, kmsKeyRefProblem);
  if (input.CloudWatchLogsLogGroupArn !== undefined) {
    if (!/^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9._/#-]+(:\*)?$/.test(input.CloudWatchLogsLogGroupArn)) throw usageError(`invalid --cloud-watch-logs-log-group-arn ${JSON.stringify(input.CloudWatchLogsLogGroupArn)}: expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`);
    out.CloudWatchLogsLogGroupArn = input.CloudWatchLogsLogGroupArn;
  }
  if (input.CloudWatchLogsRoleArn !== undefined) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(input.CloudWatchLogsRoleArn)) throw usageError(`invalid --cloud-watch-logs-role-arn ${JSON.stringify(input.CloudWatchLogsRoleArn)}: expected arn:aws:iam::ACCOUNT:role/NAME`);
    out.CloudWatchLogsRoleArn = input.CloudWatchLogsRoleArn;
  }
  if ((out.CloudWatchLogsLogGroupArn === undefined) !== (out.CloudWatchLogsRoleArn === undefined)) throw usageError('--cloud-watch-logs-log-group-arn and --cloud-watch-logs-role-arn go together');
  if (out.IsMultiRegionTrail === true && out.IncludeGlobalServiceEvents === false) throw usageError('a multi-region trail must include global service events');
  if (Object.keys(out).length === 1) throw usageError('nothing to change: give at least one setting (see trailkit update-trail --help)');
  return out;
}

/** UpdateTrail with only what differs; reports the changes (none: unchanged, nothing called). */
export async function updateTrail(input: UpdateTrailInput, options: JobOptions & { iamRetrySeconds?: number } = {}) {
  const checked = checkUpdateTrailInput(input);
  const budget = options.iamRetrySeconds ?? 90;
  if (!Number.isFinite(budget) || budget < 0) throw usageError(`invalid --iam-retry-seconds ${JSON.stringify(options.iamRetrySeconds)}: a number of seconds`);
  const { readTrailInHomeRegion, withIamPropagationRetry } = await import('../aws/trail-setup.js');
  return inSession(options, 'cloudtrail:UpdateTrail', async ({ gw }, job) => {
    const name = checked.Name;
    const current = await readTrailInHomeRegion(gw, name, 'update-trail');
    if (current === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'UpdateTrail must run in the trail\'s home region: check --region');
    let resolvedKmsArn: string | undefined;
    if (checked.KmsKeyId !== undefined && current.kmsKeyId !== undefined && checked.KmsKeyId !== current.kmsKeyId && !current.kmsKeyId.endsWith(`:key/${checked.KmsKeyId}`)) {
      // An alias: compare the key it names (a key we may not describe counts as a change).
      resolvedKmsArn = await gw.kmsKey(checked.KmsKeyId).then((k) => k?.arn, () => undefined);
    }
    const changes: TrailSettingChange[] = trailChanges(current, checked, resolvedKmsArn);
    if (changes.length === 0) return { action: 'unchanged' as const, trail: current, changes, summary: '' };
    const run = () => gw.updateTrail(checked);
    const trail = checked.CloudWatchLogsRoleArn === undefined ? await run() : await withIamPropagationRetry(run, { budgetMs: budget * 1000, onRetry: (m) => job.warn(m) });
    return { action: 'update' as const, trail, changes, summary: describeChanges(changes) };
  });
}

/** Event selectors as setup's settings name them: JSON documents or the convenience settings. */
export type EventSelectorsInput = Pick<SetupInput, 'eventSelectors' | 'advancedEventSelectors' | 'managementEvents' | 'excludeKmsEvents' | 'excludeRdsDataApiEvents' | 's3DataEvents' | 'lambdaDataEvents' | 'dynamodbDataEvents'>;

export async function putEventSelectors(input: { readonly trailName: string; readonly selectors: EventSelectorsInput }, options: JobOptions = {}) {
  const name = checkTrailRef(input.trailName, '--trail-name');
  const job = jobContext(options);
  const region = job.aws.region ?? job.env['AWS_REGION'] ?? 'us-east-1';
  const selectors = selectorsOf(input.selectors, partitionOf(region), (m) => job.warn(m));
  if (selectors.basic === undefined && selectors.advanced === undefined) throw usageError('give --event-selectors, --advanced-event-selectors or a convenience flag such as --management-events all');
  const { readTrailInHomeRegion } = await import('../aws/trail-setup.js');
  return inSession(options, 'cloudtrail:PutEventSelectors', async ({ gw }) => {
    const trail = await readTrailInHomeRegion(gw, name, 'put-event-selectors');
    if (trail === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'PutEventSelectors must run in the trail\'s home region: check --region');
    await gw.putEventSelectors(name, selectors);
    return { action: 'update' as const, trailArn: trail.arn, selectors };
  });
}

/** Insights types (`api-call-rate`, `api-error-rate`, their AWS names, or `none`). */
export async function putInsightSelectors(input: { readonly trailName: string; readonly insights: string }, options: JobOptions = {}): Promise<{ action: ChangeAction; trailArn: string; insightTypes: string[] }> {
  const name = checkTrailRef(input.trailName, '--trail-name');
  let types: string[];
  try {
    types = parseInsightTypes([input.insights]);
  } catch (error) {
    throw usageError(`invalid --insights: ${(error as Error).message}`);
  }
  const { readTrailInHomeRegion } = await import('../aws/trail-setup.js');
  return inSession(options, 'cloudtrail:PutInsightSelectors', async ({ gw }) => {
    const trail = await readTrailInHomeRegion(gw, name, 'put-insight-selectors');
    if (trail === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'run it in the trail\'s home region: check --region');
    if (types.length > 0) {
      const current = await gw.eventSelectors(name);
      if (!recordsWriteManagementEvents(current)) throw usageError(`trail ${name} does not record write management events, which Insights needs`, 'trailkit put-event-selectors --trail-name T --management-events all');
    }
    const before = await gw.insightTypes(name);
    const same = [...before].sort().join(',') === [...types].sort().join(',');
    if (!same) await gw.putInsightSelectors(name, types);
    return { action: same ? 'unchanged' : 'update', trailArn: trail.arn, insightTypes: types };
  });
}
