/**
 * What every trail-setup job does first: check the region before any call, and learn the account
 * (STS GetCallerIdentity).
 */
import type { AwsClients } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { TrailSetupGateway } from '../aws/trail-setup-gateway.js';
import { TrailkitError, usageError } from '../core/errors.js';
import { partitionOf } from '../core/policies.js';
import { regionProblem } from '../core/regions.js';
import type { SetupEnvironment } from '../core/setup-plan.js';
import type { JobContext } from './job-options.js';
import { hasCustomEndpoint } from './region-check.js';

export { checkGivenRegion } from './region-check.js';

/** The region calls go to, checked before anything is sent. */
export async function resolveRegion(job: Pick<JobContext, 'aws' | 'env'>, clients: AwsClients): Promise<string> {
  let region: string;
  try {
    region = await clients.region();
  } catch (error) {
    throw mapAwsError(error, { action: 'resolving the AWS region' });
  }
  if (region === undefined || region === '') throw new TrailkitError('region', 'no AWS region is set', { hint: 'pass --region, or set AWS_REGION or a region in the profile' });
  const problem = regionProblem(region, hasCustomEndpoint(job));
  if (problem !== undefined) throw usageError(`region '${region}': ${problem.replace(/^is /, '')}`, 'check --region, AWS_REGION and the profile\'s region (e.g. us-east-1)');
  return region;
}

export interface TrailSession {
  gw: TrailSetupGateway;
  env: SetupEnvironment;
}

export async function openTrailSession(job: Pick<JobContext, 'aws' | 'env' | 'debug'>, clients: AwsClients): Promise<TrailSession> {
  const region = await resolveRegion(job, clients);
  const gw = new TrailSetupGateway(clients, region);
  const identity = await gw.callerIdentity();
  job.debug(`caller ${identity.arn} in account ${identity.account}, region ${region}`);
  return { gw, env: { account: identity.account, region, partition: identity.partition || partitionOf(region) } };
}
