import { usageError } from '../core/errors.js';
import { regionProblem } from '../core/regions.js';
import type { CliContext } from './context.js';

/** Whether an endpoint is set (an emulator, say), so that any well-formed region name is accepted. */
export function hasCustomEndpoint(ctx: CliContext): boolean {
  return ctx.globals.endpointUrl !== undefined || (ctx.env['AWS_ENDPOINT_URL'] ?? '') !== '';
}

/** A region given as a flag or in the environment, checked without loading the SDK. */
export function checkGivenRegion(ctx: CliContext): void {
  const fromFlag = ctx.globals.region !== undefined;
  const region = ctx.globals.region ?? ctx.env['AWS_REGION'];
  if (region === undefined || region === '') return;
  const problem = regionProblem(region, hasCustomEndpoint(ctx));
  if (problem !== undefined) throw usageError(`${fromFlag ? '--region' : 'AWS_REGION'} '${region}': ${problem.replace(/^is /, '')}`, 'give a region such as us-east-1, or an --endpoint-url for an emulator');
}
