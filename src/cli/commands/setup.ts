/** `trailkit setup`: flags and --config -> setupTrail (src/jobs/setup.ts) with the plan, prompt and steps printed. */
import { Command, Option } from 'commander';
import type { SetupInput } from '../../core/setup-config.js';
import type { SetupPlan, SetupStep } from '../../core/setup-plan.js';
import type { CisStep } from '../../core/cis-alarms.js';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import type { PutEventSelectorsFlags } from './put-event-selectors.js';
import { runCommand } from '../run-command.js';
import { addSelectorOptions } from '../selector-options.js';

const EXAMPLES = `
Examples:
  $ trailkit setup --trail-name main --bucket acme-cloudtrail-logs --dry-run
  $ trailkit setup --trail-name main --bucket acme-cloudtrail-logs --yes
  $ trailkit setup --trail-name main --bucket acme-ct --create-kms-key --sns-topic ct-deliveries --insights api-call-rate,api-error-rate
  $ trailkit setup --config trailkit.yaml --yes --output json
  $ trailkit setup --trail-name main --bucket acme-ct --s3-data-events all --exclude-kms-events --retention-in-days 365 --tag team=sec

It reads what exists, prints a plan (create / update / unchanged for the bucket, public access block,
bucket policy, KMS key and policy, SNS topic and policy, log group, role, role policy, trail, event
selectors, Insights, tags, logging), asks before applying on a terminal (--yes to skip; without a
terminal --yes is required), then applies it step by step. Running it again changes nothing; after a
failure it finishes the rest. An existing bucket policy is merged by meaning: statements setup did
not write are never changed, whatever their Sid, and setup adds its own (shown in the plan) only
for what nothing grants CloudTrail yet; key, topic and role policies are merged by Sid. An existing
trail's settings that were not asked for stay. Defaults for a new trail, as the console's: all
regions, log file validation on, SSE-KMS with a new key (--sse-s3 for SSE-S3 only), CloudWatch Logs
group aws-cloudtrail-logs-TRAIL encrypted with that key, role CloudTrail_CloudWatchLogs_Role; Block
Public Access on the bucket, also an existing one (--no-block-public-access).
--cis-alarms: the CIS 4.1-4.15 metric filters and alarms, notifying --alarm-topic, or a topic setup
creates (subscribe someone, or give --alarm-email).

--config reads the same settings from JSON or YAML (keys: the long flag names, e.g. trail-name,
bucket, s3-data-events, tags as a mapping); flags override the file.
Exit status: 0 done (or nothing to do, or --dry-run), 2 on invalid input, refusal or an AWS error.`;

export function makeSetupCommand(): Command {
  const command = new Command('setup')
    .description('plan and apply a whole trail: bucket, policies, KMS, SNS, CloudWatch Logs, selectors, Insights, logging')
    .addOption(new Option('--trail-name <name>', 'the trail'))
    .addOption(new Option('--bucket <name>', 'S3 bucket for the logs (created when absent)'))
    .addOption(new Option('--prefix <prefix>', 'S3 key prefix'))
    .addOption(new Option('--single-region', 'record this region only (default for a new trail: all regions)'))
    .addOption(new Option('--no-log-file-validation', 'no digest files (default for a new trail: on)'))
    .addOption(new Option('--kms-key <key>', 'encrypt with this KMS key (ARN or alias); its policy is merged'))
    .addOption(new Option('--create-kms-key', 'create a key (alias/trailkit/TRAIL) with the CloudTrail key policy (the default for a new trail)'))
    .addOption(new Option('--sse-s3', 'a new trail without a KMS key: SSE-S3 encryption only'))
    .addOption(new Option('--no-block-public-access', "leave an existing bucket's Block Public Access settings as they are"))
    .addOption(new Option('--no-deny-insecure-transport', 'no bucket policy statement denying requests without TLS'))
    .addOption(new Option('--sns-topic <name>', 'notify this SNS topic of deliveries (created when absent)'))
    .addOption(new Option('--log-group <name>', 'CloudWatch Logs group (default aws-cloudtrail-logs-TRAIL)'))
    .addOption(new Option('--no-cloudwatch', 'do not set up CloudWatch Logs'))
    .addOption(new Option('--role-name <name>', 'role CloudTrail assumes for CloudWatch Logs (default CloudTrail_CloudWatchLogs_Role)'))
    .addOption(new Option('--retention-in-days <days>', 'log group retention'))
    .addOption(new Option('--organization [org-id]', 'an organization trail; the id (o-...) is read from AWS Organizations when not given'));
  return addSelectorOptions(command)
    .addOption(new Option('--insights <types>', 'api-call-rate, api-error-rate (comma-separated) or none'))
    .addOption(new Option('--tag <k=v>', 'tag for the trail and created resources; repeatable').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--config <file>', 'settings from trailkit.json or trailkit.yaml; flags override'))
    .addOption(new Option('--dry-run', 'print the plan and change nothing'))
    .addOption(new Option('--yes', 'apply without asking'))
    .addOption(new Option('--iam-retry-seconds <seconds>', 'how long to retry while a new role propagates').default('90'))
    .addOption(new Option('--cis-alarms', 'also create the CIS 4.1-4.15 metric filters on the log group and an alarm on each metric'))
    .addOption(new Option('--alarm-topic <arn>', 'SNS topic ARN the CIS alarms notify (default: a topic trailkit-cis-alarms-TRAIL that setup creates)'))
    .addOption(new Option('--alarm-email <address>', 'subscribe this address to the alarm topic (it must confirm the email)'))
    .addHelpText('after', EXAMPLES)
    .action(async (_flags: Record<string, unknown>, cmd: Command) => {
      await runCommand(cmd, (ctx) => runSetup(ctx, cmd), { outputs: TEXT_OR_JSON });
    });
}

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
export async function readConfigFile(path: string): Promise<SetupInput> {
  const [{ parse: parseYaml }, { errorMessage, jsonSyntaxReason, usageError }, { normalizeConfig }, { safeText }, { readJsonArgument, readSettingsFile }] = await Promise.all([
    import('yaml'),
    import('../../core/errors.js'),
    import('../../core/setup-config.js'),
    import('../../output/terminal-safe.js'),
    import('../json-argument.js'),
  ]);
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

async function flagsInput(given: SetupFlags): Promise<SetupInput> {
  const { readJsonArgument } = await import('../json-argument.js');
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

function formatStep(ctx: CliContext, safeText: (s: string) => string, s: SetupStep): string {
  const colour = s.action === 'create' ? ctx.chalk.green : s.action === 'update' ? ctx.chalk.yellow : ctx.chalk.dim;
  const added = (s.statements ?? []).map((st) => `      ${colour('+')} ${safeText(JSON.stringify(st))}\n`).join('');
  return `  ${colour(`${SYMBOL[s.action]} ${s.action.padEnd(9)}`)} ${s.id.padEnd(20)} ${safeText(s.resource)}  ${ctx.chalk.dim(safeText(s.detail))}\n${added}`;
}

function formatPlan(ctx: CliContext, safeText: (s: string) => string, plan: SetupPlan): string {
  const counts = { create: 0, update: 0, unchanged: 0 };
  for (const s of plan.steps) counts[s.action]++;
  return `Plan for trail ${safeText(plan.trailName)} (${plan.trailArn}) in ${plan.region}, account ${plan.account}:\n`
    + plan.steps.map((s) => formatStep(ctx, safeText, s)).join('')
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
  const { createInterface } = await import('node:readline');
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

async function runSetup(ctx: CliContext, cmd: Command): Promise<number> {
  const [{ EXIT_OK, TrailkitError, usageError }, { setupTrail }, { safeText }, { givenOptions }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../jobs/setup.js'),
    import('../../output/terminal-safe.js'),
    import('../json-argument.js'),
    import('../job-options.js'),
  ]);
  const given = givenOptions(cmd) as SetupFlags;
  const all = cmd.opts() as SetupFlags;
  const json = (ctx.globals.output ?? 'text') === 'json';
  const budget = Number(all.iamRetrySeconds ?? '90');
  if (!Number.isFinite(budget) || budget < 0) throw usageError(`invalid --iam-retry-seconds ${JSON.stringify(all.iamRetrySeconds)}: a number of seconds`);
  if ((all.alarmTopic !== undefined || all.alarmEmail !== undefined) && all.cisAlarms !== true) {
    throw usageError(`${all.alarmTopic !== undefined ? '--alarm-topic' : '--alarm-email'} is for the CIS alarms`, 'add --cis-alarms');
  }
  const config = given.config === undefined ? {} : await readConfigFile(given.config);
  const settings = await flagsInput(given);
  let plan: SetupPlan | undefined;
  const results: { id: string; action: string; result: string }[] = [];
  let cisSteps: readonly CisStep[] = [];
  const next = () => `trailkit verify --trail-name ${plan?.trailName ?? ''}${connectionFlags(ctx, plan?.region ?? '')}`;
  const request = {
    settings,
    config,
    iamRetrySeconds: budget,
    ...(all.cisAlarms === true ? { cisAlarms: { ...(all.alarmTopic === undefined ? {} : { topicArn: all.alarmTopic }), ...(all.alarmEmail === undefined ? {} : { email: all.alarmEmail }) } } : {}),
  };
  let applying = false;
  try {
    const outcome = await setupTrail(request, {
      ...jobOptionsOf(ctx),
      dryRun: given.dryRun === true,
      onPlan: async (p) => {
        plan = p;
        if (!json) await ctx.write(formatPlan(ctx, safeText, p));
      },
      confirm: async (p) => {
        if (given.yes !== true) {
          if (ctx.stdin.isTTY !== true) throw usageError('refusing to apply without --yes: standard input is not a terminal', 'review the plan with --dry-run, then run again with --yes');
          if (json) ctx.stderr.write(formatPlan(ctx, safeText, p));
          if (!(await confirm(ctx))) return false;
        }
        applying = true;
        if (!json) await ctx.write('Applying:\n');
        return true;
      },
      onStep: async (step) => {
        results.push(step);
        if (json) return;
        if (step.action === 'failed') await ctx.write(`  ${ctx.chalk.red('FAILED')} ${step.id.padEnd(20)}\n`);
        else await ctx.write(`  ${ctx.chalk.green('done')}  ${step.id.padEnd(20)} ${safeText(step.result)}\n`);
      },
    });
    cisSteps = outcome.cisSteps;
    const p = outcome.plan;
    const topicNote = cisTopicNote(cisSteps, all.alarmEmail);
    if (!outcome.changed) {
      if (json) await ctx.write(`${JSON.stringify({ ...planJson(p), dryRun: outcome.dryRun, changed: false, results: [], next: next() })}\n`);
      else await ctx.write(outcome.dryRun ? `${topicNote}Dry run: nothing was changed.\n` : `No changes: trail ${safeText(p.trailName)} is set up as asked.\n${topicNote}Next: ${next()}\n`);
      return EXIT_OK;
    }
    if (json) await ctx.write(`${JSON.stringify({ ...planJson(p), dryRun: false, changed: true, results, next: next(), ...(topicNote === '' ? {} : { note: topicNote.trim() }) })}\n`);
    else await ctx.write(`Trail ${safeText(p.trailName)} is set up and logging.\n${topicNote}Next: ${next()}\n`);
    return EXIT_OK;
  } catch (error) {
    // A step failed: the JSON document still says what was applied.
    if (json && applying && plan !== undefined && error instanceof TrailkitError && results.some((r) => r.action === 'failed')) {
      await ctx.write(`${JSON.stringify({ ...planJson(plan), dryRun: false, changed: results.length > 1, results, next: next() })}\n`);
    }
    throw error;
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
