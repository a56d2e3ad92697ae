import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { awsErrorCode, isAccessDenied, mapAwsError } from '../aws/errors.js';
import { TrailkitError } from '../core/errors.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { searchBytes, type FileSearchOptions, type FileSearchResult, type WireMatch } from './file-search.js';
import { dedupKey, RecentIds } from './local-follow.js';

/** What to read from a log group that a trail delivers to (`--log-group`, `--log-stream-prefix`). */
export interface LogGroupQuery {
  readonly logGroup: string;
  readonly streamPrefix?: string;
  /** A CloudWatch filter pattern selecting a superset of the wanted events, or undefined for all. */
  readonly pattern?: string;
}

/**
 * A log event's timestamp is when CloudTrail sent it, up to ~15 minutes after the eventTime, so
 * the service-side window runs this much past --until; the local filter trims it exactly.
 */
export const DELIVERY_LAG_MS = 3_600_000;

export function logGroupError(error: unknown, logGroup: string): TrailkitError {
  if (error instanceof TrailkitError) return error;
  const code = awsErrorCode(error);
  if (code === 'ResourceNotFoundException') {
    return new TrailkitError('not-found', `log group ${logGroup} does not exist in this region`, {
      hint: 'check --log-group and the region (AWS_REGION or the profile\'s region); aws cloudtrail get-trail shows the trail\'s CloudWatchLogsLogGroupArn',
      cause: error,
    });
  }
  if (isAccessDenied(error)) {
    return new TrailkitError('access-denied', `logs:FilterLogEvents on ${logGroup}: access denied`, { hint: 'the caller needs the IAM permission logs:FilterLogEvents on the log group', cause: error });
  }
  if (code === 'InvalidParameterException' && /pattern/i.test((error as Error).message ?? '')) {
    return new TrailkitError('aws', `CloudWatch Logs refused the filter pattern: ${(error as Error).message}`, { cause: error });
  }
  return mapAwsError(error, { action: 'logs:FilterLogEvents', resource: logGroup });
}

/** One page of log events, searched as a file of NDJSON would be. */
function searchPage(path: string, events: readonly FilteredLogEvent[], filter: CompiledFilter, options: FileSearchOptions): FileSearchResult {
  const text = events.map((e) => (e.message ?? '').replace(/\n+$/, '')).join('\n');
  const result = searchBytes(path, Buffer.from(text), filter, options);
  if (result.error === undefined) return result;
  // One bad message fails the whole page as a document: search them one by one instead.
  const merged: FileSearchResult = { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
  events.forEach((event, index) => {
    const one = searchBytes(path, Buffer.from(event.message ?? ''), filter, options);
    if (one.error !== undefined) {
      merged.problems.push(`log event ${event.eventId ?? index} in stream ${event.logStreamName ?? '?'}: ${one.error}`);
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

export interface LogEventsPage {
  readonly result: FileSearchResult;
  readonly events: readonly FilteredLogEvent[];
}

/**
 * FilterLogEvents over [since, until + lag], every page, with the server-side pattern; each page
 * is filtered again locally (the pattern is a superset, and emulators may ignore it).
 */
export async function* filterLogGroup(
  logs: CloudWatchLogsClient,
  query: LogGroupQuery,
  window: { since: number; until: number },
  filter: CompiledFilter,
  options: FileSearchOptions = {},
): AsyncGenerator<LogEventsPage> {
  const path = `log group ${query.logGroup}`;
  let token: string | undefined;
  do {
    let page;
    try {
      page = await logs.send(new FilterLogEventsCommand({
        logGroupName: query.logGroup,
        startTime: Math.max(0, Math.floor(window.since)),
        endTime: Math.floor(window.until),
        ...(query.streamPrefix === undefined ? {} : { logStreamNamePrefix: query.streamPrefix }),
        ...(query.pattern === undefined ? {} : { filterPattern: query.pattern }),
        ...(token === undefined ? {} : { nextToken: token }),
      }));
    } catch (error) {
      throw logGroupError(error, query.logGroup);
    }
    // The prefix is also applied here: some emulators ignore logStreamNamePrefix.
    const events = (page.events ?? []).filter((e) => query.streamPrefix === undefined || (e.logStreamName ?? '').startsWith(query.streamPrefix));
    yield { result: searchPage(path, events, filter, options), events };
    token = page.nextToken;
  } while (token !== undefined && token !== '');
}

/**
 * Follows a log group (`tail --log-group -f`) by polling FilterLogEvents from a little before
 * the newest event seen (log events can be ingested late), skipping log events already read (by
 * their CloudWatch eventId) and CloudTrail events already printed (by eventID).
 */
export class LogGroupFollower {
  private readonly read = new RecentIds(200_000);
  private readonly printed = new RecentIds(200_000);
  private newest = 0;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly query: LogGroupQuery,
    private readonly filter: CompiledFilter,
    start: number,
    private readonly lateMs = 15 * 60_000,
  ) {
    this.newest = start;
  }

  /** Records the log events of the first pass, so they are not read again. */
  seed(events: readonly FilteredLogEvent[], matches: readonly WireMatch[]): void {
    for (const e of events) {
      if (e.eventId !== undefined) this.read.add(e.eventId);
      if (e.timestamp !== undefined && e.timestamp > this.newest) this.newest = e.timestamp;
    }
    this.fresh(matches);
  }

  fresh(matches: readonly WireMatch[]): WireMatch[] {
    return matches.filter((m) => this.printed.add(dedupKey(m)));
  }

  async poll(now: number): Promise<{ matches: WireMatch[]; results: FileSearchResult[] }> {
    const out: { matches: WireMatch[]; results: FileSearchResult[] } = { matches: [], results: [] };
    for await (const page of filterLogGroup(this.logs, this.query, { since: this.newest - this.lateMs, until: now + 60_000 }, this.filter)) {
      const unread = page.events.filter((e) => e.eventId === undefined || this.read.add(e.eventId));
      if (unread.length === 0) continue;
      for (const e of unread) if (e.timestamp !== undefined && e.timestamp > this.newest) this.newest = e.timestamp;
      const result = unread.length === page.events.length ? page.result : searchPage(page.result.path, unread, this.filter, {});
      out.results.push(result);
      out.matches.push(...this.fresh(result.matches));
    }
    out.matches.sort((a, b) => (a.time ?? -Infinity) - (b.time ?? -Infinity));
    return out;
  }
}
