import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Event } from '@aws-sdk/client-cloudtrail';
import { serverPatternFor } from '../core/cloudwatch-pattern.js';
import { EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK } from '../core/errors.js';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { HOUR_MS } from '../core/trail-window.js';
import { newest, type WireMatch } from '../sources/file-search.js';
import { DELIVERY_LAG_MS, filterLogGroup, LogGroupFollower } from '../sources/log-group-search.js';
import { LookupFollower } from '../sources/lookup-events.js';
import { S3Follower, searchObjects } from '../sources/s3-search.js';
import { EVENT_KINDS, noTrailError, trailFolders, windowObjects } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';
import { followPolls } from './follow.js';
import { openLookup } from './lookup-run.js';
import { applyWindow, bucketLabel, bucketTarget, logGroupTarget, SearchTally, withRemote } from './remote-run.js';
import type { TailFlags } from './tail.js';

const TAIL_WINDOW_MS = HOUR_MS;
/** How often -f polls S3, CloudWatch Logs or the event history by default: CloudTrail delivers about every 5 minutes. */
export const REMOTE_POLL_SECONDS = 30;

/** `tail --bucket/--trail [-f]`: the newest events of the window (default: the last hour), then new deliveries. */
async function tailBucket(ctx: CliContext, spec: FilterSpec, flags: TailFlags, printer: EventPrinter): Promise<number> {
  const tally = new SearchTally();
  let kept: WireMatch[] = [];
  return withRemote(ctx, 's3:GetObject', async (clients) => {
    const { query, region } = await bucketTarget(ctx, clients, flags);
    const window = applyWindow(ctx, spec, TAIL_WINDOW_MS, bucketLabel(query), { follow: flags.follow === true });
    const filter = compileFilter(spec);
    const s3 = await clients.s3(region);
    const follower = flags.follow === true ? new S3Follower(s3, query, filter, { concurrency: flags.concurrency }) : undefined;
    const folders = await trailFolders(s3, query, EVENT_KINDS);
    if (folders.length === 0) {
      if (follower === undefined) throw await noTrailError(s3, query);
      ctx.warn(`no CloudTrail log folders under ${bucketLabel(query)}AWSLogs/ yet; waiting for the first delivery`);
    }
    const objects = windowObjects(s3, query.bucket, folders, window, (object) => follower?.seedKey(object.key));
    for await (const result of searchObjects(s3, query.bucket, objects, filter, { concurrency: flags.concurrency, keepNewest: flags.lines })) {
      tally.take(ctx, result);
      kept = newest(kept.concat(result.matches), flags.lines);
      // Throttled or cut off: read it again on the next poll rather than never.
      if (result.failure?.transient === true) follower?.forgetKey(result.key);
    }
    if (follower !== undefined) kept = follower.fresh(kept);
    await printer.print(kept);
    if (follower === undefined) {
      await printer.finish();
      return tally.hadError ? EXIT_ERROR : kept.length > 0 ? EXIT_OK : EXIT_NEGATIVE;
    }
    await followPolls(ctx, printer, flags.interval ?? REMOTE_POLL_SECONDS, (flush) => follower.poll(ctx.now().getTime(), flush));
    await printer.finish();
    return EXIT_OK;
  });
}

/** `tail --log-group [-f]`: the newest events of the window, then new ones by polling FilterLogEvents. */
async function tailLogGroup(ctx: CliContext, spec: FilterSpec, flags: TailFlags, printer: EventPrinter): Promise<number> {
  const server = serverPatternFor(spec);
  ctx.debug(`FilterLogEvents pattern: ${server.pattern ?? '(none)'}`);
  const tally = new SearchTally();
  let kept: WireMatch[] = [];
  const seen: FilteredLogEvent[] = [];
  return withRemote(ctx, 'logs:FilterLogEvents', async (clients) => {
    const { logGroup, region } = await logGroupTarget(ctx, clients, flags);
    const window = applyWindow(ctx, spec, TAIL_WINDOW_MS, `log group ${logGroup}${region === undefined ? '' : ` in ${region}`}`, { follow: flags.follow === true });
    const filter = compileFilter(spec);
    const query = { logGroup, ...(flags.logStreamPrefix === undefined ? {} : { streamPrefix: flags.logStreamPrefix }), ...(server.pattern === undefined ? {} : { pattern: server.pattern }) };
    const logs = await clients.logs(region);
    const range = { since: window.since, until: window.until + DELIVERY_LAG_MS };
    for await (const page of filterLogGroup(logs, query, range, filter, { keepNewest: flags.lines })) {
      if (flags.follow === true) seen.push(...page.events.map((e) => ({ eventId: e.eventId, timestamp: e.timestamp })));
      tally.take(ctx, page.result);
      kept = newest(kept.concat(page.result.matches), flags.lines);
    }
    const follower = flags.follow === true ? new LogGroupFollower(logs, query, filter, window.since) : undefined;
    follower?.seed(seen, kept);
    await printer.print(kept);
    if (follower === undefined) {
      await printer.finish();
      return tally.hadError ? EXIT_ERROR : kept.length > 0 ? EXIT_OK : EXIT_NEGATIVE;
    }
    await followPolls(ctx, printer, flags.interval ?? REMOTE_POLL_SECONDS, () => follower.poll(ctx.now().getTime()));
    await printer.finish();
    return EXIT_OK;
  });
}

/**
 * `tail --lookup [-f]`: the N newest events of the window from the event history (which answers
 * newest first, so reading stops once N matches are in hand), then new ones by polling it.
 */
async function tailLookup(ctx: CliContext, spec: FilterSpec, flags: TailFlags, printer: EventPrinter): Promise<number> {
  const tally = new SearchTally();
  let kept: WireMatch[] = [];
  const seen: Event[] = [];
  return withRemote(ctx, 'cloudtrail:LookupEvents', async (clients) => {
    const lookup = await openLookup(ctx, clients, spec, TAIL_WINDOW_MS, { follow: flags.follow === true });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      let found = 0;
      for await (const page of lookup.pages(stop.signal, { keepNewest: flags.lines })) {
        seen.push(...page.events);
        tally.take(ctx, page.result);
        kept = newest(kept.concat(page.result.matches), flags.lines);
        found += page.result.matches.length;
        // Pages come newest first: once N matches are in hand, older pages cannot displace them.
        if (found >= flags.lines) break;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const follower = flags.follow === true && !stop.signal.aborted ? new LookupFollower(lookup.cloudTrail, lookup.query, lookup.filter, lookup.pacer, lookup.region) : undefined;
    follower?.seed(seen, kept);
    await printer.print(kept);
    if (follower === undefined) {
      await printer.finish();
      if (stop.signal.aborted) return 130;
      return tally.hadError ? EXIT_ERROR : kept.length > 0 ? EXIT_OK : EXIT_NEGATIVE;
    }
    await followPolls(ctx, printer, flags.interval ?? REMOTE_POLL_SECONDS, () => follower.poll(ctx.now().getTime()));
    await printer.finish();
    return EXIT_OK;
  });
}

export function runTailRemote(ctx: CliContext, spec: FilterSpec, flags: TailFlags, printer: EventPrinter, source: 'bucket' | 'log-group' | 'lookup'): Promise<number> {
  if (source === 'lookup') return tailLookup(ctx, spec, flags, printer);
  return source === 'bucket' ? tailBucket(ctx, spec, flags, printer) : tailLogGroup(ctx, spec, flags, printer);
}
