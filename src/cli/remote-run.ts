import { AwsClients } from '../aws/clients.js';
import { safeText } from '../output/terminal-safe.js';
import type { FilterSpec } from '../core/record-filter.js';
import { formatInstant, formatSpan, resolveWindow, type TimeWindow } from '../core/trail-window.js';
import type { FileSearchResult } from '../sources/file-search.js';
import type { S3TrailQuery } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { FilterFlags } from './filter-options.js';
import { withAws } from './aws-command.js';
import { remoteAwsConfig, type RemoteFlags } from './remote-options.js';
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

export function bucketQuery(flags: RemoteFlags & FilterFlags): S3TrailQuery {
  return {
    bucket: flags.bucket as string,
    ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
    ...(flags.account.length === 0 ? {} : { accounts: flags.account }),
    ...(flags.region.length === 0 ? {} : { regions: flags.region }),
    ...(flags.organizationId === undefined ? {} : { orgId: flags.organizationId }),
  };
}

export function bucketLabel(query: S3TrailQuery): string {
  return `s3://${query.bucket}/${query.prefix === undefined ? '' : `${query.prefix.replace(/^\/+|\/+$/g, '')}/`}`;
}

/** Runs a body with AWS clients for --bucket or --log-group; SDK errors become one line. */
export function withRemote<T>(ctx: CliContext, service: 'S3' | 'CLOUDWATCH_LOGS', action: string, body: (clients: AwsClients) => Promise<T>): Promise<T> {
  return withAws(ctx, action, body, remoteAwsConfig(ctx, service));
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

