import { usageError } from '../core/errors.js';
import { parseLogGroupRef, parseTrailRef } from '../core/resource-refs.js';
import type { CliContext } from './context.js';
import { checkGivenRegion } from './region-check.js';
import type { RemoteFlags } from './remote-options.js';
import type { EventSource } from '../jobs/search.js';

// Which source a grep/tail/download reads and the checks of its flags: apart from the option
// definitions (remote-options.ts) so that defining the commands, and --help, load none of it.

const ORG_ID = /^o-[a-z0-9]{10,32}$/;

export type RemoteSource = 'files' | 'bucket' | 'log-group' | 'lookup';

function conflicts(pairs: readonly [string, unknown][], flag: string, hint: string): void {
  for (const [other, value] of pairs) {
    if (value !== undefined && value !== false) throw usageError(`${flag} and ${other}: cannot be used together`, hint);
  }
}

/**
 * Which source a grep/tail/download reads, after checking that the flags go together. On a purely
 * local search `--region` (the region to call) is an error that points at `--event-region`.
 */
export function remoteSource(ctx: CliContext, paths: readonly string[], flags: RemoteFlags, command: string): RemoteSource {
  const remote = flags.lookup === true ? '--lookup' : flags.trail !== undefined ? '--trail' : flags.bucket !== undefined ? '--bucket' : flags.logGroup !== undefined ? '--log-group' : undefined;
  if (remote !== undefined && paths.length > 0) {
    throw usageError(`${command}: reads either files or ${remote}, not both (got ${paths.join(' ')})`, 'drop the paths, or the remote flag');
  }
  if (flags.lookup === true) {
    conflicts([['--trail', flags.trail], ['--bucket', flags.bucket], ['--log-group', flags.logGroup], ['--prefix', flags.prefix], ['--organization-id', flags.organizationId], ['--log-stream-prefix', flags.logStreamPrefix]],
      '--lookup', "--lookup reads the event history of the region to call (--region), not a trail's bucket or log group");
  }
  if (flags.trail !== undefined) {
    conflicts([['--bucket', flags.bucket], ['--prefix', flags.prefix], ['--organization-id', flags.organizationId]], '--trail', 'the trail names its bucket, prefix and organization; drop one of them');
    if (typeof flags.logGroup === 'string') throw usageError('--trail and --log-group NAME: cannot be used together', "give --log-group without a value to read the trail's log group");
  }
  if (flags.bucket !== undefined && flags.logGroup !== undefined) throw usageError('--bucket and --log-group: cannot be used together', `run ${command} once for each`);
  const readsBucket = flags.bucket !== undefined || (flags.trail !== undefined && flags.logGroup === undefined);
  if (!readsBucket) {
    for (const [flag, value] of [['--prefix', flags.prefix], ['--organization-id', flags.organizationId]] as const) {
      if (value !== undefined) throw usageError(`${flag}: needs --bucket`, `e.g. trailkit ${command} --bucket my-trail-bucket ${flag} ${value}`);
    }
  }
  if (flags.logStreamPrefix !== undefined && flags.logStreamPrefix.trim() === '') {
    throw usageError('--log-stream-prefix was given an empty value, which would match every log stream', 'give the start of the stream names, e.g. 111111111111_CloudTrail_us-east-1, or leave the flag out');
  }
  if (flags.logGroup === undefined && flags.logStreamPrefix !== undefined) {
    throw usageError('--log-stream-prefix: needs --log-group', `e.g. trailkit ${command} --log-group CloudTrail/DefaultLogGroup --log-stream-prefix ${flags.logStreamPrefix}`);
  }
  if (flags.logGroup === true && flags.trail === undefined) {
    throw usageError('--log-group: needs a log group name or ARN', `e.g. trailkit ${command} --log-group aws-cloudtrail-logs-123456789012, or --trail TRAIL --log-group for the trail's`);
  }
  if (remote === undefined) {
    if (ctx.globals.region !== undefined) {
      throw usageError(`--region ${ctx.globals.region}: ${command} on files calls no AWS region`, `to keep only events of a region, use --event-region ${ctx.globals.region}`);
    }
    return 'files';
  }
  checkGivenRegion(ctx);
  if (flags.trail !== undefined) parseTrailRef(flags.trail);
  if (flags.lookup === true) return 'lookup';
  if (typeof flags.logGroup === 'string') {
    const ref = parseLogGroupRef(flags.logGroup);
    regionAgrees(ctx, ref.region, '--log-group');
  }
  if (flags.bucket !== undefined) {
    validateBucket(flags.bucket);
  }
  if (flags.organizationId !== undefined && !ORG_ID.test(flags.organizationId)) {
    throw usageError(`--organization-id '${flags.organizationId}': not an organization id`, 'it looks like o-a1b2c3d4e5');
  }
  return flags.logGroup !== undefined ? 'log-group' : 'bucket';
}

/** A resource ARN names its region; a different --region is a contradiction, not a choice. */
export function regionAgrees(ctx: CliContext, arnRegion: string | undefined, flag: string): void {
  const region = ctx.globals.region;
  if (arnRegion !== undefined && region !== undefined && region !== arnRegion) {
    throw usageError(`--region ${region}: the ${flag} ARN's region is ${arnRegion}`, `drop --region: the ARN's region is the one called`);
  }
}

export function validateBucket(bucket: string): void {
  if (bucket.startsWith('s3://')) throw usageError(`--bucket '${bucket}': a bucket name, not a URL`, `use --bucket ${bucket.slice(5).split('/')[0] ?? ''} (and --prefix for a folder)`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw usageError(`--bucket '${bucket}': not a valid S3 bucket name`, 'bucket names are 3-63 lowercase letters, digits, dots and hyphens');
}

/** The library's event source for the flags (remoteSource has checked them). */
export function eventSourceOf(ctx: CliContext, kind: RemoteSource, paths: readonly string[], flags: RemoteFlags): EventSource {
  switch (kind) {
    case 'files': {
      const workers = ctx.env['TRAILKIT_WORKERS'];
      return {
        kind: 'files',
        paths,
        stdin: () => ctx.stdin as AsyncIterable<Buffer>,
        ...(workers !== undefined && /^\d+$/.test(workers) ? { workers: Number(workers) } : {}),
      };
    }
    case 'lookup':
      return { kind: 'lookup' };
    case 'log-group':
      return {
        kind: 'log-group',
        ...(typeof flags.logGroup === 'string' ? { logGroup: flags.logGroup } : {}),
        ...(flags.trail === undefined ? {} : { trail: flags.trail }),
        ...(flags.logStreamPrefix === undefined ? {} : { streamPrefix: flags.logStreamPrefix }),
      };
    case 'bucket':
      return {
        kind: 'bucket',
        ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }),
        ...(flags.trail === undefined ? {} : { trail: flags.trail }),
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...(flags.organizationId === undefined ? {} : { organizationId: flags.organizationId }),
        concurrency: flags.concurrency,
      };
  }
}
