/** The body of `trailkit setup`: settings -> current state -> plan -> confirm -> apply. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { applyCisAlarmStep, planCisAlarmSteps } from '../aws/cis-alarms.js';
import type { AwsClients } from '../aws/clients.js';
import { awsErrorCode, mapAwsError } from '../aws/errors.js';
import { applyOperation, readSetupState } from '../aws/trail-setup.js';
import { cisTopicNameFor, type CisStep } from '../core/cis-alarms.js';
import { EXIT_OK, TrailkitError, errorMessage, jsonSyntaxReason, usageError } from '../core/errors.js';
import { partitionOf } from '../core/policies.js';
import { normalizeConfig, resolveSetupSettings, type SetupInput } from '../core/setup-config.js';
import { planChanges, planCounts, planSetup, resolveNames, type SetupEnvironment, type SetupPlan, type SetupSettings, type SetupStep, type TrailState } from '../core/setup-plan.js';
import { safeText } from '../output/terminal-safe.js';
import { withAws } from './aws-command.js';
import type { CliContext } from './context.js';
import type { PutEventSelectorsFlags } from './put-event-selectors.js';
import { givenOptions, readJsonArgument, readSettingsFile } from './json-argument.js';
import { checkGivenRegion, openTrailSession } from './trail-session.js';

/** The setup flags: every setting of the config file, the selector flags, and how to run. */
interface SetupFlags extends Omit<SetupInput, SelectorKey | 'tags'>, Omit<PutEventSelectorsFlags, 'trailName'> {
  config?: string;
  dryRun?: boolean;
  yes?: boolean;
  iamRetrySeconds?: string;
  cisAlarms?: boolean;
  alarmTopic?: string;
  alarmEmail?: string;
}

type SelectorKey = Exclude<keyof PutEventSelectorsFlags, 'trailName'>;

const SETTING_FLAGS = [
  'trailName', 'bucket', 'prefix', 'singleRegion', 'logFileValidation', 'kmsKey', 'createKmsKey', 'sseS3', 'blockPublicAccess', 'denyInsecureTransport', 'snsTopic', 'logGroup', 'cloudwatch',
  'roleName', 'retentionInDays', 'organization', 'managementEvents', 'excludeKmsEvents', 'excludeRdsDataApiEvents', 's3DataEvents',
  'lambdaDataEvents', 'dynamodbDataEvents', 'insights', 'tag',
] as const;

/** Reads `--config`: JSON or YAML by extension (content sniffed otherwise). */
export function readConfigFile(path: string): SetupInput {
  const text = readSettingsFile(path, '--config');
  let raw: unknown;
  const isJson = /\.json$/i.test(path) || (!/\.ya?ml$/i.test(path) && text.trimStart().startsWith('{'));
  try {
    raw = isJson ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = isJson ? jsonSyntaxReason(error) : errorMessage(error).split('\n')[0];
    throw usageError(`--config: ${safeText(path)} is not valid ${isJson ? 'JSON' : 'YAML'} (${reason})`);
  }
  const config = normalizeConfig(raw, path);
  for (const key of ['eventSelectors', 'advancedEventSelectors'] as const) {
    const value = config[key];
    if (typeof value === 'string') config[key] = readJsonArgument(value, `${path}: ${key}`);
  }
  return config;
}

function flagsInput(given: SetupFlags): SetupInput {
  const input: SetupInput = {};
  for (const key of SETTING_FLAGS) {
    const value = given[key];
    if (value !== undefined) (input as Record<string, unknown>)[key] = value;
  }
  if (given.eventSelectors !== undefined) input.eventSelectors = readJsonArgument(given.eventSelectors, '--event-selectors');
  if (given.advancedEventSelectors !== undefined) input.advancedEventSelectors = readJsonArgument(given.advancedEventSelectors, '--advanced-event-selectors');
  return input;
}

const SYMBOL = { create: '+', update: '~', unchanged: '=' } as const;

function formatStep(ctx: CliContext, s: SetupStep): string {
  const colour = s.action === 'create' ? ctx.chalk.green : s.action === 'update' ? ctx.chalk.yellow : ctx.chalk.dim;
  const added = (s.statements ?? []).map((st) => `      ${colour('+')} ${safeText(JSON.stringify(st))}\n`).join('');
  return `  ${colour(`${SYMBOL[s.action]} ${s.action.padEnd(9)}`)} ${s.id.padEnd(20)} ${safeText(s.resource)}  ${ctx.chalk.dim(safeText(s.detail))}\n${added}`;
}

function formatPlan(ctx: CliContext, plan: SetupPlan): string {
  const counts = planCounts(plan);
  return `Plan for trail ${safeText(plan.trailName)} (${plan.trailArn}) in ${plan.region}, account ${plan.account}:\n`
    + plan.steps.map((s) => formatStep(ctx, s)).join('')
    + `${counts.create} to create, ${counts.update} to update, ${counts.unchanged} unchanged.\n`;
}

function planJson(plan: SetupPlan): Record<string, unknown> {
  return {
    trailName: plan.trailName,
    trailArn: plan.trailArn,
    region: plan.region,
    account: plan.account,
    steps: plan.steps.map(({ id, resource, action, detail, statements }) => ({ id, resource, action, detail, ...(statements === undefined ? {} : { statements }) })),
  };
}

async function confirm(ctx: CliContext): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question('Apply these changes? [y/N] ', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export async function runSetup(ctx: CliContext, cmd: Command): Promise<number> {
  const given = givenOptions(cmd) as SetupFlags;
  const all = cmd.opts() as SetupFlags;
  const output = ctx.globals.output ?? 'text';
  if (!['text', 'pretty', 'json'].includes(output)) throw usageError(`invalid --output ${JSON.stringify(output)}: use text or json`);
  const json = output === 'json';
  const budget = Number(all.iamRetrySeconds ?? '90');
  if (!Number.isFinite(budget) || budget < 0) throw usageError(`invalid --iam-retry-seconds ${JSON.stringify(all.iamRetrySeconds)}: a number of seconds`);

  if ((all.alarmTopic !== undefined || all.alarmEmail !== undefined) && all.cisAlarms !== true) {
    throw usageError(`${all.alarmTopic !== undefined ? '--alarm-topic' : '--alarm-email'} is for the CIS alarms`, 'add --cis-alarms');
  }
  if (all.alarmTopic !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(all.alarmTopic)) {
    throw usageError(`--alarm-topic '${all.alarmTopic}' is not an SNS topic ARN`, 'e.g. arn:aws:sns:us-east-1:123456789012:security-alerts');
  }
  if (all.alarmEmail !== undefined && !EMAIL.test(all.alarmEmail)) throw usageError(`--alarm-email '${all.alarmEmail}' is not an email address`, 'e.g. --alarm-email security@example.com');
  const config = given.config === undefined ? {} : readConfigFile(given.config);
  const regionHint = ctx.globals.region ?? ctx.env['AWS_REGION'] ?? 'us-east-1';
  const flags = flagsInput(given);
  // `--organization` without an id: the id comes from AWS Organizations, once the other settings are valid.
  const lookUpOrganization = (flags.organization ?? config.organization) === true;
  if (lookUpOrganization) {
    delete flags.organization;
    delete config.organization;
  }
  let settings = resolveSetupSettings(config, flags, partitionOf(regionHint), (m) => ctx.warn(m));
  checkGivenRegion(ctx);

  return withAws(ctx, 'setup', async (clients) => {
    if (lookUpOrganization) {
      const organizationId = await describeOrganizationId(clients);
      settings = resolveSetupSettings(config, { ...flags, organization: organizationId }, partitionOf(regionHint), () => undefined);
    }
    const { gw, env } = await openTrailSession(ctx, clients);
    const state = await readSetupState(gw, settings, env);
    const plan = planSetup(settings, env, state);
    const cisSteps = all.cisAlarms === true ? await planCisSteps(clients, settings, env, state.trail, all.alarmTopic, all.alarmEmail) : [];
    const logGroupName = resolveNames(settings, env, state.trail).logGroup;
    for (const step of cisSteps) plan.steps.push({ id: CIS_STEP_ID[step.kind], resource: step.name, action: step.action, detail: cisDetail(step) });
    const changes = planChanges(plan);
    const next = `trailkit verify --trail-name ${plan.trailName}${connectionFlags(ctx, env.region)}`;
    const topicNote = cisTopicNote(cisSteps, all.alarmEmail);

    if (!json) await ctx.write(formatPlan(ctx, plan));
    if (given.dryRun === true || !changes) {
      if (json) await ctx.write(`${JSON.stringify({ ...planJson(plan), dryRun: given.dryRun === true, changed: false, results: [], next })}\n`);
      else await ctx.write(given.dryRun === true ? `${topicNote}Dry run: nothing was changed.\n` : `No changes: trail ${safeText(plan.trailName)} is set up as asked.\n${topicNote}Next: ${next}\n`);
      return EXIT_OK;
    }
    if (given.yes !== true) {
      if (ctx.stdin.isTTY !== true) throw usageError('refusing to apply without --yes: standard input is not a terminal', 'review the plan with --dry-run, then run again with --yes');
      if (json) ctx.stderr.write(formatPlan(ctx, plan));
      if (!(await confirm(ctx))) throw new TrailkitError('aborted', 'setup aborted: nothing was changed');
    }

    const results: { id: string; action: string; result: string }[] = [];
    const pending = plan.steps.filter((s) => s.operation !== undefined);
    if (!json) await ctx.write('Applying:\n');
    for (const s of pending) {
      try {
        const result = await applyOperation(gw, s.operation!, { budgetMs: budget * 1000, onRetry: (m) => ctx.warn(m) });
        results.push({ id: s.id, action: s.action, result });
        if (!json) await ctx.write(`  ${ctx.chalk.green('done')}  ${s.id.padEnd(20)} ${safeText(result)}\n`);
      } catch (error) {
        results.push({ id: s.id, action: 'failed', result: errorMessage(error) });
        if (json) await ctx.write(`${JSON.stringify({ ...planJson(plan), dryRun: false, changed: results.length > 1, results, next })}\n`);
        else await ctx.write(`  ${ctx.chalk.red('FAILED')} ${s.id.padEnd(20)}\n`);
        const done = results.length - 1;
        const cause = error instanceof TrailkitError ? error : new TrailkitError('aws', errorMessage(error), { cause: error });
        throw new TrailkitError(cause.code, `setup stopped at ${s.id}: ${cause.message}`, {
          hint: `${done} of ${pending.length} changes were applied; ${cause.hint === undefined ? '' : `${cause.hint}; `}fix the cause and run the same command again to finish`,
          cause: error,
        });
      }
    }
    for (const step of cisSteps.filter((c) => c.action !== 'unchanged')) {
      const id = CIS_STEP_ID[step.kind];
      try {
        await applyCisAlarmStep(clients, env.region, logGroupName, step);
      } catch (error) {
        throw new TrailkitError('aws', `setup stopped at ${id} ${step.name}: ${errorMessage(error)}`, { hint: 'fix the cause and run the same command again to finish', cause: error });
      }
      results.push({ id, action: step.action, result: step.name });
      if (!json) await ctx.write(`  ${ctx.chalk.green('done')}  ${id.padEnd(20)} ${safeText(step.name)}\n`);
    }
    if (json) await ctx.write(`${JSON.stringify({ ...planJson(plan), dryRun: false, changed: true, results, next, ...(topicNote === '' ? {} : { note: topicNote.trim() }) })}\n`);
    else await ctx.write(`Trail ${safeText(plan.trailName)} is set up and logging.\n${topicNote}Next: ${next}\n`);
    return EXIT_OK;
  });
}

/** The id of the caller's organization (`--organization` without a value). */
async function describeOrganizationId(clients: AwsClients): Promise<string> {
  const { DescribeOrganizationCommand } = await import('@aws-sdk/client-organizations');
  try {
    const id = (await (await clients.organizations()).send(new DescribeOrganizationCommand({}))).Organization?.Id;
    if (id === undefined) throw new Error('DescribeOrganization returned no id');
    return id;
  } catch (error) {
    if (awsErrorCode(error) === 'AWSOrganizationsNotInUseException') {
      throw usageError('--organization: this account is not in an AWS organization', 'drop --organization for an account trail, or run setup from the organization\'s management account');
    }
    throw mapAwsError(error, { action: 'organizations:DescribeOrganization' });
  }
}

const CIS_STEP_ID: Record<CisStep['kind'], string> = { topic: 'cis-alarm-topic', subscription: 'cis-alarm-subscription', 'metric-filter': 'cis-metric-filter', alarm: 'cis-alarm' };

function cisDetail(step: CisStep): string {
  switch (step.kind) {
    case 'topic': return step.action === 'create' ? `CreateTopic ${step.topicName ?? ''} for the CIS alarms` : 'exists';
    case 'subscription': return step.action === 'create' ? `Subscribe ${step.email ?? ''} by email (the address must confirm it)` : 'subscribed';
    case 'alarm': return `alarm on ${step.alarm?.namespace ?? ''}/${step.alarm?.metricName ?? ''}, notifies ${step.alarm?.alarmActions.join(', ') ?? ''}`;
    case 'metric-filter': return `metric ${step.filter?.metricNamespace ?? ''}/${step.filter?.metricName ?? ''}`;
  }
}

/** What the user must still do for the alarms to reach someone. */
function cisTopicNote(steps: readonly CisStep[], email: string | undefined): string {
  const topic = steps.find((s) => s.kind === 'topic');
  if (topic === undefined) return '';
  if (email !== undefined) return `CIS alarms notify ${topic.name}: ${email} must confirm the subscription email before they reach anyone.\n`;
  return `CIS alarms notify ${topic.name}, which needs a subscriber: aws sns subscribe --topic-arn ${topic.name} --protocol email --notification-endpoint ADDRESS (or run again with --alarm-email ADDRESS).\n`;
}

/** The connection flags the user gave, repeated for the next command. */
function connectionFlags(ctx: CliContext, region: string): string {
  const { profile, endpointUrl } = ctx.globals;
  const quote = (v: string) => (/^[A-Za-z0-9_./:@=+-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  return [
    profile === undefined ? '' : ` --profile ${quote(profile)}`,
    ctx.globals.region === undefined ? '' : ` --region ${quote(region)}`,
    endpointUrl === undefined ? '' : ` --endpoint-url ${quote(endpointUrl)}`,
  ].join('');
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The CIS 4.x metric filters and alarms (`--cis-alarms`); they need the CloudWatch Logs group and notify an SNS topic. */
async function planCisSteps(clients: AwsClients, settings: SetupSettings, env: SetupEnvironment, trail: TrailState | undefined, topic: string | undefined, email: string | undefined): Promise<CisStep[]> {
  const names = resolveNames(settings, env, trail);
  if (!names.cloudwatch) throw usageError('--cis-alarms needs CloudWatch Logs', "drop --no-cloudwatch: the CIS metric filters live on the trail's log group");
  const createName = topic === undefined ? cisTopicNameFor(settings.trailName) : undefined;
  const arn = topic ?? `arn:${env.partition}:sns:${env.region}:${env.account}:${createName ?? ''}`;
  return planCisAlarmSteps(clients, env.region, names.logGroup, { arn, ...(createName === undefined ? {} : { createName }), ...(email === undefined ? {} : { email }) });
}
