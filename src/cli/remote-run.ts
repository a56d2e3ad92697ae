import type { AwsClients } from '../aws/clients.js';
import { TrailkitError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
import type { FilterSpec } from '../core/record-filter.js';
import { parseLogGroupRef, parseTrailRef } from '../core/resource-refs.js';
import { formatInstant, formatSpan, resolveWindow, type TimeWindow } from '../core/trail-window.js';
import type { FileSearchResult } from '../sources/file-search.js';
import type { S3TrailQuery } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { FilterFlags } from './filter-options.js';
import { withAws } from './aws-command.js';
import type { RemoteFlags } from './remote-options.js';
import { regionAgrees } from './remote-source.js';
import { reportFileResult } from './search-inputs.js';

/** Fixes the window of a remote search into the filter, and says on stderr which one it is. */
export function applyWindow(ctx: CliContext, spec: FilterSpec, defaultMs: number, where: string, options: { follow?: boolean } = {}): TimeWindow {
  const userUntil = spec.until;
  const window = resolveWindow(spec.since, spec.until, ctx.now().getTime(), defaultMs);
  spec.since = window.since;
  // tail -f prints what arrives later, so "now" only ends the first listing, not the filter.
  if (options.follow !== true || userUntil !== undefined) spec.until = window.until;
  const note = window.defaulted ? ` (the last ${formatSpan(defaultMs)}; --since/--until choose another window)` : '';
  ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: searching ${safeText(where)} from ${formatInstant(window.since)} to ${formatInstant(window.until)}${note}`)}\n`);
  return window;
}

export function bucketLabel(query: S3TrailQuery): string {
  return `s3://${query.bucket}/${query.prefix === undefined ? '' : `${query.prefix.replace(/^\/+|\/+$/g, '')}/`}`;
}

/** A bucket to read, and the region to call for it (S3 follows a bucket to its own region anyway). */
export interface BucketTarget {
  readonly query: S3TrailQuery;
  readonly region: string | undefined;
}

/** A log group to read, and the region it lives in (from its ARN), else the region to call. */
export interface LogGroupTarget {
  readonly logGroup: string;
  readonly region: string | undefined;
}

/** `--bucket` as given, or the bucket, prefix and organization of `--trail` (GetTrail). */
export async function bucketTarget(ctx: CliContext, clients: AwsClients, flags: RemoteFlags & Pick<FilterFlags, 'account' | 'eventRegion'>): Promise<BucketTarget> {
  const filters = {
    ...(flags.account.length === 0 ? {} : { accounts: flags.account }),
    ...(flags.eventRegion.length === 0 ? {} : { regions: flags.eventRegion }),
  };
  if (flags.trail === undefined) {
    return {
      query: {
        bucket: flags.bucket as string,
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...(flags.organizationId === undefined ? {} : { orgId: flags.organizationId }),
        ...filters,
      },
      region: ctx.globals.region,
    };
  }
  const { readTrail } = await import('../aws/trail-lookup.js');
  const trail = await readTrail(clients, parseTrailRef(flags.trail), (m) => ctx.debug(m));
  if (trail.bucket === undefined) throw new TrailkitError('not-found', `trail ${trail.arn}: it names no S3 bucket`, { hint: 'give --bucket' });
  return {
    query: {
      bucket: trail.bucket,
      ...(trail.prefix === '' ? {} : { prefix: trail.prefix }),
      ...(trail.organizationId === undefined ? {} : { orgId: trail.organizationId }),
      ...filters,
    },
    // The bucket usually lives in the trail's home region: asking there saves a redirect.
    region: ctx.globals.region ?? (trail.homeRegion === '' ? undefined : trail.homeRegion),
  };
}

/** `--log-group NAME|ARN` as given, or (`--log-group` without a value) the log group `--trail` sends to. */
export async function logGroupTarget(ctx: CliContext, clients: AwsClients, flags: RemoteFlags): Promise<LogGroupTarget> {
  if (typeof flags.logGroup === 'string') {
    const ref = parseLogGroupRef(flags.logGroup);
    return { logGroup: ref.name, region: ref.region ?? ctx.globals.region };
  }
  const { readTrail } = await import('../aws/trail-lookup.js');
  const trail = await readTrail(clients, parseTrailRef(flags.trail as string), (m) => ctx.debug(m));
  if (trail.logGroupArn === undefined) {
    throw new TrailkitError('not-found', `trail ${trail.arn}: it sends no events to CloudWatch Logs (no CloudWatchLogsLogGroupArn)`, { hint: 'drop --log-group to search its S3 bucket' });
  }
  const ref = parseLogGroupRef(trail.logGroupArn, 'the trail\'s CloudWatchLogsLogGroupArn');
  regionAgrees(ctx, ref.region, 'trail\'s log group');
  return { logGroup: ref.name, region: ref.region ?? ctx.globals.region };
}

/** Runs a body with AWS clients for a remote read; SDK errors become one line. */
export function withRemote<T>(ctx: CliContext, action: string, body: (clients: AwsClients) => Promise<T>): Promise<T> {
  return withAws(ctx, action, body);
}

/** Stats and error state of a search over remote objects or pages. */
export class SearchTally {
  hadError = false;
  files = 0;
  records = 0;
  parsed = 0;

  /** Reports the result's problems (its matches, found before any problem, are still used). */
  take(ctx: CliContext, result: FileSearchResult): void {
    if (result.more !== true) this.files++;
    this.records += result.records;
    this.parsed += result.parsed;
    if (reportFileResult(ctx, result)) this.hadError = true;
  }
}
