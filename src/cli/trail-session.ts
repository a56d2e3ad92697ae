/**
 * What every trail-setup command does first: check the region before any call, build the
 * clients, and learn the account (STS GetCallerIdentity). Imported only from command bodies.
 */
import type { AwsClients } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { TrailSetupGateway } from '../aws/trail-setup-gateway.js';
import { TrailkitError, usageError } from '../core/errors.js';
import { partitionOf } from '../core/policies.js';
import { regionProblem } from '../core/regions.js';
import type { SetupEnvironment } from '../core/setup-plan.js';
import type { CliContext } from './context.js';
import { checkGivenRegion, hasCustomEndpoint } from './region-check.js';

export { checkGivenRegion };

/** The region calls go to, checked before anything is sent. */
export async function resolveRegion(ctx: CliContext, clients: AwsClients): Promise<string> {
  let region: string;
  try {
    region = await clients.region();
  } catch (error) {
    throw mapAwsError(error, { action: 'resolving the AWS region' });
  }
  if (region === undefined || region === '') throw new TrailkitError('region', 'no AWS region is set', { hint: 'pass --region, or set AWS_REGION or a region in the profile' });
  const problem = regionProblem(region, hasCustomEndpoint(ctx));
  if (problem !== undefined) throw usageError(`region '${region}': ${problem.replace(/^is /, '')}`, 'check --region, AWS_REGION and the profile\'s region (e.g. us-east-1)');
  return region;
}

export interface TrailSession {
  gw: TrailSetupGateway;
  env: SetupEnvironment;
}

export async function openTrailSession(ctx: CliContext, clients: AwsClients): Promise<TrailSession> {
  const region = await resolveRegion(ctx, clients);
  const gw = new TrailSetupGateway(clients, region);
  const identity = await gw.callerIdentity();
  ctx.debug(`caller ${identity.arn} in account ${identity.account}, region ${region}`);
  return { gw, env: { account: identity.account, region, partition: identity.partition || partitionOf(region) } };
}
