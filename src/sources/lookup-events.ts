/**
 * CloudTrail's event history (`grep`/`tail --lookup`): LookupEvents, every page, at most two
 * requests a second (the documented limit, per account and region), each page's
 * `CloudTrailEvent` strings searched as records. Events come newest first, as the API returns them.
 */
import { LookupEventsCommand, type CloudTrailClient, type Event } from '@aws-sdk/client-cloudtrail';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsErrorCode, isAccessDenied, isThrottling, mapAwsError } from '../aws/errors.js';
import { TrailkitError } from '../core/errors.js';
import type { LookupAttribute } from '../core/lookup-attribute.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { searchBytes, type FileSearchOptions, type FileSearchResult, type WireMatch } from './file-search.js';
import { dedupKey, RecentIds } from './local-follow.js';

/** LookupEvents' documented rate: two requests a second, per account and region. */
export const LOOKUP_REQUESTS_PER_SECOND = 2;
/** Its largest page. */
export const LOOKUP_PAGE_SIZE = 50;

/**
 * Keeps requests within `perSecond` a second as the service counts them, on arrival: a request
 * starts no sooner than 1/perSecond s after the previous one started, and no sooner than 1 s
 * after the request `perSecond` places back was answered. (Spacing the starts alone is not
 * enough: a request that is slow to leave, such as the first, which loads credentials, can
 * arrive next to the ones after it.)
 */
export class RequestPacer {
  private nextStart = 0;
  private readonly answered: number[] = [];
  private inFlight = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly pause: (ms: number, signal?: AbortSignal) => Promise<unknown> = (ms, signal) => sleep(ms, undefined, signal === undefined ? undefined : { signal }),
  ) {}

  async wait(signal?: AbortSignal): Promise<void> {
    const older = this.answered.length >= this.perSecond - this.inFlight ? this.answered[this.answered.length - (this.perSecond - this.inFlight)] : undefined;
    const at = Math.max(this.now(), this.nextStart, older === undefined ? 0 : older + 1000);
    this.nextStart = at + 1000 / this.perSecond;
    this.inFlight++;
    const delay = at - this.now();
    try {
      if (delay > 0) await this.pause(delay, signal);
    } catch (error) {
      this.inFlight--;
      throw error;
    }
  }

  /** The request that the last `wait` let through has been answered (or failed). */
  done(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.answered.push(this.now());
    if (this.answered.length > this.perSecond) this.answered.shift();
  }
}

export interface LookupQuery {
  readonly attribute?: LookupAttribute;
  /** Epoch ms, inclusive. */
  readonly since: number;
  readonly until: number;
}

export interface LookupPage {
  readonly result: FileSearchResult;
  readonly events: readonly Event[];
}

/** One line for what LookupEvents refused. */
export function lookupError(error: unknown, region: string | undefined): TrailkitError {
  if (error instanceof TrailkitError) return error;
  const code = awsErrorCode(error) ?? '';
  const where = `cloudtrail:LookupEvents${region === undefined ? '' : ` in ${region}`}`;
  if (isAccessDenied(error)) {
    return new TrailkitError('access-denied', `${where}: access denied`, { hint: 'the caller needs the IAM permission cloudtrail:LookupEvents', cause: error });
  }
  if (isThrottling(error)) {
    return new TrailkitError('throttled', `${where}: still throttled after retries (two lookups a second per account and region)`, { hint: 'another client may be using the same limit: try again later', cause: error });
  }
  if (code === 'InvalidTimeRangeException') {
    return new TrailkitError('aws', `${where}: the time range was refused (${((error as Error).message ?? '').split('\n')[0] ?? ''})`, { hint: 'the event history holds the last 90 days; check --since and --until', cause: error });
  }
  return mapAwsError(error, { action: 'cloudtrail:LookupEvents', ...(region === undefined ? {} : { resource: region }) });
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Searches one page's events, each its own JSON document, as a file's records would be. */
function searchPage(path: string, events: readonly Event[], filter: CompiledFilter, options: FileSearchOptions): FileSearchResult {
  const merged: FileSearchResult = { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
  events.forEach((event, index) => {
    const text = event.CloudTrailEvent;
    if (text === undefined || text === '') {
      merged.problems.push(`event ${event.EventId ?? index}: no CloudTrailEvent in the answer`);
      return;
    }
    const one = searchBytes(path, Buffer.from(text), filter, options);
    if (one.error !== undefined) {
      merged.problems.push(`event ${event.EventId ?? index}: ${one.error}`);
      return;
    }
    merged.matches.push(...one.matches.map((m) => ({ ...m, index })));
    merged.matched += one.matched;
    merged.records += one.records;
    merged.parsed += one.parsed;
    merged.notCloudTrail += one.notCloudTrail;
    merged.problems.push(...one.problems);
  });
  return merged;
}

/**
 * Every page of LookupEvents for the query, newest events first. Stops between pages when
 * `signal` is aborted (Ctrl-C) without an error.
 */
export async function* lookupEvents(
  cloudTrail: CloudTrailClient,
  query: LookupQuery,
  filter: CompiledFilter,
  options: FileSearchOptions & { pacer: RequestPacer; signal?: AbortSignal; region?: string },
): AsyncGenerator<LookupPage> {
  const path = `event history${options.region === undefined ? '' : ` of ${options.region}`}`;
  let token: string | undefined;
  do {
    if (isAborted(options.signal)) return;
    let page;
    try {
      await options.pacer.wait(options.signal);
      page = await cloudTrail.send(new LookupEventsCommand({
        StartTime: new Date(Math.max(0, Math.floor(query.since))),
        EndTime: new Date(Math.floor(query.until)),
        MaxResults: LOOKUP_PAGE_SIZE,
        ...(query.attribute === undefined ? {} : { LookupAttributes: [{ AttributeKey: query.attribute.key, AttributeValue: query.attribute.value }] }),
        ...(token === undefined ? {} : { NextToken: token }),
      }), options.signal === undefined ? {} : { abortSignal: options.signal }).finally(() => options.pacer.done());
    } catch (error) {
      if (isAborted(options.signal)) return;
      throw lookupError(error, options.region);
    }
    const events = page.Events ?? [];
    yield { result: searchPage(path, events, filter, options), events };
    token = page.NextToken;
  } while (token !== undefined && token !== '');
}

/**
 * `tail --lookup -f`: polls LookupEvents from a little before the newest event seen (events
 * reach the event history minutes after the call), skipping events already read (EventId) and
 * printed (eventID).
 */
export class LookupFollower {
  private readonly read = new RecentIds(200_000);
  private readonly printed = new RecentIds(200_000);
  private newest: number;

  constructor(
    private readonly cloudTrail: CloudTrailClient,
    private readonly query: LookupQuery,
    private readonly filter: CompiledFilter,
    private readonly pacer: RequestPacer,
    private readonly region: string | undefined,
    private readonly lateMs = 15 * 60_000,
  ) {
    this.newest = query.since;
  }

  /** Records the events of the first pass, so they are not read or printed again. */
  seed(events: readonly Event[], matches: readonly WireMatch[]): void {
    for (const e of events) this.remember(e);
    this.fresh(matches);
  }

  private remember(e: Event): boolean {
    const time = e.EventTime?.getTime();
    if (time !== undefined && time > this.newest) this.newest = time;
    return e.EventId === undefined || this.read.add(e.EventId);
  }

  fresh(matches: readonly WireMatch[]): WireMatch[] {
    return matches.filter((m) => this.printed.add(dedupKey(m)));
  }

  async poll(now: number, signal?: AbortSignal): Promise<{ matches: WireMatch[]; results: FileSearchResult[] }> {
    const out: { matches: WireMatch[]; results: FileSearchResult[] } = { matches: [], results: [] };
    const query = { ...this.query, since: Math.max(this.query.since, this.newest - this.lateMs), until: now };
    for await (const page of lookupEvents(this.cloudTrail, query, this.filter, { pacer: this.pacer, ...(signal === undefined ? {} : { signal }), ...(this.region === undefined ? {} : { region: this.region }) })) {
      const unread = page.events.filter((e) => this.remember(e));
      if (unread.length === 0) continue;
      const result = unread.length === page.events.length ? page.result : searchPage(page.result.path, unread, this.filter, {});
      out.results.push(result);
      out.matches.push(...this.fresh(result.matches));
    }
    out.matches.sort((a, b) => (a.time ?? -Infinity) - (b.time ?? -Infinity));
    return out;
  }
}
