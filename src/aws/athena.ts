/**
 * Running a query on Athena: StartQueryExecution, GetQueryExecution polled with backoff until the
 * query ends, GetQueryResults page by page. A FAILED or CANCELLED query is an error with Athena's
 * reason; throttled polls wait longer and poll again; `signal` stops the query (StopQueryExecution).
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { TrailkitError } from '../core/errors.js';
import { awsErrorCode, mapAwsError } from './errors.js';

export interface AthenaQueryInput {
  readonly sql: string;
  readonly workgroup: string;
  readonly database?: string;
  readonly catalog?: string;
  readonly outputLocation?: string;
}

export interface AthenaRunOptions {
  readonly signal?: AbortSignal;
  /** First poll delay (ms); it grows by half each poll up to `maxPollMs`. */
  readonly firstPollMs?: number;
  readonly maxPollMs?: number;
  readonly onState?: (state: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AthenaResultPage {
  readonly columns: string[];
  readonly rows: (string | null)[][];
}

export interface AthenaFinished {
  readonly id: string;
  readonly execution: QueryExecution;
  /** Bytes Athena scanned (what it bills). */
  readonly scannedBytes: number;
  pages(): AsyncIterable<AthenaResultPage>;
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded']);

function sleeper(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function athenaError(error: unknown, action: string): TrailkitError {
  if (error instanceof TrailkitError) return error;
  return mapAwsError(error, { action });
}

/** Starts the query and waits for it to end; throws on FAILED or CANCELLED. */
export async function runAthenaQuery(client: AthenaClient, input: AthenaQueryInput, options: AthenaRunOptions = {}): Promise<AthenaFinished> {
  let id: string | undefined;
  try {
    const started = await client.send(new StartQueryExecutionCommand({
      QueryString: input.sql,
      WorkGroup: input.workgroup,
      ...(input.database === undefined && input.catalog === undefined ? {} : { QueryExecutionContext: { ...(input.database === undefined ? {} : { Database: input.database }), ...(input.catalog === undefined ? {} : { Catalog: input.catalog }) } }),
      ...(input.outputLocation === undefined ? {} : { ResultConfiguration: { OutputLocation: input.outputLocation } }),
    }));
    id = started.QueryExecutionId;
  } catch (error) {
    throw athenaError(error, 'athena:StartQueryExecution');
  }
  if (id === undefined) throw new TrailkitError('athena', 'StartQueryExecution returned no query execution id');
  const sleep = options.sleep ?? sleeper(options.signal);
  let delay = options.firstPollMs ?? 250;
  const maxDelay = options.maxPollMs ?? 5000;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch {
      // The query may have ended already; its state says so below.
    }
  };
  for (;;) {
    if (options.signal?.aborted === true) await stop();
    let execution: QueryExecution | undefined;
    try {
      execution = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    } catch (error) {
      if (THROTTLED.has(awsErrorCode(error) ?? '')) {
        delay = Math.min(maxDelay, delay * 2);
        await sleep(delay);
        continue;
      }
      throw athenaError(error, 'athena:GetQueryExecution');
    }
    const state = execution?.Status?.State ?? 'UNKNOWN';
    options.onState?.(state);
    if (state === 'SUCCEEDED') {
      const queryId = id;
      return {
        id: queryId,
        execution: execution as QueryExecution,
        scannedBytes: execution?.Statistics?.DataScannedInBytes ?? 0,
        pages: () => resultPages(client, queryId, options),
      };
    }
    if (state === 'FAILED') {
      const reason = execution?.Status?.AthenaError?.ErrorMessage ?? execution?.Status?.StateChangeReason ?? 'no reason given';
      const category = execution?.Status?.AthenaError?.ErrorCategory;
      throw new TrailkitError('athena', `Athena query ${id} failed: ${reason}`, { hint: category === 2 || /SYNTAX|COLUMN_NOT_FOUND|TABLE_NOT_FOUND/i.test(reason) ? 'check the SQL, the table and --database (--show-sql prints what ran)' : 'see the query in the Athena console by its id' });
    }
    if (state === 'CANCELLED') {
      throw new TrailkitError('athena', `Athena query ${id} was cancelled${stopped ? ' (interrupted)' : ''}${execution?.Status?.StateChangeReason === undefined ? '' : `: ${execution.Status.StateChangeReason}`}`, { exitCode: stopped ? 130 : 2 });
    }
    await sleep(delay);
    delay = Math.min(maxDelay, Math.ceil(delay * 1.5));
  }
}

/** The result rows page by page; the first row of the first page is the header of a SELECT. */
async function* resultPages(client: AthenaClient, id: string, options: AthenaRunOptions): AsyncGenerator<AthenaResultPage> {
  let token: string | undefined;
  let first = true;
  let columns: string[] = [];
  const sleep = options.sleep ?? sleeper(options.signal);
  let delay = options.firstPollMs ?? 250;
  for (;;) {
    let page;
    try {
      page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token === undefined ? {} : { NextToken: token }) }));
    } catch (error) {
      if (THROTTLED.has(awsErrorCode(error) ?? '')) {
        delay = Math.min(options.maxPollMs ?? 5000, delay * 2);
        await sleep(delay);
        continue;
      }
      throw athenaError(error, 'athena:GetQueryResults');
    }
    if (first) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? c.Label ?? '');
    let rows = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
    // A SELECT's first row repeats the column names.
    if (first && rows.length > 0 && columns.length > 0 && rows[0]?.every((v, i) => v === columns[i])) rows = rows.slice(1);
    first = false;
    yield { columns, rows };
    token = page.NextToken;
    if (token === undefined) return;
  }
}

/** Athena's price: per TB scanned, each query rounded up to the megabyte with a 10 MB minimum. */
export function estimatedCost(scannedBytes: number, pricePerTb: number): number {
  const mb = Math.max(10, Math.ceil(scannedBytes / 1024 ** 2));
  return (mb / 1024 ** 2) * pricePerTb;
}
