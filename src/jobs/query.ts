/**
 * Questions to a Parquet index (or to log files read directly) as a job: one DuckDB session opened
 * once, then any number of SQL statements and named questions, each result streamed in chunks.
 * DuckDB is loaded by openEventIndex, not by importing this module.
 */
import { usageError, TrailkitError } from '../core/errors.js';
import { ACCESS_KEY_ID, MAX_CHAIN_DEPTH, questionSql, type Question, type QuestionQuery, type Scope } from '../core/query-model.js';
import { verdictCounts, type VerdictCounts } from '../core/index-manifest.js';
import type { EventsTable } from '../sources/index-query.js';
import { abortError, jobContext, throwIfAborted, type JobOptions } from './job-options.js';

/** An index folder (built by buildIndex), or log files and folders read without one. */
export type EventIndexLocation = string | { readonly dir: string } | { readonly files: readonly string[] };

export interface EventIndexOptions extends JobOptions {
  /** Threads DuckDB may use (default: the machine's cores, at most 4). */
  readonly threads?: number;
  /** With `files`: a path or a file that could not be read, or a part of one (default: onWarning). */
  readonly onProblem?: (source: string, message: string) => void;
}

/** A named investigation (see `trailkit query --help`). */
export type IndexQuestion =
  /** Every event made with the key, and the calls whose response issued it. */
  | { readonly kind: 'access-key'; readonly accessKeyId: string }
  /**
   * A principal's or role session's events, following AssumeRole chains both ways, `depth` hops
   * each way (default 4, at most 32); the `chain` result's `more` marks ends with hops past it.
   */
  | { readonly kind: 'timeline'; readonly principal: string; readonly depth?: number }
  /** Every event touching a resource (in resources[], or named in the request or response). */
  | { readonly kind: 'resource'; readonly arn: string }
  /** Top principals, actions, errors, source IPs and regions; first seen in the window (with `since`). */
  | { readonly kind: 'summary'; readonly top?: number; readonly baselineMs?: number };

export interface QuestionRequest {
  readonly question: IndexQuestion;
  /** The window (epoch ms) and the accounts and regions asked about: the partitions are pruned. */
  readonly since?: number;
  readonly until?: number;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  /** Only events of files whose integrity verdict is valid (buildIndex with `validate`). */
  readonly verified?: boolean;
}

/** One result set: its columns now, its rows as they are read. */
export interface QueryResult {
  /** `result` for SQL; for a question, a stable name (`events`, `chain`, `top-principals`, ...). */
  readonly name: string;
  readonly title: string;
  readonly sql: string;
  /** The rows are events (one per record, with its `raw` text). */
  readonly events: boolean;
  readonly columns: readonly string[];
  /**
   * False for a statement that returns nothing (CREATE, SET, PRAGMA that sets...): DuckDB still
   * names a placeholder column (`Count`, `Success`), which is not a result to print.
   */
  readonly returnsRows: boolean;
  /**
   * The rows in DuckDB's chunks (about 2,048 rows each), as arrays in `columns` order. With
   * `only`, the other columns are null (reading DuckDB's strings out is most of a large result's
   * cost). Read a result before running the next statement on the same index.
   */
  chunks(options?: { readonly only?: readonly string[] }): AsyncIterable<unknown[][]>;
}

export interface RunOptions {
  /** At most this many rows (statements that return rows). */
  readonly limit?: number;
  /** Stops this statement (DuckDB is interrupted); the index stays open. */
  readonly signal?: AbortSignal;
}

export interface EventIndex {
  /** Source files in the index. */
  readonly sources: number;
  /** How many source files hold each integrity verdict (`none`: indexed without validate); `verified` keeps the `valid` ones. */
  readonly verdicts: VerdictCounts;
  /** Runs one SQL statement on the table `events`. */
  query(sql: string, options?: RunOptions): Promise<QueryResult>;
  /** Runs a named question: its result sets one after another (each runs when the previous is read). */
  ask(request: QuestionRequest, options?: RunOptions): AsyncGenerator<QueryResult>;
  /** Closes DuckDB (and removes the temporary index of `files`). */
  close(): Promise<void>;
}

const INDEX_TARGET = { dialect: 'duckdb', table: 'index', from: 'events', partitions: { kind: 'index' } } as const;
const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

function coreQuestion(question: IndexQuestion): Question {
  switch (question.kind) {
    case 'access-key':
      if (!ACCESS_KEY_ID.test(question.accessKeyId)) throw usageError(`'${question.accessKeyId}' is not an AWS access key id`, 'they look like AKIA... (long-term) or ASIA... (temporary), 16 to 128 capital letters and digits');
      return question;
    case 'timeline':
      if (question.principal.trim() === '' || question.principal.length > 2048) throw usageError('a timeline needs a principal: an ARN, a user or role name, or a role session ARN');
      if (question.depth !== undefined && !(Number.isInteger(question.depth) && question.depth >= 1 && question.depth <= MAX_CHAIN_DEPTH)) {
        throw usageError(`timeline depth ${question.depth} is not a whole number of hops from 1 to ${MAX_CHAIN_DEPTH}`);
      }
      return question;
    case 'resource':
      if (question.arn.trim() === '' || question.arn.length > 2048) throw usageError('a resource question needs an ARN (or a resource name)');
      return question;
    case 'summary': {
      const top = question.top ?? 10;
      const baselineMs = question.baselineMs ?? 30 * 86_400_000;
      if (!Number.isInteger(top) || top < 1) throw usageError(`summary top ${top} is not a whole number of rows`);
      if (!(baselineMs >= 0)) throw usageError('the summary baseline is not a duration');
      return { kind: 'summary', top, baselineMs };
    }
    default:
      throw usageError(`'${(question as { kind: string }).kind}' is not a question`, 'ask access-key, timeline, resource or summary');
  }
}

/** The statements a question runs on an index, in order (what `query --show-sql` prints). */
export function questionQueries(request: QuestionRequest): QuestionQuery[] {
  for (const account of request.accounts ?? []) if (!ACCOUNT_ID.test(account)) throw usageError(`account '${account}' is not an AWS account id`, 'an account id is 12 digits');
  for (const region of request.regions ?? []) if (!REGION_NAME.test(region)) throw usageError(`region '${region}' is not a region name`, 'e.g. us-east-1');
  if (request.since !== undefined && request.until !== undefined && request.since > request.until) throw usageError('the window starts after it ends', 'swap since and until');
  const scope: Scope = {
    ...(request.since === undefined ? {} : { since: request.since }),
    ...(request.until === undefined ? {} : { until: request.until }),
    ...(request.accounts === undefined || request.accounts.length === 0 ? {} : { accounts: [...request.accounts] }),
    ...(request.regions === undefined || request.regions.length === 0 ? {} : { regions: [...request.regions] }),
  };
  // verified: the questions read only the events of files whose integrity verdict is valid.
  const target = request.verified === true ? { ...INDEX_TARGET, from: "(SELECT * FROM events WHERE verdict = 'valid')" } : INDEX_TARGET;
  return questionSql(coreQuestion(request.question), scope, target);
}

/** The first keyword of a statement, past comments and parentheses. */
function leadingKeyword(sql: string): string {
  const stripped = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/|\()+/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

/** Statements a LIMIT can wrap: the ones that read rows. */
const ROW_STATEMENTS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE']);

/** Opens the index (or reads the files into a temporary one) with DuckDB. */
export async function openEventIndex(location: EventIndexLocation, options: EventIndexOptions = {}): Promise<EventIndex> {
  const job = jobContext(options);
  throwIfAborted(job.signal);
  const { openIndex, openFiles, streamQuery, notCloudTrailWarning } = await import('../sources/index-query.js');
  let table: EventsTable;
  const threads = options.threads === undefined ? {} : { threads: options.threads };
  if (typeof location === 'string' || 'dir' in location) {
    table = await openIndex(typeof location === 'string' ? location : location.dir, threads);
  } else {
    const problem = options.onProblem ?? ((source: string, message: string) => job.warn(`${source}: ${message}`));
    const { expandInputs } = await import('../sources/local-files.js');
    const { files, problems } = await expandInputs(location.files);
    for (const p of problems) problem(p.path, p.message);
    if (files.length === 0) throw usageError('no log files to read');
    table = await openFiles(files, {
      ...threads,
      onOutcome: (o) => {
        if (o.error !== undefined) problem(o.id, o.error);
        for (const p of o.problems) problem(o.id, p);
        const notCloudTrail = notCloudTrailWarning(o);
        if (notCloudTrail !== undefined) job.warn(`${o.id}: ${notCloudTrail}`);
      },
    });
  }
  const session = table.session;
  // Each statement makes the previous result unreadable: its chunks refuse to go on.
  let generation = 0;
  let closed = false;
  // The abort listener of the statement before: it ends when the next one starts, read or not.
  let detachPrevious: (() => void) | undefined;

  const run = async (q: QuestionQuery, run: RunOptions = {}): Promise<QueryResult> => {
    if (closed) throw usageError('the index is closed');
    const signals = [job.signal, run.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    throwIfAborted(signal);
    const mine = ++generation;
    const sql = run.limit !== undefined && ROW_STATEMENTS.has(leadingKeyword(q.sql)) ? `SELECT * FROM (${q.sql}) LIMIT ${Math.max(0, Math.floor(run.limit))}` : q.sql;
    // An abort interrupts DuckDB's query, pending or streaming.
    const interrupt = () => session.connection.interrupt();
    detachPrevious?.();
    signal?.addEventListener('abort', interrupt, { once: true });
    detachPrevious = () => signal?.removeEventListener('abort', interrupt);
    const stopped = (error: unknown): unknown => (signal?.aborted === true ? abortError(signal) : error);
    let streamed;
    try {
      streamed = await streamQuery(session, sql);
    } catch (error) {
      signal?.removeEventListener('abort', interrupt);
      throw stopped(error);
    }
    const { columns } = streamed;
    const source = streamed;
    let taken = false;
    return {
      name: q.name,
      title: q.title,
      sql: q.sql,
      events: q.events,
      columns,
      returnsRows: streamed.returnsRows,
      async *chunks(read: { readonly only?: readonly string[] } = {}) {
        if (taken) throw usageError(`the rows of '${q.name}' were read already`, 'run the statement again');
        taken = true;
        const only = read.only === undefined ? undefined : new Set(read.only.map((c) => columns.indexOf(c)).filter((i) => i >= 0));
        // DuckDB gives a result that a later statement replaced as empty: refused, not read as no rows.
        const current = () => {
          if (mine !== generation) throw usageError(`the rows of '${q.name}' were not read before the next statement ran`, 'read each result before running the next on the same index');
        };
        try {
          current();
          for await (const chunk of source.chunks(only)) {
            current();
            throwIfAborted(signal);
            yield chunk;
          }
          throwIfAborted(signal);
        } catch (error) {
          throw error instanceof TrailkitError && error.code === 'aborted' ? error : stopped(error);
        } finally {
          signal?.removeEventListener('abort', interrupt);
        }
      },
    };
  };

  return {
    sources: table.state.sources.size,
    verdicts: verdictCounts(table.state),
    query: (sql, runOptions) => {
      if (sql.trim() === '') return Promise.reject(usageError('the SQL is empty'));
      return run({ name: 'result', title: 'result', sql, events: false }, runOptions);
    },
    async *ask(request, runOptions) {
      for (const q of questionQueries(request)) yield await run(q, runOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      await table.close();
    },
  };
}
