import type { AwsClients, AwsConfig } from '../aws/clients.js';
import { jobContext, withAwsClients } from '../jobs/job-options.js';
import type { CliContext } from './context.js';
import { jobOptionsOf } from './job-options.js';

/**
 * The AWS settings of a command: only what was typed (`--profile`, `--region`, `--endpoint-url`,
 * before or after the command name). What was not typed is left to the SDK, which reads
 * AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL(_SERVICE) and then the profile's config: so a
 * flag beats the environment, which beats the profile, as in the AWS CLI.
 */
export function awsConfigOf(ctx: CliContext): AwsConfig {
  return { ...(jobOptionsOf(ctx).aws ?? {}) };
}

/** A command body that talks to AWS, with clients from the command's settings (see withAwsClients). */
export function withAws<T>(ctx: CliContext, action: string, body: (clients: AwsClients) => Promise<T>, config: AwsConfig = awsConfigOf(ctx)): Promise<T> {
  return withAwsClients(jobContext(jobOptionsOf(ctx)), action, body, config);
}
