import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK } from '../core/errors.js';
import { serverPatternFor } from '../core/cloudwatch-pattern.js';
import { HOUR_MS } from '../core/trail-window.js';
import type { FileSearchResult } from '../sources/file-search.js';
import { DELIVERY_LAG_MS, filterLogGroup } from '../sources/log-group-search.js';
import { searchObjects } from '../sources/s3-search.js';
import { EVENT_KINDS, noTrailError, trailFolders, windowObjects } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';
import type { GrepFlags } from './grep.js';
import { openLookup } from './lookup-run.js';
import { applyWindow, bucketLabel, bucketTarget, logGroupTarget, SearchTally, withRemote } from './remote-run.js';

const GREP_WINDOW_MS = 24 * HOUR_MS;

/** Exit status after Ctrl-C, as a shell reports a command that SIGINT ended. */
const EXIT_INTERRUPTED = 130;

/** Prints one source's matches under --limit/--count; returns false once the limit is reached. */
class GrepSink {
  matched = 0;
  constructor(private readonly printer: EventPrinter, private readonly flags: GrepFlags) {}

  async take(result: FileSearchResult): Promise<boolean> {
    const limit = this.flags.limit;
    const room = limit === undefined ? Infinity : limit - this.matched;
    if (this.flags.count === true) {
      this.matched += Math.min(result.matched, room);
    } else {
      const take = result.matches.length > room ? result.matches.slice(0, room) : result.matches;
      await this.printer.print(take);
      this.matched += take.length;
    }
    return limit === undefined || this.matched < limit;
  }
}

interface GrepOutcome {
  matched: number;
  hadError: boolean;
  interrupted?: boolean;
}

/** `grep --bucket`/`--trail`: the window's objects, many at once, searched as files are; output in key order. */
export async function grepBucket(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter): Promise<GrepOutcome> {
  const sink = new GrepSink(printer, flags);
  const tally = new SearchTally();
  const started = performance.now();
  await withRemote(ctx, 's3:GetObject', async (clients) => {
    const { query, region } = await bucketTarget(ctx, clients, flags);
    const window = applyWindow(ctx, spec, GREP_WINDOW_MS, bucketLabel(query));
    const s3 = await clients.s3(region);
    const folders = await trailFolders(s3, query, EVENT_KINDS);
    if (folders.length === 0) throw await noTrailError(s3, query);
    const objects = windowObjects(s3, query.bucket, folders, window);
    const options = { concurrency: flags.concurrency, ...(flags.limit === undefined ? {} : { limit: flags.limit }), countOnly: flags.count === true };
    for await (const result of searchObjects(s3, query.bucket, objects, compileFilter(spec), options)) {
      tally.take(ctx, result);
      if (!(await sink.take(result))) break;
    }
  });
  ctx.debug(`grep: ${tally.files} objects, ${tally.records} records, ${tally.parsed} parsed, ${sink.matched} matched in ${Math.round(performance.now() - started)} ms`);
  return { matched: sink.matched, hadError: tally.hadError };
}

/** `grep --log-group`: FilterLogEvents with the filters as a pattern where possible, the rest locally. */
export async function grepLogGroup(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter): Promise<GrepOutcome> {
  const server = serverPatternFor(spec);
  ctx.debug(`FilterLogEvents pattern: ${server.pattern ?? '(none)'}${server.localOnly.length > 0 ? `; applied locally only: ${server.localOnly.join(', ')}` : ''}`);
  const sink = new GrepSink(printer, flags);
  const tally = new SearchTally();
  await withRemote(ctx, 'logs:FilterLogEvents', async (clients) => {
    const { logGroup, region } = await logGroupTarget(ctx, clients, flags);
    const window = applyWindow(ctx, spec, GREP_WINDOW_MS, `log group ${logGroup}${region === undefined ? '' : ` in ${region}`}`);
    const filter = compileFilter(spec);
    const logs = await clients.logs(region);
    const query = { logGroup, ...(flags.logStreamPrefix === undefined ? {} : { streamPrefix: flags.logStreamPrefix }), ...(server.pattern === undefined ? {} : { pattern: server.pattern }) };
    const range = { since: window.since, until: window.until + DELIVERY_LAG_MS };
    for await (const page of filterLogGroup(logs, query, range, filter, { countOnly: flags.count === true })) {
      tally.take(ctx, page.result);
      if (!(await sink.take(page.result))) break;
    }
  });
  ctx.debug(`grep: ${tally.files} pages, ${tally.records} records, ${sink.matched} matched`);
  return { matched: sink.matched, hadError: tally.hadError };
}

/**
 * `grep --lookup`: LookupEvents over the window, newest first, one filter sent as the lookup
 * attribute and every filter applied here. Ctrl-C stops between pages: what was found is printed
 * whole, and the exit status is 130.
 */
export async function grepLookup(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter): Promise<GrepOutcome> {
  const sink = new GrepSink(printer, flags);
  const tally = new SearchTally();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withRemote(ctx, 'cloudtrail:LookupEvents', async (clients) => {
      const lookup = await openLookup(ctx, clients, spec, GREP_WINDOW_MS, { follow: false });
      if (lookup === undefined) return;
      for await (const page of lookup.pages(stop.signal, { countOnly: flags.count === true })) {
        tally.take(ctx, page.result);
      if (!(await sink.take(page.result))) break;
      }
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  ctx.debug(`grep: ${tally.files} pages, ${tally.records} events, ${sink.matched} matched`);
  return { matched: sink.matched, hadError: tally.hadError, interrupted: stop.signal.aborted };
}

export async function runGrepRemote(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter, source: 'bucket' | 'log-group' | 'lookup'): Promise<number> {
  const run = source === 'bucket' ? grepBucket : source === 'log-group' ? grepLogGroup : grepLookup;
  const { matched, hadError, interrupted } = await run(ctx, spec, flags, printer);
  await printer.finish();
  if (flags.count === true) await ctx.write(`${matched}\n`);
  if (interrupted === true) return EXIT_INTERRUPTED;
  if (hadError) return EXIT_ERROR;
  return matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}
