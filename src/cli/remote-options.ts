import { Option, type Command } from 'commander';
import type { AwsConfig } from '../aws/clients.js';
import { usageError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { concurrency } from './number-options.js';

/**
 * Where `grep`, `tail` and `download` read a trail when it is not on disk: an S3 bucket in the
 * trail layout, or (grep/tail) a CloudWatch Logs group. `--region` and `--account` keep their
 * filter meaning and also pick the bucket's region and account folders.
 */
export interface RemoteFlags {
  bucket?: string;
  prefix?: string;
  organizationId?: string;
  concurrency: number;
  logGroup?: string;
  logStreamPrefix?: string;
}

export const DEFAULT_CONCURRENCY = 16;

/** --profile and --endpoint-url (not --region, which filters events on grep and tail). */
export function addAwsConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--profile <name>', 'AWS profile for --bucket/--log-group (default: AWS_PROFILE, then the default chain)'))
    .addOption(new Option('--endpoint-url <url>', 'send the AWS calls to this endpoint (a local emulator, say)'));
}

export function addBucketOptions(command: Command): Command {
  return command
    .addOption(new Option('--bucket <name>', 'read the trail from this S3 bucket (the trail\'s S3BucketName)'))
    .addOption(new Option('--prefix <prefix>', 'the trail\'s S3 key prefix (the part before AWSLogs/)'))
    .addOption(new Option('--organization-id <o-id>', 'only this organization trail folder (AWSLogs/o-.../)'))
    .addOption(new Option('--concurrency <n>', 'S3 objects read at once').argParser(concurrency).default(DEFAULT_CONCURRENCY));
}

export function addLogGroupOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-group <name>', 'read the events from this CloudWatch Logs group (the trail\'s log group)'))
    .addOption(new Option('--log-stream-prefix <prefix>', 'only log streams whose name starts with this (CloudTrail names them ACCOUNT_CloudTrail_REGION)'));
}

const ORG_ID = /^o-[a-z0-9]{10,32}$/;

/** Which source a grep/tail reads, after checking that the flags go together. */
export function remoteSource(paths: readonly string[], flags: RemoteFlags, command: string): 'files' | 'bucket' | 'log-group' {
  if (flags.bucket !== undefined && flags.logGroup !== undefined) throw usageError('--bucket and --log-group cannot be used together', `run ${command} once for each`);
  const remote = flags.bucket ?? flags.logGroup;
  if (remote !== undefined && paths.length > 0) {
    throw usageError(`${command} reads either files or ${flags.bucket !== undefined ? '--bucket' : '--log-group'}, not both (got ${paths.join(' ')})`, 'drop the paths, or the remote flag');
  }
  if (flags.bucket === undefined) {
    for (const [flag, value] of [['--prefix', flags.prefix], ['--organization-id', flags.organizationId]] as const) {
      if (value !== undefined) throw usageError(`${flag} needs --bucket`, `e.g. trailkit ${command} --bucket my-trail-bucket ${flag} ${value}`);
    }
  }
  if (flags.logStreamPrefix !== undefined && flags.logStreamPrefix.trim() === '') {
    throw usageError('--log-stream-prefix was given an empty value, which would match every log stream', 'give the start of the stream names, e.g. 111111111111_CloudTrail_us-east-1, or leave the flag out');
  }
  if (flags.logGroup === undefined && flags.logStreamPrefix !== undefined) {
    throw usageError('--log-stream-prefix needs --log-group', `e.g. trailkit ${command} --log-group CloudTrail/DefaultLogGroup --log-stream-prefix ${flags.logStreamPrefix}`);
  }
  if (flags.bucket !== undefined) {
    validateBucket(flags.bucket);
    if (flags.organizationId !== undefined && !ORG_ID.test(flags.organizationId)) {
      throw usageError(`--organization-id '${flags.organizationId}' is not an organization id`, 'it looks like o-a1b2c3d4e5');
    }
    return 'bucket';
  }
  if (flags.logGroup !== undefined) {
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(flags.logGroup)) throw usageError(`--log-group '${flags.logGroup}' is not a log group name`, 'names use letters, digits and . - _ / #, e.g. aws-cloudtrail-logs-123456789012');
    return 'log-group';
  }
  return 'files';
}

export function validateBucket(bucket: string): void {
  if (bucket.startsWith('s3://')) throw usageError(`--bucket takes a bucket name, not a URL: '${bucket}'`, `use --bucket ${bucket.slice(5).split('/')[0] ?? ''} (and --prefix for a folder)`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw usageError(`--bucket '${bucket}' is not a valid S3 bucket name`, 'bucket names are 3-63 lowercase letters, digits, dots and hyphens');
}

/**
 * The AWS settings for --bucket/--log-group: --profile and --endpoint-url only (the region comes
 * from AWS_REGION or the profile; S3 follows a bucket to its own region). An endpoint set with
 * AWS_ENDPOINT_URL(_S3) is an emulator too, so S3 uses path-style addressing for it.
 */
export function remoteAwsConfig(ctx: CliContext, service: 'S3' | 'CLOUDWATCH_LOGS'): AwsConfig {
  const { profile, endpointUrl } = ctx.globals;
  const endpoint = endpointUrl ?? ctx.env[`AWS_ENDPOINT_URL_${service}`] ?? ctx.env['AWS_ENDPOINT_URL'];
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(endpoint === undefined || endpoint === '' ? {} : { endpointUrl: endpoint }),
  };
}
