/**
 * grep and tail over a Parquet index: grep's filters compiled to SQL (core/query-model.ts), then
 * every candidate the SQL cannot decide as grep would checked with grep's own matcher, so the
 * events, their order and their bytes are those grep gives on the files the index was built from. Results come as grep's batches, one per
 * source file (a source with many matches in several).
 */
import { verdictCounts, verifiedWarning, type IndexState } from '../core/index-manifest.js';
import { SOURCE_ORDER } from '../core/index-sql.js';
import { compileFilterSql } from '../core/query-model.js';
import { literal } from '../core/sql-text.js';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import type { CloudTrailRecord } from '../core/record.js';
import { parseEventTime } from '../core/time-spec.js';
import { compareKeys } from '../core/trail-window.js';
import type { DuckSession } from './duckdb.js';
import type { FileSearchResult, WireMatch } from './file-search.js';
import { openIndex, streamQuery } from './index-query.js';

const TARGET = { dialect: 'duckdb', table: 'index', from: 'events', partitions: { kind: 'index' } } as const;
/** Matches per batch at most: a source with more comes in several batches. */
const BATCH_MATCHES = 1000;

interface Candidate {
  readonly raw: string;
  readonly source: string;
  readonly index: number;
  readonly time: number | undefined;
}

export interface IndexSearchOptions {
  /** Only events of files whose integrity verdict is valid (index --validate). */
  readonly verified?: boolean;
  readonly signal?: AbortSignal;
  readonly debug?: (message: string) => void;
  /** With `verified`: what it leaves out (verifiedWarning), when it leaves anything out. */
  readonly warn?: (message: string) => void;
}

/** Warns, with `verified`, of the files whose events it leaves out. */
function warnVerified(state: IndexState, options: IndexSearchOptions): void {
  if (options.verified !== true) return;
  const warning = verifiedWarning(verdictCounts(state));
  if (warning !== undefined) options.warn?.(warning);
}

/**
 * The record keys grep's matcher reads for the filters whose SQL on the index can be exact (every
 * one a string: `stringField`). Filters not named here are always matched again by grep's matcher.
 */
const EXACT_FILTER_KEYS: Partial<Record<keyof FilterSpec, string>> = {
  eventNames: 'eventName',
  eventSources: 'eventSource',
  regions: 'awsRegion',
  sourceIps: 'sourceIPAddress',
  errorCodes: 'errorCode',
  errorsOnly: 'errorCode',
  eventIds: 'eventID',
  since: 'eventTime',
  until: 'eventTime',
};

/**
 * When a candidate the filter's SQL matched needs no second look: every filter given compiles
 * exactly (core/query-model.ts), and on this record the columns it read are what JSON.parse reads.
 * They are not when a key's value is not a string (DuckDB reads the number 5 as '5', grep's
 * `stringField` not at all), when a key is there twice (DuckDB takes the first value, JSON.parse
 * the last) or may be, written with a `\u` escape; and the window lets through records whose
 * eventTime has another form than CloudTrail's (no event_ms), for grep's parser. SQL text, or
 * undefined when every candidate is matched again.
 */
function exactCandidateSql(spec: FilterSpec, inexact: readonly string[], unsupported: readonly string[]): string | undefined {
  if (unsupported.length > 0 || inexact.some((name) => name !== '--since/--until')) return undefined;
  const keys = new Set<string>();
  for (const [field, value] of Object.entries(spec) as [keyof FilterSpec, unknown][]) {
    if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) continue;
    const key = EXACT_FILTER_KEYS[field];
    if (key === undefined) return undefined;
    keys.add(key);
  }
  if (keys.size === 0) return undefined;
  const sorted = [...keys].sort();
  const conditions = [
    `json_type(raw, [${sorted.map((k) => literal(`$.${k}`)).join(', ')}]) = [${sorted.map(() => `'VARCHAR'`).join(', ')}]`,
    ...sorted.map((k) => `length(raw) - length(replace(raw, ${literal(`"${k}":`)}, '')) = ${k.length + 3}`),
    `strpos(raw, '\\u') = 0`,
  ];
  if (keys.has('eventTime')) conditions.push('event_ms IS NOT NULL');
  return `(${conditions.join(' AND ')})`;
}

/**
 * The candidates of grep's filters, as a subquery `c` (raw, source, record_index, event_ms,
 * checked): the rows the filter's SQL matches, and the rows DuckDB could not read into columns
 * (always candidates), asked apart so the filter prunes row groups. `checked`: the SQL already
 * decided the row as grep's matcher would (exactCandidateSql); such a row is not parsed again.
 */
function candidatesOf(spec: FilterSpec, verifiedOnly: boolean): string {
  const compiled = compileFilterSql(spec, TARGET, { superset: true });
  const exact = exactCandidateSql(spec, compiled.inexact, compiled.unsupported) ?? 'FALSE';
  const verified = verifiedOnly ? ` AND verdict = 'valid'` : '';
  const columns = (checked: string) => `SELECT raw, source, record_index, event_ms, ${checked} AS checked FROM events WHERE`;
  if (compiled.filter === undefined || compiled.unread === undefined) return `(${columns('FALSE')} (${compiled.sql})${verified}) c`;
  return `(${columns(exact)} (${compiled.filter})${verified} UNION ALL ${columns('FALSE')} (${compiled.unread}) AND (${compiled.filter}) IS NOT TRUE${verified}) c`;
}

/** The columns `confirmed` reads from the candidates, in its order. */
const CANDIDATE_COLUMNS = 'raw, source, record_index, event_ms, checked';

/** Streams the candidates of `sql` (CANDIDATE_COLUMNS) that grep's matcher accepts. */
async function* confirmed(session: DuckSession, sql: string, spec: FilterSpec, options: IndexSearchOptions): AsyncGenerator<Candidate> {
  const filter = compileFilter(spec);
  options.debug?.(`SQL: ${sql.replace(/\s+/g, ' ')}`);
  const result = await streamQuery(session, sql);
  let candidates = 0;
  let kept = 0;
  let matched = 0;
  for await (const rows of result.chunks()) {
    if (options.signal?.aborted === true) break;
    for (const row of rows) {
      candidates++;
      const raw = row[0] as string;
      let record: CloudTrailRecord | undefined;
      if (!filter.isEmpty && row[4] !== true) {
        matched++;
        try {
          record = JSON.parse(raw) as CloudTrailRecord;
        } catch {
          continue;
        }
        if (!filter.test(record, raw)) continue;
      }
      kept++;
      const ms = row[3];
      yield { raw, source: row[1] as string, index: Number(row[2]), time: ms === null || ms === undefined ? parseEventTime((record ?? (JSON.parse(raw) as CloudTrailRecord))['eventTime']) : Number(ms) };
    }
  }
  options.debug?.(`${candidates} candidates from the index, ${matched} of them matched again by grep's matcher, ${kept} kept`);
}

function toWire(c: Candidate): WireMatch {
  return { index: c.index, raw: c.raw, time: c.time };
}

function batchOf(path: string, matches: WireMatch[], more: boolean): FileSearchResult {
  return { path, matches, matched: matches.length, records: 0, parsed: 0, notCloudTrail: 0, problems: [], ...(more ? { more: true as const } : {}) };
}

/**
 * grep over the index: the matching events in grep's order (its walk of the files, then the
 * place in the file), a batch per source file. `push` returns false to stop.
 */
export async function searchIndex(dir: string, spec: FilterSpec, push: (batch: FileSearchResult) => Promise<boolean>, options: IndexSearchOptions = {}): Promise<void> {
  const table = await openIndex(dir);
  try {
    warnVerified(table.state, options);
    const sql = `SELECT ${CANDIDATE_COLUMNS} FROM ${candidatesOf(spec, options.verified === true)} ORDER BY ${SOURCE_ORDER}`;
    let path: string | undefined;
    let matches: WireMatch[] = [];
    for await (const c of confirmed(table.session, sql, spec, options)) {
      if (path !== undefined && c.source !== path) {
        if (!(await push(batchOf(path, matches, false)))) return;
        matches = [];
      } else if (matches.length >= BATCH_MATCHES) {
        if (!(await push(batchOf(c.source, matches, true)))) return;
        matches = [];
      }
      path = c.source;
      matches.push(toWire(c));
    }
    if (path !== undefined && !(options.signal?.aborted === true)) await push(batchOf(path, matches, false));
  } finally {
    await table.close();
  }
}

/** grep's file order (a walk: path segment by segment), then position in the file. */
function inputOrder(a: Candidate, b: Candidate): number {
  return compareKeys(a.source, b.source) || a.index - b.index;
}

/** tail over the index: the newest `lines` matching events, by tail's rule (by time, equal times in input order). */
export async function newestInIndex(dir: string, spec: FilterSpec, lines: number, options: IndexSearchOptions = {}): Promise<WireMatch[]> {
  const table = await openIndex(dir);
  try {
    warnVerified(table.state, options);
    if (lines <= 0) return [];
    const candidates = candidatesOf(spec, options.verified === true);
    // Records whose time DuckDB did not read (not CloudTrail's canonical form): grep's parser decides.
    const untimed: Candidate[] = [];
    for await (const c of confirmed(table.session, `SELECT ${CANDIDATE_COLUMNS} FROM ${candidates} WHERE event_ms IS NULL`, spec, options)) untimed.push(c);
    const newestFirst: Candidate[] = [];
    const sql = `SELECT ${CANDIDATE_COLUMNS} FROM ${candidates} WHERE event_ms IS NOT NULL ORDER BY event_ms DESC, replace(source, '/', chr(1)) DESC, record_index DESC`;
    for await (const c of confirmed(table.session, sql, spec, options)) {
      newestFirst.push(c);
      // Once N are found, only records of the same time as the Nth can still be among the newest.
      if (newestFirst.length > lines && (newestFirst[newestFirst.length - 1] as Candidate).time !== (newestFirst[lines - 1] as Candidate).time) break;
    }
    // tail's rule (file-search.ts `newest`): by time, equal times in input order; untimed first.
    const all = [...newestFirst, ...untimed].sort((a, b) => ((a.time ?? -Infinity) - (b.time ?? -Infinity)) || inputOrder(a, b));
    return all.slice(Math.max(0, all.length - lines)).map(toWire);
  } finally {
    await table.close();
  }
}
