/**
 * Searching and tailing CloudTrail events as jobs: async iterators over files, folders, standard
 * input, a trail's S3 bucket, a CloudWatch Logs group or the event history (LookupEvents), with
 * one filter spec. `grep` and `tail` are their first users.
 *
 * Results come as batches, one per file, object or page (a large file's in several), carrying
 * the file's problems (a broken record, a truncated gzip) with its matches: a problem never stops
 * the search of the other files.
 */
import type { AwsClients } from '../aws/clients.js';
import { TrailkitError, usageError } from '../core/errors.js';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import type { CloudTrailRecord } from '../core/record.js';
import { parseLogGroupRef, parseTrailRef } from '../core/resource-refs.js';
import { formatInstant, formatSpan, HOUR_MS, resolveWindow, type TimeWindow } from '../core/trail-window.js';
import { newest, type FileSearchResult, type WireMatch } from '../sources/file-search.js';
import { expandInputs, STDIN_PATH, type InputFile } from '../sources/local-files.js';
import type { S3TrailQuery } from '../sources/s3-trail-objects.js';
import { pushToPull } from './event-stream.js';
import { jobContext, withAwsClients, type JobContext, type JobOptions } from './job-options.js';

/** Where events are read from. */
export type EventSource =
  /** Files and folders (walked for CloudTrail files), `-` for standard input. */
  | { readonly kind: 'files'; readonly paths: readonly string[]; readonly stdin?: () => AsyncIterable<Buffer>; readonly workers?: number }
  /** A trail's S3 bucket, by its name or that of the trail (GetTrail). */
  | { readonly kind: 'bucket'; readonly bucket?: string; readonly trail?: string; readonly prefix?: string; readonly organizationId?: string; readonly concurrency?: number }
  /** A CloudWatch Logs group (name or ARN), or the one a trail sends to. */
  | { readonly kind: 'log-group'; readonly logGroup?: string; readonly trail?: string; readonly streamPrefix?: string }
  /** The event history of the region called (LookupEvents: management events of the last 90 days). */
  | { readonly kind: 'lookup' }
  /**
   * A Parquet index built by buildIndex (`trailkit index`): the same events, order and bytes as a
   * search of the files it was built from. `verified`: only events of files whose integrity verdict
   * is valid. Loads DuckDB.
   */
  | { readonly kind: 'index'; readonly dir: string; readonly verified?: boolean };

export interface SearchRequest {
  readonly source: EventSource;
  /** The filters (every one must match); `since`/`until` are epoch milliseconds. */
  readonly filter: FilterSpec;
  /** Stop after this many matches. */
  readonly limit?: number;
  /** Count matches without keeping their text (batches carry `matched`, no `matches`). */
  readonly countOnly?: boolean;
  /**
   * Keep the records the search parsed with the matches (WireMatch.record) where it can (files
   * searched in this thread), for a consumer that reads their fields rather than their text.
   */
  readonly keepRecords?: boolean;
}

export interface TailRequest extends SearchRequest {
  /** How many of the newest events to give first (default 20). */
  readonly lines?: number;
  /** Then keep watching for new events until the signal aborts. */
  readonly follow?: boolean;
  /** Seconds between polls (default: 1 for files, 30 for the AWS sources). */
  readonly intervalSeconds?: number;
}

/** One file's, object's or page's results: its matches and what was wrong with it. */
export type SearchBatch = FileSearchResult;

/** A matching event. */
export interface TrailEvent {
  /** The file, `s3://bucket/key`, log group page or event history it came from. */
  readonly source: string;
  /** Its place in the file, from 0. */
  readonly index: number;
  /** The record's exact JSON text, as in the file. */
  readonly raw: string;
  readonly record: CloudTrailRecord;
  /** eventTime in epoch milliseconds, when it has CloudTrail's form. */
  readonly time: number | undefined;
}

/** How far back a remote search looks when no --since is given. */
export const SEARCH_WINDOW_MS = 24 * HOUR_MS;
export const TAIL_WINDOW_MS = HOUR_MS;
/** How often a follow polls S3, CloudWatch Logs or the event history: CloudTrail delivers about every 5 minutes. */
export const REMOTE_POLL_SECONDS = 30;
const LOCAL_POLL_SECONDS = 1;

/** The search's results, batch by batch, in the order of the files (or keys, or pages). */
export function searchEventBatches(request: SearchRequest, options: JobOptions = {}): AsyncGenerator<SearchBatch> {
  const job = jobContext(options);
  return pushToPull((push, signal) => runSearch(job, request, push, signal), job.signal);
}

/** Every matching event; problems with files go to `onProblem` (default: onWarning). */
export async function* searchEvents(request: SearchRequest, options: JobOptions & { onProblem?: (source: string, message: string) => void } = {}): AsyncGenerator<TrailEvent> {
  const problem = options.onProblem ?? ((source: string, message: string) => options.onWarning?.(`${source}: ${message}`));
  for await (const batch of searchEventBatches({ ...request, countOnly: false, keepRecords: true }, options)) {
    reportProblems(batch, problem);
    for (const match of batch.matches) yield toEvent(batch.path, match);
  }
}

/** The newest events, then (with follow) new ones as they arrive: batches, as searchEventBatches. */
export function tailEventBatches(request: TailRequest, options: JobOptions = {}): AsyncGenerator<SearchBatch> {
  const job = jobContext(options);
  return pushToPull((push, signal) => runTail(job, request, push, signal), job.signal);
}

/** tailEventBatches as events. */
export async function* tailEvents(request: TailRequest, options: JobOptions & { onProblem?: (source: string, message: string) => void } = {}): AsyncGenerator<TrailEvent> {
  const problem = options.onProblem ?? ((source: string, message: string) => options.onWarning?.(`${source}: ${message}`));
  for await (const batch of tailEventBatches({ ...request, keepRecords: true }, options)) {
    reportProblems(batch, problem);
    for (const match of batch.matches) yield toEvent(batch.path, match);
  }
}

/** Follows new events only: tailEvents with no backlog. */
export function followEvents(request: Omit<TailRequest, 'follow' | 'lines'>, options: JobOptions & { onProblem?: (source: string, message: string) => void } = {}): AsyncGenerator<TrailEvent> {
  return tailEvents({ ...request, lines: 0, follow: true }, options);
}

function toEvent(source: string, match: WireMatch): TrailEvent {
  return { source, index: match.index, raw: match.raw, record: match.record ?? (JSON.parse(match.raw) as CloudTrailRecord), time: match.time };
}

function reportProblems(batch: SearchBatch, problem: (source: string, message: string) => void): void {
  if (batch.error !== undefined) problem(batch.path, batch.error);
  for (const p of batch.problems) problem(batch.path, p);
  if (batch.notCloudTrail > 0) problem(batch.path, batch.notCloudTrail === batch.parsed ? 'is JSON but not CloudTrail events; skipped' : `${batch.notCloudTrail} of its records are not CloudTrail events; skipped them`);
}

/** A batch that only reports a problem (a path that cannot be read). */
export function problemBatch(path: string, message: string): SearchBatch {
  return { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [], error: message };
}

type Push = (batch: SearchBatch) => Promise<void>;

/** Fixes a remote search's window into the filter and says which one it is. */
function applyWindow(job: JobContext, spec: FilterSpec, defaultMs: number, where: string, options: { follow?: boolean } = {}): TimeWindow {
  const userUntil = spec.until;
  const window = resolveWindow(spec.since, spec.until, job.now().getTime(), defaultMs);
  spec.since = window.since;
  // A follow prints what arrives later, so "now" only ends the first listing, not the filter.
  if (options.follow !== true || userUntil !== undefined) spec.until = window.until;
  const note = window.defaulted ? ` (the last ${formatSpan(defaultMs)}; --since/--until choose another window)` : '';
  job.notice(`searching ${where} from ${formatInstant(window.since)} to ${formatInstant(window.until)}${note}`);
  return window;
}

function bucketLabel(query: S3TrailQuery): string {
  return `s3://${query.bucket}/${query.prefix === undefined ? '' : `${query.prefix.replace(/^\/+|\/+$/g, '')}/`}`;
}

/** The bucket, prefix and organization folder to read (GetTrail for a trail), and the region to ask. */
async function bucketTarget(job: JobContext, clients: AwsClients, source: Extract<EventSource, { kind: 'bucket' }>, spec: FilterSpec): Promise<{ query: S3TrailQuery; region: string | undefined }> {
  const filters = {
    ...(spec.accounts === undefined || spec.accounts.length === 0 ? {} : { accounts: spec.accounts }),
    ...(spec.regions === undefined || spec.regions.length === 0 ? {} : { regions: spec.regions }),
  };
  if (source.trail === undefined) {
    if (source.bucket === undefined) throw usageError('a bucket search needs a bucket or a trail');
    return {
      query: { bucket: source.bucket, ...(source.prefix === undefined ? {} : { prefix: source.prefix }), ...(source.organizationId === undefined ? {} : { orgId: source.organizationId }), ...filters },
      region: job.aws.region,
    };
  }
  const { readTrail } = await import('../aws/trail-lookup.js');
  const trail = await readTrail(clients, parseTrailRef(source.trail), (m) => job.debug(m));
  if (trail.bucket === undefined) throw new TrailkitError('not-found', `trail ${trail.arn}: it names no S3 bucket`, { hint: 'give --bucket' });
  return {
    query: { bucket: trail.bucket, ...(trail.prefix === '' ? {} : { prefix: trail.prefix }), ...(trail.organizationId === undefined ? {} : { orgId: trail.organizationId }), ...filters },
    // The bucket usually lives in the trail's home region: asking there saves a redirect.
    region: job.aws.region ?? (trail.homeRegion === '' ? undefined : trail.homeRegion),
  };
}

/** The log group to read and its region (from its ARN), else the region to call. */
async function logGroupTarget(job: JobContext, clients: AwsClients, source: Extract<EventSource, { kind: 'log-group' }>): Promise<{ logGroup: string; region: string | undefined }> {
  if (source.logGroup !== undefined) {
    const ref = parseLogGroupRef(source.logGroup);
    return { logGroup: ref.name, region: ref.region ?? job.aws.region };
  }
  if (source.trail === undefined) throw usageError('a log group search needs a log group or a trail');
  const { readTrail } = await import('../aws/trail-lookup.js');
  const trail = await readTrail(clients, parseTrailRef(source.trail), (m) => job.debug(m));
  if (trail.logGroupArn === undefined) {
    throw new TrailkitError('not-found', `trail ${trail.arn}: it sends no events to CloudWatch Logs (no CloudWatchLogsLogGroupArn)`, { hint: 'drop --log-group to search its S3 bucket' });
  }
  const ref = parseLogGroupRef(trail.logGroupArn, 'the trail\'s CloudWatchLogsLogGroupArn');
  const region = job.aws.region;
  if (ref.region !== undefined && region !== undefined && region !== ref.region) {
    throw usageError(`--region ${region}: the trail's log group ARN's region is ${ref.region}`, `drop --region: the ARN's region is the one called`);
  }
  return { logGroup: ref.name, region: ref.region ?? region };
}

/** Expands PATH arguments; the ones that cannot be used become problem batches. */
async function localInputs(paths: readonly string[], push: Push, emptyIsFine: boolean): Promise<InputFile[]> {
  const { files, problems } = await expandInputs(paths);
  for (const p of problems) if (!(emptyIsFine && p.kind === 'empty')) await push(problemBatch(p.path, p.message));
  return files;
}

/** Counts matches against the limit; returns what of a batch to pass on, and whether to go on. */
class Limit {
  matched = 0;
  constructor(private readonly limit: number | undefined, private readonly countOnly: boolean) {}

  take(batch: SearchBatch): { batch: SearchBatch; more: boolean } {
    const room = this.limit === undefined ? Infinity : this.limit - this.matched;
    let out = batch;
    if (this.countOnly) {
      const n = Math.min(batch.matched, room);
      this.matched += n;
      out = { ...batch, matched: n, matches: [] };
    } else {
      const take = batch.matches.length > room ? batch.matches.slice(0, room) : batch.matches;
      this.matched += take.length;
      out = take === batch.matches ? batch : { ...batch, matches: take, matched: take.length };
    }
    return { batch: out, more: this.limit === undefined || this.matched < this.limit };
  }
}

async function runSearch(job: JobContext, request: SearchRequest, push: Push, signal: AbortSignal): Promise<void> {
  const spec: FilterSpec = { ...request.filter };
  const limit = new Limit(request.limit, request.countOnly === true);
  const countOnly = request.countOnly === true;
  const source = request.source;
  const pass = async (batch: SearchBatch): Promise<boolean> => {
    const { batch: out, more } = limit.take(batch);
    await push(out);
    return more;
  };
  if (source.kind === 'index') {
    const { searchIndex } = await import('../sources/index-search.js');
    await searchIndex(source.dir, spec, async (batch) => !signal.aborted && (await pass(batch)), { verified: source.verified === true, signal, debug: (m) => job.debug(m), warn: (m) => job.warn(m) });
    return;
  }
  if (source.kind === 'files') {
    const { searchFiles } = await import('../sources/search-pool.js');
    const files = await localInputs(source.paths, push, false);
    const threads = { workers: 0, filesByWorkers: 0 };
    const pool = {
      ...(request.limit === undefined ? {} : { limit: request.limit }),
      countOnly,
      stats: threads,
      ...(source.stdin === undefined ? {} : { stdin: source.stdin }),
      ...(source.workers === undefined ? {} : { workers: source.workers }),
      ...(request.keepRecords === true && !countOnly ? { keepRecords: true } : {}),
    };
    for await (const result of searchFiles(files, spec, pool)) {
      if (signal.aborted || !(await pass(result))) break;
    }
    job.debug(`search: ${threads.workers === 0 ? 'one thread' : `${threads.workers + 1} threads (${threads.filesByWorkers} files searched by ${threads.workers === 1 ? 'the worker' : `${threads.workers} workers`})`}`);
    return;
  }
  if (source.kind === 'bucket') {
    const [{ searchObjects }, { EVENT_KINDS, noTrailError, trailFolders, windowObjects }] = await Promise.all([import('../sources/s3-search.js'), import('../sources/s3-trail-objects.js')]);
    await withAwsClients(job, 's3:GetObject', async (clients) => {
      const { query, region } = await bucketTarget(job, clients, source, spec);
      const window = applyWindow(job, spec, SEARCH_WINDOW_MS, bucketLabel(query));
      const s3 = await clients.s3(region);
      const folders = await trailFolders(s3, query, EVENT_KINDS);
      if (folders.length === 0) throw await noTrailError(s3, query);
      const objects = windowObjects(s3, query.bucket, folders, window);
      const options = { concurrency: source.concurrency ?? 16, ...(request.limit === undefined ? {} : { limit: request.limit }), countOnly };
      for await (const result of searchObjects(s3, query.bucket, objects, compileFilter(spec), options)) {
        if (signal.aborted || !(await pass(result))) break;
      }
    });
    return;
  }
  if (source.kind === 'log-group') {
    const [{ serverPatternFor }, { DELIVERY_LAG_MS, filterLogGroup }] = await Promise.all([import('../core/cloudwatch-pattern.js'), import('../sources/log-group-search.js')]);
    const server = serverPatternFor(spec);
    job.debug(`FilterLogEvents pattern: ${server.pattern ?? '(none)'}${server.localOnly.length > 0 ? `; applied locally only: ${server.localOnly.join(', ')}` : ''}`);
    await withAwsClients(job, 'logs:FilterLogEvents', async (clients) => {
      const { logGroup, region } = await logGroupTarget(job, clients, source);
      const window = applyWindow(job, spec, SEARCH_WINDOW_MS, `log group ${logGroup}${region === undefined ? '' : ` in ${region}`}`);
      const filter = compileFilter(spec);
      const logs = await clients.logs(region);
      const query = { logGroup, ...(source.streamPrefix === undefined ? {} : { streamPrefix: source.streamPrefix }), ...(server.pattern === undefined ? {} : { pattern: server.pattern }) };
      const range = { since: window.since, until: window.until + DELIVERY_LAG_MS };
      for await (const page of filterLogGroup(logs, query, range, filter, { countOnly })) {
        if (signal.aborted || !(await pass(page.result))) break;
      }
    });
    return;
  }
  await withAwsClients(job, 'cloudtrail:LookupEvents', async (clients) => {
    const lookup = await openLookup(job, clients, spec, SEARCH_WINDOW_MS, { follow: false });
    for await (const page of lookup.pages(signal, { countOnly })) {
      if (!(await pass(page.result))) break;
      if (signal.aborted) break;
    }
  });
}

/** LookupEvents set up: the region, the window (the job's default, said as a notice) and the lookup attribute. */
async function openLookup(job: JobContext, clients: AwsClients, spec: FilterSpec, defaultMs: number, options: { follow: boolean }) {
  const [{ mapAwsError }, { lookupAttributeFor, lookupStart }, { LOOKUP_REQUESTS_PER_SECOND, lookupEvents, RequestPacer }] = await Promise.all([
    import('../aws/errors.js'),
    import('../core/lookup-attribute.js'),
    import('../sources/lookup-events.js'),
  ]);
  const cloudTrail = await clients.cloudTrail(job.aws.region);
  let region: string;
  try {
    region = await cloudTrail.config.region();
  } catch (error) {
    throw mapAwsError(error, { action: 'cloudtrail:LookupEvents' });
  }
  const window = applyWindow(job, spec, defaultMs, `the event history of ${region} (LookupEvents)`, options);
  const { start, clamped, empty } = lookupStart(window.since, window.until, job.now().getTime());
  if (empty) {
    throw usageError(`--until ${formatInstant(window.until)}: the event history (LookupEvents) keeps only the last 90 days`, "search the trail's S3 bucket instead: --trail TRAIL or --bucket BUCKET");
  }
  if (clamped) {
    job.warn(`the event history (LookupEvents) keeps the last 90 days: nothing before ${formatInstant(start)} is searched (--trail or --bucket reads the trail's S3 bucket for older events)`);
  }
  const attribute = lookupAttributeFor(spec);
  job.debug(`LookupEvents in ${region}: ${attribute === undefined ? 'no lookup attribute' : `lookup attribute ${attribute.key}=${attribute.value}`}; every filter is also applied locally`);
  const filter = compileFilter(spec);
  const pacer = new RequestPacer(LOOKUP_REQUESTS_PER_SECOND);
  const query = { ...(attribute === undefined ? {} : { attribute }), since: start, until: window.until };
  return {
    region,
    cloudTrail,
    query,
    filter,
    pacer,
    pages: (signal: AbortSignal | undefined, extra: { countOnly?: boolean; keepNewest?: number } = {}) => lookupEvents(cloudTrail, query, filter, { ...extra, pacer, region, ...(signal === undefined ? {} : { signal }) }),
  };
}

/** The newest `lines` matches of what was read, as one batch. */
function newestBatch(matches: WireMatch[]): SearchBatch {
  return { path: '', matches, matched: matches.length, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
}

/** A result's problems without its matches (tail gives the newest of all files at once). */
function problemsOnly(result: FileSearchResult): SearchBatch {
  return { ...result, matches: [], matched: 0 };
}

/**
 * Polls every `intervalSeconds` until the job is stopped, passing new matches on; a failed poll
 * (throttling, a dropped connection, a folder gone for a moment) is a warning and is tried again.
 */
async function followPolls(
  job: JobContext,
  signal: AbortSignal,
  intervalSeconds: number,
  push: Push,
  poll: (flush: (matches: WireMatch[]) => Promise<void>) => Promise<{ matches: WireMatch[]; results: readonly FileSearchResult[]; retrying?: number }>,
): Promise<void> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  while (!signal.aborted) {
    try {
      await sleep(intervalSeconds * 1000, undefined, { signal });
    } catch {
      break;
    }
    try {
      // A poll that finds a huge delivery passes on what it has so far rather than hold it all.
      const polled = await poll((matches) => push(newestBatch(matches)));
      for (const result of polled.results) await push(problemsOnly(result));
      if (polled.retrying !== undefined && polled.retrying > 0) job.warn(`${polled.retrying} new objects could not be read yet; trying again in ${intervalSeconds} s`);
      if (polled.matches.length > 0) await push(newestBatch(polled.matches));
    } catch (error) {
      if (signal.aborted) break;
      let message: string;
      if (error instanceof TrailkitError) message = `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`;
      else message = (await import('../aws/errors.js')).mapAwsError(error, { action: 'polling' }).message;
      job.warn(`could not look for new events: ${message}; trying again in ${intervalSeconds} s`);
    }
  }
}

async function runTail(job: JobContext, request: TailRequest, push: Push, signal: AbortSignal): Promise<void> {
  const spec: FilterSpec = { ...request.filter };
  const lines = request.lines ?? 20;
  const follow = request.follow === true;
  const source = request.source;
  let kept: WireMatch[] = [];
  if (source.kind === 'index') {
    if (follow) throw usageError('tail -f follows files, a bucket or a log group; an index does not grow by itself', 'run trailkit index again to add new files, or tail -f the folder');
    const { newestInIndex } = await import('../sources/index-search.js');
    const newest = await newestInIndex(source.dir, spec, lines, { verified: source.verified === true, signal, debug: (m) => job.debug(m), warn: (m) => job.warn(m) });
    if (!signal.aborted) await push(newestBatch(newest));
    return;
  }
  if (source.kind === 'files') {
    const [{ searchFiles }, { LocalFollower }] = await Promise.all([import('../sources/search-pool.js'), import('../sources/local-follow.js')]);
    if (follow && source.paths.includes(STDIN_PATH)) throw usageError('tail -f follows files and folders, not standard input', 'give the folder the logs are delivered to');
    const files = await localInputs(source.paths, push, follow);
    const follower = follow ? new LocalFollower([...source.paths], compileFilter(spec)) : undefined;
    const byPath = new Map<string, InputFile>(files.map((f) => [f.path, f]));
    // A large file comes in batches: its records add up until its last batch.
    let records = 0;
    const pool = {
      keepNewest: lines,
      ...(source.stdin === undefined ? {} : { stdin: source.stdin }),
      ...(source.workers === undefined ? {} : { workers: source.workers }),
      ...(request.keepRecords === true ? { keepRecords: true } : {}),
    };
    for await (const result of searchFiles(files, spec, pool)) {
      if (signal.aborted) break;
      await push(problemsOnly(result));
      kept = newest(kept.concat(result.matches), lines);
      records += result.records;
      const file = byPath.get(result.path);
      if (follower !== undefined && file !== undefined) {
        for (const match of result.matches) follower.remember(match);
        if (result.more !== true) follower.seed(file, { ...result, records });
      }
      if (result.more !== true) records = 0;
    }
    await push(newestBatch(kept));
    if (follower === undefined) return;
    await followPolls(job, signal, request.intervalSeconds ?? LOCAL_POLL_SECONDS, push, async (flush) => {
      const polled = await follower.poll(flush);
      return { matches: polled.matches, results: polled.errors.map((e) => problemBatch(e.path, e.message)) };
    });
    return;
  }
  const interval = request.intervalSeconds ?? REMOTE_POLL_SECONDS;
  if (source.kind === 'bucket') {
    const [{ S3Follower, searchObjects }, { EVENT_KINDS, noTrailError, trailFolders, windowObjects }] = await Promise.all([import('../sources/s3-search.js'), import('../sources/s3-trail-objects.js')]);
    await withAwsClients(job, 's3:GetObject', async (clients) => {
      const { query, region } = await bucketTarget(job, clients, source, spec);
      const window = applyWindow(job, spec, TAIL_WINDOW_MS, bucketLabel(query), { follow });
      const filter = compileFilter(spec);
      const s3 = await clients.s3(region);
      const concurrency = source.concurrency ?? 16;
      const follower = follow ? new S3Follower(s3, query, filter, { concurrency }) : undefined;
      const folders = await trailFolders(s3, query, EVENT_KINDS);
      if (folders.length === 0) {
        if (follower === undefined) throw await noTrailError(s3, query);
        job.warn(`no CloudTrail log folders under ${bucketLabel(query)}AWSLogs/ yet; waiting for the first delivery`);
      }
      const objects = windowObjects(s3, query.bucket, folders, window, (object) => follower?.seedKey(object.key));
      for await (const result of searchObjects(s3, query.bucket, objects, filter, { concurrency, keepNewest: lines })) {
        if (signal.aborted) break;
        await push(problemsOnly(result));
        kept = newest(kept.concat(result.matches), lines);
        // Throttled or cut off: read it again on the next poll rather than never.
        if (result.failure?.transient === true) follower?.forgetKey(result.key);
      }
      if (follower !== undefined) kept = follower.fresh(kept);
      await push(newestBatch(kept));
      if (follower === undefined) return;
      await followPolls(job, signal, interval, push, (flush) => follower.poll(job.now().getTime(), flush));
    });
    return;
  }
  if (source.kind === 'log-group') {
    const [{ serverPatternFor }, { DELIVERY_LAG_MS, filterLogGroup, LogGroupFollower }] = await Promise.all([import('../core/cloudwatch-pattern.js'), import('../sources/log-group-search.js')]);
    const server = serverPatternFor(spec);
    job.debug(`FilterLogEvents pattern: ${server.pattern ?? '(none)'}`);
    const seen: { eventId?: string; timestamp?: number }[] = [];
    await withAwsClients(job, 'logs:FilterLogEvents', async (clients) => {
      const { logGroup, region } = await logGroupTarget(job, clients, source);
      const window = applyWindow(job, spec, TAIL_WINDOW_MS, `log group ${logGroup}${region === undefined ? '' : ` in ${region}`}`, { follow });
      const filter = compileFilter(spec);
      const query = { logGroup, ...(source.streamPrefix === undefined ? {} : { streamPrefix: source.streamPrefix }), ...(server.pattern === undefined ? {} : { pattern: server.pattern }) };
      const logs = await clients.logs(region);
      const range = { since: window.since, until: window.until + DELIVERY_LAG_MS };
      for await (const page of filterLogGroup(logs, query, range, filter, { keepNewest: lines })) {
        if (signal.aborted) break;
        if (follow) seen.push(...page.events.map((e) => ({ eventId: e.eventId, timestamp: e.timestamp })));
        await push(problemsOnly(page.result));
        kept = newest(kept.concat(page.result.matches), lines);
      }
      const follower = follow ? new LogGroupFollower(logs, query, filter, window.since) : undefined;
      follower?.seed(seen, kept);
      await push(newestBatch(kept));
      if (follower === undefined) return;
      await followPolls(job, signal, interval, push, () => follower.poll(job.now().getTime()));
    });
    return;
  }
  const { LookupFollower } = await import('../sources/lookup-events.js');
  await withAwsClients(job, 'cloudtrail:LookupEvents', async (clients) => {
    const lookup = await openLookup(job, clients, spec, TAIL_WINDOW_MS, { follow });
    const seen: import('@aws-sdk/client-cloudtrail').Event[] = [];
    let found = 0;
    for await (const page of lookup.pages(signal, { keepNewest: lines })) {
      seen.push(...page.events);
      await push(problemsOnly(page.result));
      kept = newest(kept.concat(page.result.matches), lines);
      found += page.result.matches.length;
      // Pages come newest first: once N matches are in hand, older pages cannot displace them.
      if (found >= lines) break;
    }
    const follower = follow && !signal.aborted ? new LookupFollower(lookup.cloudTrail, lookup.query, lookup.filter, lookup.pacer, lookup.region) : undefined;
    follower?.seed(seen, kept);
    await push(newestBatch(kept));
    if (follower === undefined) return;
    await followPolls(job, signal, interval, push, () => follower.poll(job.now().getTime()));
  });
}
