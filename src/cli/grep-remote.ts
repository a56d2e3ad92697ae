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
import { applyWindow, bucketLabel, bucketQuery, SearchTally, withRemote } from './remote-run.js';

const GREP_WINDOW_MS = 24 * HOUR_MS;

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

/** `grep --bucket`: the window's objects, many at once, searched as files are; output in key order. */
export async function grepBucket(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter): Promise<{ matched: number; hadError: boolean }> {
  const query = bucketQuery(flags);
  const window = applyWindow(ctx, spec, GREP_WINDOW_MS, bucketLabel(query));
  const filter = compileFilter(spec);
  const sink = new GrepSink(printer, flags);
  const tally = new SearchTally();
  const started = performance.now();
  await withRemote(ctx, 'S3', 's3:GetObject', async (clients) => {
    const s3 = await clients.s3();
    const folders = await trailFolders(s3, query, EVENT_KINDS);
    if (folders.length === 0) throw await noTrailError(s3, query);
    const objects = windowObjects(s3, query.bucket, folders, window);
    const options = { concurrency: flags.concurrency, ...(flags.limit === undefined ? {} : { limit: flags.limit }), countOnly: flags.count === true };
    for await (const result of searchObjects(s3, query.bucket, objects, filter, options)) {
      tally.take(ctx, result);
      if (!(await sink.take(result))) break;
    }
  });
  ctx.debug(`grep: ${tally.files} objects, ${tally.records} records, ${tally.parsed} parsed, ${sink.matched} matched in ${Math.round(performance.now() - started)} ms`);
  return { matched: sink.matched, hadError: tally.hadError };
}

/** `grep --log-group`: FilterLogEvents with the filters as a pattern where possible, the rest locally. */
export async function grepLogGroup(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter): Promise<{ matched: number; hadError: boolean }> {
  const logGroup = flags.logGroup as string;
  const window = applyWindow(ctx, spec, GREP_WINDOW_MS, `log group ${logGroup}`);
  const filter = compileFilter(spec);
  const server = serverPatternFor(spec);
  ctx.debug(`FilterLogEvents pattern: ${server.pattern ?? '(none)'}${server.localOnly.length > 0 ? `; applied locally only: ${server.localOnly.join(', ')}` : ''}`);
  const sink = new GrepSink(printer, flags);
  const tally = new SearchTally();
  await withRemote(ctx, 'CLOUDWATCH_LOGS', 'logs:FilterLogEvents', async (clients) => {
    const logs = await clients.logs();
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

export async function runGrepRemote(ctx: CliContext, spec: FilterSpec, flags: GrepFlags, printer: EventPrinter, source: 'bucket' | 'log-group'): Promise<number> {
  const { matched, hadError } = source === 'bucket' ? await grepBucket(ctx, spec, flags, printer) : await grepLogGroup(ctx, spec, flags, printer);
  await printer.finish();
  if (flags.count === true) await ctx.write(`${matched}\n`);
  if (hadError) return EXIT_ERROR;
  return matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}
