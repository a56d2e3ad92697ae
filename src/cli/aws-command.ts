import { AwsClients, type AwsConfig } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { TrailkitError } from '../core/errors.js';
import type { CliContext } from './context.js';

/** The AWS settings of a command, from --profile, --region and --endpoint-url. */
export function awsConfigOf(ctx: CliContext): AwsConfig {
  const { profile, region, endpointUrl } = ctx.globals;
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(region === undefined ? {} : { region }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
  };
}

/**
 * Runs a command body that talks to AWS: builds the clients from the global options, turns any
 * SDK error that escapes into a one-line error, and closes the clients' sockets afterwards.
 */
export async function withAws<T>(ctx: CliContext, action: string, body: (clients: AwsClients) => Promise<T>, config: AwsConfig = awsConfigOf(ctx)): Promise<T> {
  const clients = new AwsClients(config);
  try {
    return await body(clients);
  } catch (error) {
    if (error instanceof TrailkitError) throw error;
    throw mapAwsError(error, { action });
  } finally {
    clients.destroy();
  }
}
