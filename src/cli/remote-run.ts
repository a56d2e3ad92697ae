import { setTimeout as sleep } from 'node:timers/promises';
import { AwsClients } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { TrailkitError } from '../core/errors.js';
import type { FilterSpec } from '../core/record-filter.js';
import { formatInstant, formatSpan, resolveWindow, type TimeWindow } from '../core/trail-window.js';
import type { FileSearchResult, WireMatch } from '../sources/file-search.js';
import type { S3TrailQuery } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';
import type { FilterFlags } from './filter-options.js';
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
  ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: searching ${where} from ${formatInstant(window.since)} to ${formatInstant(window.until)}${note}`)}\n`);
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
export async function withRemote<T>(ctx: CliContext, service: 'S3' | 'CLOUDWATCH_LOGS', action: string, body: (clients: AwsClients) => Promise<T>): Promise<T> {
  const clients = new AwsClients(remoteAwsConfig(ctx, service));
  try {
    return await body(clients);
  } catch (error) {
    if (error instanceof TrailkitError) throw error;
    throw mapAwsError(error, { action });
  } finally {
    clients.destroy();
  }
}

/** Stats and error state of a search over remote objects or pages. */
export class SearchTally {
  hadError = false;
  files = 0;
  records = 0;
  parsed = 0;

  /** Reports the result's problems; returns whether its matches can be used. */
  take(ctx: CliContext, result: FileSearchResult): boolean {
    this.files++;
    this.records += result.records;
    this.parsed += result.parsed;
    if (reportFileResult(ctx, result)) this.hadError = true;
    return result.error === undefined;
  }
}

/**
 * `tail -f` on a remote source: polls every `intervalSeconds` until SIGINT/SIGTERM, printing new
 * matches; a failed poll (throttling, a dropped connection) is reported and tried again.
 */
export async function followRemote(
  ctx: CliContext,
  printer: EventPrinter,
  intervalSeconds: number,
  poll: () => Promise<{ matches: WireMatch[]; results: readonly FileSearchResult[]; retrying?: number }>,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      try {
        await sleep(intervalSeconds * 1000, undefined, { signal: stop.signal });
      } catch {
        break;
      }
      try {
        const polled = await poll();
        for (const result of polled.results) reportFileResult(ctx, result);
        if (polled.retrying !== undefined && polled.retrying > 0) ctx.warn(`${polled.retrying} new objects could not be read yet; trying again in ${intervalSeconds} s`);
        await printer.print(polled.matches);
      } catch (error) {
        if (stop.signal.aborted) break;
        const message = error instanceof TrailkitError ? `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}` : mapAwsError(error, { action: 'polling' }).message;
        ctx.warn(`could not look for new events: ${message}; trying again in ${intervalSeconds} s`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
