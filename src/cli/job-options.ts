import type { JobOptions } from '../jobs/job-options.js';
import type { CliContext } from './context.js';

/**
 * A library job's options for a command: the AWS settings typed on the command line (the SDK
 * reads the environment and the profile for the rest: a flag beats the environment, which beats
 * the profile), warnings and notices on stderr, the command's clock and environment.
 */
export function jobOptionsOf(ctx: CliContext, signal?: AbortSignal): JobOptions {
  const { profile, region, endpointUrl } = ctx.globals;
  return {
    aws: {
      ...(profile === undefined ? {} : { profile }),
      ...(region === undefined ? {} : { region }),
      ...(endpointUrl === undefined ? {} : { endpointUrl }),
    },
    ...(signal === undefined ? {} : { signal }),
    env: ctx.env,
    profileLabel: profile === undefined ? 'AWS_PROFILE' : '--profile',
    regionLabel: '--region',
    now: () => ctx.now(),
    onWarning: (message) => ctx.warn(message),
    onNotice: (message) => ctx.notice(message),
    onDebug: (message) => ctx.debug(message),
  };
}
