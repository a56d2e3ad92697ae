/**
 * The AWS side of `trailkit setup`: reads the current state a plan is computed from, and applies
 * one planned step at a time.
 */
import { TrailkitError } from '../core/errors.js';
import { mergeSnsTopicPolicy } from '../core/policies.js';
import {
  DEFAULT_ROLE_POLICY_NAME, resolveNames, type CreateTrailInput, type CurrentState, type SetupEnvironment, type SetupOperation,
  type SetupSettings, type TrailState,
} from '../core/setup-plan.js';
import { awsErrorCode } from './errors.js';
import type { TrailSetupGateway } from './trail-setup-gateway.js';

/**
 * A trail read where the command runs (undefined when there is none), refused when its home
 * region is another one: CloudTrail changes a trail only in its home region, and would answer
 * with InvalidHomeRegionException. `command` names the command to run again with --region.
 */
export async function readTrailInHomeRegion(gw: TrailSetupGateway, name: string, command: string): Promise<TrailState | undefined> {
  const trail = await gw.trail(name);
  if (trail?.homeRegion !== undefined && trail.homeRegion !== gw.region) {
    throw new TrailkitError('region', `trail ${name} belongs to ${trail.homeRegion}, not ${gw.region}`, { hint: `run ${command} with --region ${trail.homeRegion}` });
  }
  return trail;
}

/** Reads everything the plan depends on; a --kms-key that does not exist is an error here. */
export async function readSetupState(gw: TrailSetupGateway, settings: SetupSettings, env: SetupEnvironment): Promise<CurrentState> {
  const trail = await readTrailInHomeRegion(gw, settings.trailName, 'setup');
  const names = resolveNames(settings, env, trail);
  const state: CurrentState = { bucket: { exists: false } };
  if (trail !== undefined) state.trail = trail;

  const exists = await gw.bucketExists(settings.bucket);
  state.bucket.exists = exists;
  const tasks: Promise<void>[] = [];
  if (exists) {
    tasks.push(gw.bucketPolicy(settings.bucket).then((p) => { if (p !== undefined) state.bucket.policy = p; }));
    tasks.push(gw.publicAccessBlock(settings.bucket).then((p) => { if (p !== undefined) state.bucket.publicAccessBlock = p; }));
  }
  if (names.kmsKeyRef !== undefined) {
    const ref = names.kmsKeyRef;
    tasks.push(gw.kmsKey(ref).then((key) => {
      // A key setup makes (--create-kms-key, or the SSE-KMS default of a new trail) may not exist yet.
      if (key === undefined && names.kmsAlias === undefined) {
        throw new TrailkitError('kms', `KMS key ${ref} not found in ${env.region}`, { hint: 'give an existing key ARN or alias in the trail\'s region, or use --create-kms-key' });
      }
      if (key !== undefined) state.kmsKey = key;
    }));
  }
  if (names.topicArn !== undefined) tasks.push(gw.topic(names.topicArn).then((t) => { if (t !== undefined) state.topic = t; }));
  if (names.cloudwatch) {
    tasks.push(gw.logGroup(names.logGroup).then((g) => { if (g !== undefined) state.logGroup = g; }));
    tasks.push(gw.role(names.roleName).then(async (r) => {
      if (r === undefined) return;
      state.role = r;
      const policy = await gw.rolePolicy(names.roleName, DEFAULT_ROLE_POLICY_NAME);
      if (policy !== undefined) state.rolePolicy = policy;
    }));
  }
  if (trail !== undefined) {
    tasks.push(gw.eventSelectors(trail.name).then((s) => { state.selectors = s; }));
    if (settings.insights !== undefined) tasks.push(gw.insightTypes(trail.name).then((t) => { state.insightTypes = t; }));
    if (settings.tags !== undefined) tasks.push(gw.trailTags(trail.arn).then((t) => { state.trailTags = t; }));
    tasks.push(gw.isLogging(trail.name).then((l) => { state.isLogging = l; }));
  }
  const results = await Promise.allSettled(tasks);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return state;
}

/** Errors CloudTrail gives while IAM has not yet propagated a new role or policy. */
const IAM_PROPAGATION = new Set(['InvalidCloudWatchLogsRoleArnException', 'InvalidCloudWatchLogsLogGroupArnException']);

export function isIamPropagationError(error: unknown): boolean {
  const code = awsErrorCode(error instanceof TrailkitError ? error.cause : error) ?? '';
  return IAM_PROPAGATION.has(code);
}

export interface RetryOptions {
  /** How long to keep retrying in total, in ms. */
  budgetMs: number;
  /** First delay; doubles up to 10 s. */
  firstDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (message: string) => void;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a CreateTrail/UpdateTrail that points the trail at a CloudWatch Logs role, retrying while
 * CloudTrail cannot yet assume a role IAM has just created or changed (IAM is eventually consistent).
 */
export async function withIamPropagationRetry<T>(body: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  let delay = options.firstDelayMs ?? 2000;
  let waited = 0;
  for (;;) {
    try {
      return await body();
    } catch (error) {
      if (!isIamPropagationError(error) || waited + delay > options.budgetMs) {
        if (isIamPropagationError(error)) {
          throw new TrailkitError('iam-propagation', `${(error as Error).message} (still failing after ${Math.round(waited / 1000)} s of retries)`, {
            hint: 'check the role trusts cloudtrail.amazonaws.com and has the cloudtrail-policy permissions (trailkit policy cloudwatch-role), then run again',
            cause: error,
          });
        }
        throw error;
      }
      options.onRetry?.(`CloudTrail cannot use the CloudWatch Logs role yet (IAM changes take a while to propagate): retrying in ${Math.round(delay / 1000)} s`);
      await sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

function pointsAtCloudWatch(input: CreateTrailInput): boolean {
  return input.CloudWatchLogsRoleArn !== undefined;
}

/** Applies one step; returns what was done, for the progress line. */
export async function applyOperation(gw: TrailSetupGateway, op: SetupOperation, retry: RetryOptions): Promise<string> {
  switch (op.kind) {
    case 'createBucket':
      await gw.createBucket(op.bucket);
      return `created s3://${op.bucket}`;
    case 'putPublicAccessBlock':
      await gw.putPublicAccessBlock(op.bucket);
      return 'blocked all public access';
    case 'putBucketPolicy':
      await gw.putBucketPolicy(op.bucket, op.policy);
      return 'bucket policy written';
    case 'createKmsKey': {
      const key = await gw.createKmsKey(op.alias, op.policy, op.tags);
      return `${key.reused ? 'aliased the key an earlier run created,' : 'created'} ${key.arn} (${op.alias})`;
    }
    case 'putKeyPolicy':
      await gw.putKeyPolicy(op.keyId, op.policy);
      return 'key policy written';
    case 'createTopic':
      return `created ${await gw.createTopic(op.name, op.tags)}`;
    case 'mergeTopicPolicy': {
      const current = await gw.topic(op.topicArn);
      const merge = mergeSnsTopicPolicy(current?.policy, op.desired);
      if (merge.action === 'unchanged') return 'topic policy already allows CloudTrail';
      await gw.setTopicPolicy(op.topicArn, merge.text);
      return 'topic policy written';
    }
    case 'createLogGroup': {
      const key = op.kmsKeyRef === undefined ? undefined : await gw.kmsKey(op.kmsKeyRef);
      if (op.kmsKeyRef !== undefined && key === undefined) throw new TrailkitError('kms', `KMS key ${op.kmsKeyRef} not found for log group ${op.name}`, { hint: 'run the same command again' });
      await gw.createLogGroup(op.name, { tags: op.tags, ...(key === undefined ? {} : { kmsKeyId: key.arn }) });
      return key === undefined ? `created log group ${op.name}` : `created log group ${op.name}, encrypted with ${key.arn}`;
    }
    case 'putRetentionPolicy':
      await gw.putRetentionPolicy(op.name, op.days);
      return `retention ${op.days} days`;
    case 'createRole':
      return `created ${await gw.createRole(op.name, op.trust, op.tags)}`;
    case 'updateAssumeRolePolicy':
      await gw.updateAssumeRolePolicy(op.name, op.trust);
      return 'trust policy written';
    case 'putRolePolicy':
      await gw.putRolePolicy(op.roleName, op.policyName, op.policy);
      return `inline policy ${op.policyName} written`;
    case 'createTrail': {
      const run = () => gw.createTrail(op.input);
      const trail: TrailState = pointsAtCloudWatch(op.input) ? await withIamPropagationRetry(run, retry) : await run();
      return `created ${trail.arn}`;
    }
    case 'updateTrail': {
      const run = () => gw.updateTrail(op.input);
      const trail: TrailState = pointsAtCloudWatch(op.input) ? await withIamPropagationRetry(run, retry) : await run();
      return `updated ${trail.arn}`;
    }
    case 'putEventSelectors':
      await gw.putEventSelectors(op.trailName, op.advanced !== undefined ? { advanced: op.advanced } : { basic: op.basic ?? [] });
      return 'event selectors written';
    case 'putInsightSelectors':
      await gw.putInsightSelectors(op.trailName, op.types);
      return op.types.length === 0 ? 'Insights turned off' : `Insights: ${op.types.join(', ')}`;
    case 'addTags':
      await gw.addTags(op.trailArn, op.tags);
      return `tagged ${Object.keys(op.tags).join(', ')}`;
    case 'startLogging':
      await gw.startLogging(op.trailName);
      return 'logging started';
  }
}
