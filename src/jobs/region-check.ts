import { usageError } from '../core/errors.js';
import { regionProblem } from '../core/regions.js';
import type { JobContext } from './job-options.js';

/** Whether an endpoint is set (an emulator, say), so that any well-formed region name is accepted. */
export function hasCustomEndpoint(job: Pick<JobContext, 'aws' | 'env'>): boolean {
  return job.aws.endpointUrl !== undefined || (job.env['AWS_ENDPOINT_URL'] ?? '') !== '';
}

/** A region given in the settings or in the environment, checked without loading the SDK. */
export function checkGivenRegion(job: Pick<JobContext, 'aws' | 'env' | 'regionLabel'>): void {
  const given = job.aws.region !== undefined;
  const region = job.aws.region ?? job.env['AWS_REGION'];
  if (region === undefined || region === '') return;
  const problem = regionProblem(region, hasCustomEndpoint(job));
  if (problem !== undefined) throw usageError(`${given ? job.regionLabel : 'AWS_REGION'} '${region}': ${problem.replace(/^is /, '')}`, 'give a region such as us-east-1, or an --endpoint-url for an emulator');
}

