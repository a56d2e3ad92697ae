import { AwsClients, type AwsConfig } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { checkProfileExists } from '../aws/profiles.js';
import { TrailkitError } from '../core/errors.js';
import type { CliContext } from './context.js';

/**
 * The AWS settings of a command: only what was typed (`--profile`, `--region`, `--endpoint-url`,
 * before or after the command name). What was not typed is left to the SDK, which reads
 * AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL(_SERVICE) and then the profile's config: so a
 * flag beats the environment, which beats the profile, as in the AWS CLI.
 */
export function awsConfigOf(ctx: CliContext): AwsConfig {
  const { profile, region, endpointUrl } = ctx.globals;
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(region === undefined ? {} : { region }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
  };
}

/** A profile named by --profile or AWS_PROFILE that the shared files lack is an error before any call. */
export function checkProfile(ctx: CliContext, config: AwsConfig): void {
  if (config.profile !== undefined) checkProfileExists(config.profile, ctx.globals.profile === config.profile ? '--profile' : 'AWS_PROFILE', ctx.env);
  else checkProfileExists(ctx.env['AWS_PROFILE'], 'AWS_PROFILE', ctx.env);
}

/**
 * Runs a command body that talks to AWS: builds the clients from the global options, turns any
 * SDK error that escapes into a one-line error, and closes the clients' sockets afterwards.
 */
export async function withAws<T>(ctx: CliContext, action: string, body: (clients: AwsClients) => Promise<T>, config: AwsConfig = awsConfigOf(ctx)): Promise<T> {
  checkProfile(ctx, config);
  const clients = new AwsClients({ warn: (m) => ctx.warn(m), ...config });
  try {
    return await body(clients);
  } catch (error) {
    if (error instanceof TrailkitError) throw error;
    throw mapAwsError(error, { action });
  } finally {
    clients.destroy();
  }
}
