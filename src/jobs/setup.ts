/**
 * `setup` as a job: settings -> the account's current state -> a plan (data) -> confirmation
 * (a callback) -> the steps applied one by one, each reported to a callback.
 */
import type { AwsClients } from '../aws/clients.js';
import { awsErrorCode, mapAwsError } from '../aws/errors.js';
import { cisTopicNameFor, type CisStep } from '../core/cis-alarms.js';
import { TrailkitError, errorMessage, usageError } from '../core/errors.js';
import { partitionOf } from '../core/policies.js';
import { resolveSetupSettings, type SetupInput } from '../core/setup-config.js';
import { planChanges, planSetup, resolveNames, type SetupEnvironment, type SetupPlan, type SetupSettings, type TrailState } from '../core/setup-plan.js';
import { jobContext, throwIfAborted, withAwsClients, type JobOptions } from './job-options.js';
import { checkGivenRegion } from './region-check.js';

export interface SetupRequest {
  /** The settings, as in the config file (later wins: `config`, then `settings`). */
  readonly settings: SetupInput;
  readonly config?: SetupInput;
  /** The CIS 4.x metric filters and alarms on the trail's log group, notifying a topic. */
  readonly cisAlarms?: { readonly topicArn?: string; readonly email?: string };
  /** How long IAM's eventual consistency is waited out when CloudTrail cannot yet assume a new role (default 90 s). */
  readonly iamRetrySeconds?: number;
}

/** What one applied step did. */
export interface SetupStepResult {
  readonly id: string;
  readonly action: 'create' | 'update' | 'unchanged' | 'failed';
  /** What AWS answered, or the error. */
  readonly result: string;
}

export interface SetupOptions extends JobOptions {
  /** Plan only. */
  readonly dryRun?: boolean;
  /** Called with the plan before anything is changed. */
  readonly onPlan?: (plan: SetupPlan) => void | Promise<void>;
  /** Asked before applying a plan with changes; false stops with nothing changed. Without it, the plan is applied. */
  readonly confirm?: (plan: SetupPlan) => boolean | Promise<boolean>;
  /** Called after each step, and for the step that failed. */
  readonly onStep?: (step: SetupStepResult) => void | Promise<void>;
}

export interface SetupOutcome {
  readonly plan: SetupPlan;
  /** The CIS alarm steps (also in plan.steps). */
  readonly cisSteps: readonly CisStep[];
  /** Whether anything was changed. */
  readonly changed: boolean;
  readonly dryRun: boolean;
  readonly results: readonly SetupStepResult[];
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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The plan only: nothing is changed. */
export async function planTrailSetup(request: SetupRequest, options: JobOptions = {}): Promise<SetupOutcome> {
  return setupTrail(request, { ...options, dryRun: true });
}

/** Plans a trail as AWS documents it, then (unless dryRun, and once confirmed) applies the plan step by step. */
export async function setupTrail(request: SetupRequest, options: SetupOptions = {}): Promise<SetupOutcome> {
  const job = jobContext(options);
  const budget = request.iamRetrySeconds ?? 90;
  if (!Number.isFinite(budget) || budget < 0) throw usageError(`invalid --iam-retry-seconds ${JSON.stringify(request.iamRetrySeconds)}: a number of seconds`);
  const cis = request.cisAlarms;
  if (cis?.topicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(cis.topicArn)) {
    throw usageError(`--alarm-topic '${cis.topicArn}' is not an SNS topic ARN`, 'e.g. arn:aws:sns:us-east-1:123456789012:security-alerts');
  }
  if (cis?.email !== undefined && !EMAIL.test(cis.email)) throw usageError(`--alarm-email '${cis.email}' is not an email address`, 'e.g. --alarm-email security@example.com');
  const config = { ...(request.config ?? {}) };
  const flags = { ...request.settings };
  const regionHint = job.aws.region ?? job.env['AWS_REGION'] ?? 'us-east-1';
  // `organization: true`: the id comes from AWS Organizations, once the other settings are valid.
  const lookUpOrganization = (flags.organization ?? config.organization) === true;
  if (lookUpOrganization) {
    delete flags.organization;
    delete config.organization;
  }
  let settings = resolveSetupSettings(config, flags, partitionOf(regionHint), (m) => job.warn(m));
  checkGivenRegion(job);

  // The SDK's clients load only when a setup runs: importing the library loads none of them.
  const [{ applyCisAlarmStep }, { applyOperation, readSetupState }, { openTrailSession }] = await Promise.all([
    import('../aws/cis-alarms.js'),
    import('../aws/trail-setup.js'),
    import('./trail-session.js'),
  ]);
  return withAwsClients(job, 'setup', async (clients) => {
    if (lookUpOrganization) {
      const organizationId = await describeOrganizationId(clients);
      settings = resolveSetupSettings(config, { ...flags, organization: organizationId }, partitionOf(regionHint), () => undefined);
    }
    const { gw, env } = await openTrailSession(job, clients);
    const state = await readSetupState(gw, settings, env);
    const plan = planSetup(settings, env, state);
    const cisSteps = cis === undefined ? [] : await planCisSteps(clients, settings, env, state.trail, cis.topicArn, cis.email);
    const logGroupName = resolveNames(settings, env, state.trail).logGroup;
    for (const step of cisSteps) plan.steps.push({ id: CIS_STEP_ID[step.kind], resource: step.name, action: step.action, detail: cisDetail(step) });
    await options.onPlan?.(plan);
    const results: SetupStepResult[] = [];
    const outcome = (changed: boolean): SetupOutcome => ({ plan, cisSteps, changed, dryRun: options.dryRun === true, results });
    if (options.dryRun === true || !planChanges(plan)) return outcome(false);
    if (options.confirm !== undefined && !(await options.confirm(plan))) throw new TrailkitError('aborted', 'setup aborted: nothing was changed');
    throwIfAborted(job.signal);

    const pending = plan.steps.filter((s) => s.operation !== undefined);
    const report = async (result: SetupStepResult) => {
      results.push(result);
      await options.onStep?.(result);
    };
    for (const s of pending) {
      if (job.signal?.aborted === true) {
        throw new TrailkitError('aborted', `setup stopped before ${s.id}`, { exitCode: 130, hint: `${results.length} of ${pending.length} changes were applied; run the same setup again to finish` });
      }
      try {
        const result = await applyOperation(gw, s.operation!, { budgetMs: budget * 1000, onRetry: (m) => job.warn(m) });
        await report({ id: s.id, action: s.action, result });
      } catch (error) {
        const done = results.length;
        await report({ id: s.id, action: 'failed', result: errorMessage(error) });
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
      await report({ id, action: step.action, result: step.name });
    }
    return outcome(true);
  });
}

/** The id of the caller's organization (`organization: true`). */
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

/** The CIS 4.x metric filters and alarms; they need the CloudWatch Logs group and notify an SNS topic. */
async function planCisSteps(clients: AwsClients, settings: SetupSettings, env: SetupEnvironment, trail: TrailState | undefined, topic: string | undefined, email: string | undefined): Promise<CisStep[]> {
  const { planCisAlarmSteps } = await import('../aws/cis-alarms.js');
  const names = resolveNames(settings, env, trail);
  if (!names.cloudwatch) throw usageError('--cis-alarms needs CloudWatch Logs', "drop --no-cloudwatch: the CIS metric filters live on the trail's log group");
  const createName = topic === undefined ? cisTopicNameFor(settings.trailName) : undefined;
  const arn = topic ?? `arn:${env.partition}:sns:${env.region}:${env.account}:${createName ?? ''}`;
  return planCisAlarmSteps(clients, env.region, names.logGroup, { arn, ...(createName === undefined ? {} : { createName }), ...(email === undefined ? {} : { email }) });
}
