import { checkGivenRegion as checkRegion } from '../jobs/region-check.js';
import type { CliContext } from './context.js';

/** A region given as --region or AWS_REGION, checked without loading the SDK. */
export function checkGivenRegion(ctx: CliContext): void {
  const { region, endpointUrl } = ctx.globals;
  checkRegion({ aws: { ...(region === undefined ? {} : { region }), ...(endpointUrl === undefined ? {} : { endpointUrl }) }, env: ctx.env, regionLabel: '--region' });
}
