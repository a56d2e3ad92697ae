/** Bodies of the subcommands that mirror the AWS CLI's trail setup workflow. */
import type { Command } from 'commander';
import { EXIT_OK, usageError } from '../core/errors.js';
import { parseInsightTypes, recordsWriteManagementEvents } from '../core/event-selectors.js';
import {
  bucketNameProblem, kmsKeyRefProblem, logGroupNameProblem, organizationIdProblem, parseTags, policyNameProblem, requireValid,
  retentionProblem, roleNameProblem, topicNameProblem, trailNameProblem,
} from '../core/names.js';
import { assumeRolePolicy, cloudWatchRolePolicy, formatPolicy, mergeBySid, mergeTrustPolicy, partitionOf, unionTrailStatements, type ChangeAction } from '../core/policies.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { selectorsOf, type SetupInput } from '../core/setup-config.js';
import { logGroupArn, type CreateTrailInput } from '../core/setup-plan.js';
import { readTrailInHomeRegion, withIamPropagationRetry } from '../aws/trail-setup.js';
import { describeChanges, trailChanges } from '../core/trail-update.js';
import { safeText } from '../output/terminal-safe.js';
import { withAws } from './aws-command.js';
import type { CliContext } from './context.js';
import type { CreateLogGroupFlags } from './create-log-group.js';
import type { CreateRoleFlags } from './create-role.js';
import { givenOptions, readJsonArgument } from './json-argument.js';
import type { PutEventSelectorsFlags } from './put-event-selectors.js';
import type { PutInsightSelectorsFlags } from './put-insight-selectors.js';
import type { PutRolePolicyFlags } from './put-role-policy.js';
import { checkGivenRegion, openTrailSession } from './trail-session.js';
import type { UpdateTrailFlags } from './update-trail.js';

const VERB: Record<ChangeAction, string> = { create: 'created', update: 'updated', unchanged: 'unchanged' };

async function report(ctx: CliContext, action: ChangeAction, what: string, json: Record<string, unknown>): Promise<void> {
  if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action, ...json })}\n`);
  else await ctx.write(`${VERB[action]}\t${what}\n`);
}

/** A trail given by name or ARN. */
export function checkTrailRef(value: string, flag: string): string {
  if (value.startsWith('arn:')) {
    const arn = parseTrailArn(value);
    if (arn === undefined) throw usageError(`invalid ${flag} ${JSON.stringify(value)}: expected a trail name or arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`);
    requireValid('trail name', arn.name, trailNameProblem);
    return value;
  }
  return requireValid('trail name', value, trailNameProblem);
}

export async function runCreateLogGroup(ctx: CliContext, flags: CreateLogGroupFlags): Promise<number> {
  const name = requireValid('log group name', flags.logGroupName, logGroupNameProblem);
  let days: number | undefined;
  if (flags.retentionInDays !== undefined) {
    days = Number(flags.retentionInDays);
    requireValid('--retention-in-days', flags.retentionInDays, () => (Number.isInteger(days) ? retentionProblem(days as number) : 'must be a whole number of days'));
  }
  if (flags.kmsKeyId !== undefined && !/^arn:aws[a-z-]*:kms:/.test(flags.kmsKeyId)) throw usageError(`invalid --kms-key-id ${JSON.stringify(flags.kmsKeyId)}: CloudWatch Logs needs the key's full ARN`);
  const tags = parseTags(flags.tags ?? []);
  checkGivenRegion(ctx);
  return withAws(ctx, 'logs:CreateLogGroup', async (clients) => {
    const { gw, env } = await openTrailSession(ctx, clients);
    const existing = await gw.logGroup(name);
    let action: ChangeAction = 'unchanged';
    if (existing === undefined) {
      await gw.createLogGroup(name, { tags, ...(flags.kmsKeyId === undefined ? {} : { kmsKeyId: flags.kmsKeyId }) });
      action = 'create';
    }
    if (days !== undefined && existing?.retentionInDays !== days) {
      await gw.putRetentionPolicy(name, days);
      if (action === 'unchanged') action = 'update';
    }
    const arn = existing?.arn ?? logGroupArn(env, name);
    await report(ctx, action, arn, { logGroupName: name, logGroupArn: arn, ...(days === undefined ? {} : { retentionInDays: days }) });
    return EXIT_OK;
  });
}

export async function runCreateRole(ctx: CliContext, flags: CreateRoleFlags): Promise<number> {
  const name = requireValid('role name', flags.roleName, roleNameProblem);
  if (flags.trailArn !== undefined && parseTrailArn(flags.trailArn) === undefined) throw usageError(`invalid --trail-arn ${JSON.stringify(flags.trailArn)}: expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`);
  const tags = parseTags(flags.tags ?? []);
  checkGivenRegion(ctx);
  return withAws(ctx, 'iam:CreateRole', async (clients) => {
    const { gw } = await openTrailSession(ctx, clients);
    const existing = await gw.role(name);
    let action: ChangeAction;
    let arn: string;
    if (existing === undefined) {
      arn = await gw.createRole(name, formatPolicy(assumeRolePolicy(flags.trailArn === undefined ? {} : { trailArn: flags.trailArn })), tags);
      action = 'create';
    } else {
      arn = existing.arn;
      const merge = mergeTrustPolicy(existing.trust, flags.trailArn);
      if (merge.action !== 'unchanged') await gw.updateAssumeRolePolicy(name, merge.text);
      action = merge.action === 'unchanged' ? 'unchanged' : 'update';
    }
    await report(ctx, action, arn, { roleName: name, roleArn: arn });
    return EXIT_OK;
  });
}

export async function runPutRolePolicy(ctx: CliContext, flags: PutRolePolicyFlags): Promise<number> {
  const role = requireValid('role name', flags.roleName, roleNameProblem);
  const group = requireValid('log group name', flags.logGroupName, logGroupNameProblem);
  const policyName = requireValid('policy name', flags.policyName, policyNameProblem);
  const org = flags.organizationId === undefined ? undefined : requireValid('organization id', flags.organizationId, organizationIdProblem);
  checkGivenRegion(ctx);
  return withAws(ctx, 'iam:PutRolePolicy', async (clients) => {
    const { gw, env } = await openTrailSession(ctx, clients);
    const desired = cloudWatchRolePolicy({ region: env.region, account: env.account, logGroup: group, partition: env.partition, ...(org === undefined ? {} : { organizationId: org }) });
    if (await gw.role(role) === undefined) throw usageError(`IAM role ${role} does not exist`, 'create it first: trailkit create-role');
    const merge = mergeBySid(await gw.rolePolicy(role, policyName), desired, { combine: unionTrailStatements });
    if (merge.action !== 'unchanged') await gw.putRolePolicy(role, policyName, merge.text);
    await report(ctx, merge.action, `${role}/${policyName}`, { roleName: role, policyName, policy: JSON.parse(merge.text) as unknown });
    return EXIT_OK;
  });
}

export async function runUpdateTrail(ctx: CliContext, flags: UpdateTrailFlags, cmd: Command): Promise<number> {
  const given = givenOptions(cmd) as Partial<UpdateTrailFlags>;
  const name = checkTrailRef(flags.name, '--name');
  const input: Partial<CreateTrailInput> & { Name: string } = { Name: name };
  if (given.s3BucketName !== undefined) input.S3BucketName = requireValid('bucket name', given.s3BucketName, bucketNameProblem);
  if (given.s3KeyPrefix !== undefined) input.S3KeyPrefix = given.s3KeyPrefix;
  if (given.snsTopicName !== undefined) input.SnsTopicName = given.snsTopicName.startsWith('arn:') ? given.snsTopicName : requireValid('SNS topic name', given.snsTopicName, topicNameProblem);
  if (given.includeGlobalServiceEvents !== undefined) input.IncludeGlobalServiceEvents = given.includeGlobalServiceEvents;
  if (given.isMultiRegionTrail !== undefined) input.IsMultiRegionTrail = given.isMultiRegionTrail;
  if (given.enableLogFileValidation !== undefined) input.EnableLogFileValidation = given.enableLogFileValidation;
  if (given.isOrganizationTrail !== undefined) input.IsOrganizationTrail = given.isOrganizationTrail;
  if (given.kmsKeyId !== undefined) input.KmsKeyId = requireValid('--kms-key-id', given.kmsKeyId, kmsKeyRefProblem);
  if (given.cloudWatchLogsLogGroupArn !== undefined) {
    if (!/^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9._/#-]+(:\*)?$/.test(given.cloudWatchLogsLogGroupArn)) throw usageError(`invalid --cloud-watch-logs-log-group-arn ${JSON.stringify(given.cloudWatchLogsLogGroupArn)}: expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`);
    input.CloudWatchLogsLogGroupArn = given.cloudWatchLogsLogGroupArn;
  }
  if (given.cloudWatchLogsRoleArn !== undefined) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(given.cloudWatchLogsRoleArn)) throw usageError(`invalid --cloud-watch-logs-role-arn ${JSON.stringify(given.cloudWatchLogsRoleArn)}: expected arn:aws:iam::ACCOUNT:role/NAME`);
    input.CloudWatchLogsRoleArn = given.cloudWatchLogsRoleArn;
  }
  if ((input.CloudWatchLogsLogGroupArn === undefined) !== (input.CloudWatchLogsRoleArn === undefined)) throw usageError('--cloud-watch-logs-log-group-arn and --cloud-watch-logs-role-arn go together');
  if (input.IsMultiRegionTrail === true && input.IncludeGlobalServiceEvents === false) throw usageError('a multi-region trail must include global service events');
  const budget = Number(flags.iamRetrySeconds);
  if (!Number.isFinite(budget) || budget < 0) throw usageError(`invalid --iam-retry-seconds ${JSON.stringify(flags.iamRetrySeconds)}: a number of seconds`);
  if (Object.keys(input).length === 1) throw usageError('nothing to change: give at least one setting (see trailkit update-trail --help)');
  checkGivenRegion(ctx);
  return withAws(ctx, 'cloudtrail:UpdateTrail', async (clients) => {
    const { gw } = await openTrailSession(ctx, clients);
    const current = await readTrailInHomeRegion(gw, name, 'update-trail');
    if (current === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'UpdateTrail must run in the trail\'s home region: check --region');
    let resolvedKmsArn: string | undefined;
    if (input.KmsKeyId !== undefined && current.kmsKeyId !== undefined && input.KmsKeyId !== current.kmsKeyId && !current.kmsKeyId.endsWith(`:key/${input.KmsKeyId}`)) {
      // An alias: compare the key it names (a key we may not describe counts as a change).
      resolvedKmsArn = await gw.kmsKey(input.KmsKeyId).then((k) => k?.arn, () => undefined);
    }
    const changes = trailChanges(current, input, resolvedKmsArn);
    if (changes.length === 0) {
      if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action: 'unchanged', trail: current, changes: [] })}\n`);
      else await ctx.write(`unchanged\t${current.arn}\n`);
      return EXIT_OK;
    }
    const run = () => gw.updateTrail(input);
    const trail = input.CloudWatchLogsRoleArn === undefined ? await run() : await withIamPropagationRetry(run, { budgetMs: budget * 1000, onRetry: (m) => ctx.warn(m) });
    if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action: 'update', trail, changes })}\n`);
    else await ctx.write(`updated\t${trail.arn}\t${safeText(describeChanges(changes))}\n`);
    return EXIT_OK;
  });
}

function selectorInput(flags: PutEventSelectorsFlags): SetupInput {
  const input: SetupInput = {};
  if (flags.eventSelectors !== undefined) input.eventSelectors = readJsonArgument(flags.eventSelectors, '--event-selectors');
  if (flags.advancedEventSelectors !== undefined) input.advancedEventSelectors = readJsonArgument(flags.advancedEventSelectors, '--advanced-event-selectors');
  if (flags.managementEvents !== undefined) input.managementEvents = flags.managementEvents;
  if (flags.excludeKmsEvents !== undefined) input.excludeKmsEvents = flags.excludeKmsEvents;
  if (flags.excludeRdsDataApiEvents !== undefined) input.excludeRdsDataApiEvents = flags.excludeRdsDataApiEvents;
  if (flags.s3DataEvents !== undefined) input.s3DataEvents = flags.s3DataEvents;
  if (flags.lambdaDataEvents !== undefined) input.lambdaDataEvents = flags.lambdaDataEvents;
  if (flags.dynamodbDataEvents !== undefined) input.dynamodbDataEvents = flags.dynamodbDataEvents;
  return input;
}

export async function runPutEventSelectors(ctx: CliContext, flags: PutEventSelectorsFlags): Promise<number> {
  const name = checkTrailRef(flags.trailName, '--trail-name');
  const region = ctx.globals.region ?? ctx.env['AWS_REGION'] ?? 'us-east-1';
  const selectors = selectorsOf(selectorInput(flags), partitionOf(region), (m) => ctx.warn(m));
  if (selectors.basic === undefined && selectors.advanced === undefined) throw usageError('give --event-selectors, --advanced-event-selectors or a convenience flag such as --management-events all');
  checkGivenRegion(ctx);
  return withAws(ctx, 'cloudtrail:PutEventSelectors', async (clients) => {
    const { gw } = await openTrailSession(ctx, clients);
    const trail = await readTrailInHomeRegion(gw, name, 'put-event-selectors');
    if (trail === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'PutEventSelectors must run in the trail\'s home region: check --region');
    await gw.putEventSelectors(name, selectors);
    const count = selectors.advanced?.length ?? selectors.basic?.length ?? 0;
    if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action: 'update', trailArn: trail.arn, ...(selectors.advanced !== undefined ? { advancedEventSelectors: selectors.advanced } : { eventSelectors: selectors.basic }) })}\n`);
    else await ctx.write(`updated\t${trail.arn}\t${count} ${selectors.advanced !== undefined ? 'advanced' : 'basic'} selector(s)\n`);
    return EXIT_OK;
  });
}

export async function runPutInsightSelectors(ctx: CliContext, flags: PutInsightSelectorsFlags): Promise<number> {
  const name = checkTrailRef(flags.trailName, '--trail-name');
  let types: string[];
  try {
    types = parseInsightTypes([flags.insights]);
  } catch (error) {
    throw usageError(`invalid --insights: ${(error as Error).message}`);
  }
  checkGivenRegion(ctx);
  return withAws(ctx, 'cloudtrail:PutInsightSelectors', async (clients) => {
    const { gw } = await openTrailSession(ctx, clients);
    const trail = await readTrailInHomeRegion(gw, name, 'put-insight-selectors');
    if (trail === undefined) throw usageError(`trail ${name} not found in ${gw.region}`, 'run it in the trail\'s home region: check --region');
    if (types.length > 0) {
      const current = await gw.eventSelectors(name);
      if (!recordsWriteManagementEvents(current)) throw usageError(`trail ${name} does not record write management events, which Insights needs`, 'trailkit put-event-selectors --trail-name T --management-events all');
    }
    const before = await gw.insightTypes(name);
    const same = [...before].sort().join(',') === [...types].sort().join(',');
    if (!same) await gw.putInsightSelectors(name, types);
    await report(ctx, same ? 'unchanged' : 'update', `${trail.arn}\t${types.length === 0 ? 'none' : types.join(', ')}`, { trailArn: trail.arn, insightTypes: types });
    return EXIT_OK;
  });
}
