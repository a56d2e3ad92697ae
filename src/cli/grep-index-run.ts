/**
 * `grep --index DIR` and `tail --index DIR`: grep's filters compiled to SQL over the Parquet index
 * (core/query-model.ts), then every candidate checked with grep's own matcher, so the events, their
 * order and their bytes are those `grep` prints on the files the index was built from.
 */
import { EXIT_NEGATIVE, EXIT_OK, usageError } from '../core/errors.js';
import { SOURCE_ORDER } from '../core/index-sql.js';
import { compileFilterSql } from '../core/query-model.js';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import type { CloudTrailRecord } from '../core/record.js';
import { parseEventTime } from '../core/time-spec.js';
import { compareKeys } from '../core/trail-window.js';
import type { WireMatch } from '../sources/file-search.js';
import { openIndex, streamQuery } from '../sources/index-query.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';

const TARGET = { dialect: 'duckdb', table: 'index', from: 'events', partitions: { kind: 'index' } } as const;

interface Candidate {
  readonly raw: string;
  readonly source: string;
  readonly index: number;
  readonly time: number | undefined;
}

function whereOf(spec: FilterSpec, verifiedOnly: boolean): string {
  const where = compileFilterSql(spec, TARGET, { superset: true }).sql;
  return verifiedOnly ? `(${where}) AND verdict = 'valid'` : where;
}

/** Streams the candidates of `sql` that grep's matcher accepts. */
async function* confirmed(session: Parameters<typeof streamQuery>[0], sql: string, spec: FilterSpec, debug: (m: string) => void): AsyncGenerator<Candidate> {
  const filter = compileFilter(spec);
  debug(`SQL: ${sql.replace(/\s+/g, ' ')}`);
  const result = await streamQuery(session, sql);
  let candidates = 0;
  let kept = 0;
  for await (const rows of result.chunks()) {
    for (const row of rows) {
      candidates++;
      const raw = row[0] as string;
      let record: CloudTrailRecord | undefined;
      if (!filter.isEmpty) {
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
  debug(`${candidates} candidates from the index, ${kept} matched`);
}

function toWire(c: Candidate): WireMatch {
  return { index: c.index, raw: c.raw, time: c.time };
}

/** --index reads the index only: no PATH, bucket or log group with it. */
export function checkIndexFlags(paths: readonly string[], flags: { bucket?: string; logGroup?: string | boolean; trail?: string; lookup?: boolean }, command: string): void {
  if (paths.length > 0) throw usageError(`${command} --index reads the index, not files (got ${paths.join(' ')})`, 'drop the paths, or --index');
  if (flags.bucket !== undefined || flags.logGroup !== undefined || flags.trail !== undefined || flags.lookup === true) throw usageError(`${command} --index cannot be used with --trail, --bucket, --log-group or --lookup`, 'run it once for each');
}

export interface IndexSearchFlags {
  index?: string;
  count?: boolean;
  limit?: number;
  verified?: boolean;
}

export async function grepIndex(ctx: CliContext, spec: FilterSpec, flags: IndexSearchFlags, printer: EventPrinter): Promise<number> {
  const table = await openIndex(flags.index as string);
  let matched = 0;
  try {
    const sql = `SELECT raw, source, record_index, event_ms FROM events WHERE ${whereOf(spec, flags.verified === true)} ORDER BY ${SOURCE_ORDER}`;
    let batch: WireMatch[] = [];
    for await (const c of confirmed(table.session, sql, spec, (m) => ctx.debug(m))) {
      matched++;
      if (flags.count !== true) {
        batch.push(toWire(c));
        if (batch.length >= 1000) {
          await printer.print(batch);
          batch = [];
        }
      }
      if (flags.limit !== undefined && matched >= flags.limit) break;
    }
    await printer.print(batch);
  } finally {
    await table.close();
  }
  await printer.finish();
  if (flags.count === true) await ctx.write(`${matched}\n`);
  return matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

/** grep's file order (a walk: path segment by segment), then position in the file. */
function inputOrder(a: Candidate, b: Candidate): number {
  return compareKeys(a.source, b.source) || a.index - b.index;
}

export async function tailIndex(ctx: CliContext, spec: FilterSpec, flags: IndexSearchFlags & { lines: number; follow?: boolean }, printer: EventPrinter): Promise<number> {
  if (flags.follow === true) throw usageError('tail -f follows files, a bucket or a log group; an index does not grow by itself', 'run trailkit index again to add new files, or tail -f the folder');
  const n = flags.lines;
  const table = await openIndex(flags.index as string);
  let kept: Candidate[] = [];
  try {
    if (n > 0) {
      const where = whereOf(spec, flags.verified === true);
      // Records whose time DuckDB did not read (not CloudTrail's canonical form): grep's parser decides.
      const untimed: Candidate[] = [];
      for await (const c of confirmed(table.session, `SELECT raw, source, record_index, event_ms FROM events WHERE (${where}) AND event_ms IS NULL`, spec, (m) => ctx.debug(m))) untimed.push(c);
      const newestFirst: Candidate[] = [];
      const sql = `SELECT raw, source, record_index, event_ms FROM events WHERE (${where}) AND event_ms IS NOT NULL ORDER BY event_ms DESC, replace(source, '/', chr(1)) DESC, record_index DESC`;
      for await (const c of confirmed(table.session, sql, spec, (m) => ctx.debug(m))) {
        newestFirst.push(c);
        // Once N are found, only records of the same time as the Nth can still be among the newest.
        if (newestFirst.length > n && (newestFirst[newestFirst.length - 1] as Candidate).time !== (newestFirst[n - 1] as Candidate).time) break;
      }
      // tail's rule (file-search.ts `newest`): by time, equal times in input order; untimed first.
      const all = [...newestFirst, ...untimed].sort((a, b) => ((a.time ?? -Infinity) - (b.time ?? -Infinity)) || inputOrder(a, b));
      kept = all.slice(Math.max(0, all.length - n));
    }
  } finally {
    await table.close();
  }
  await printer.print(kept.map(toWire));
  await printer.finish();
  return kept.length > 0 ? EXIT_OK : EXIT_NEGATIVE;
}
