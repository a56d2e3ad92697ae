import { Option, type Command } from 'commander';
import { concurrency } from './number-options.js';

/**
 * Where `grep`, `tail` and `download` read a trail when it is not on disk: an S3 bucket in the
 * trail layout, a CloudWatch Logs group, CloudTrail's event history (LookupEvents), or a trail
 * named with `--trail`, whose bucket and log group are read from it. `--region` is the region to
 * call; `--event-region` and `--account` filter events and also pick the bucket's folders.
 */
export interface RemoteFlags {
  bucket?: string;
  prefix?: string;
  organizationId?: string;
  concurrency: number;
  /** A name or ARN, or `true` for `--log-group` without a value: the log group of `--trail`. */
  logGroup?: string | true;
  logStreamPrefix?: string;
  trail?: string;
  lookup?: boolean;
}

export const DEFAULT_CONCURRENCY = 16;

export function addTrailOption(command: Command): Command {
  return command.addOption(new Option('--trail <name|arn>', "read the trail's bucket, prefix, organization and log group with GetTrail instead of naming them"));
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
    .addOption(new Option('--log-group [name|arn]', "read the events from this CloudWatch Logs group (an ARN's region is the region to call); without a value, --trail's log group"))
    .addOption(new Option('--log-stream-prefix <prefix>', 'only log streams whose name starts with this (CloudTrail names them ACCOUNT_CloudTrail_REGION)'));
}

export function addLookupOption(command: Command): Command {
  return command.addOption(new Option('--lookup', "read the region's event history with CloudTrail LookupEvents: management events of the last 90 days, no trail or bucket needed"));
}
