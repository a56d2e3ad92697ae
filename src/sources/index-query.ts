/**
 * Opens the `events` table over an index folder, or over log files read directly (then they are
 * indexed into a temporary folder first, so the table has the same schema either way), and runs
 * SQL on it with results streamed in chunks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrailkitError } from '../core/errors.js';
import { emptyStoredTableSql, eventsViewSql, partsReader } from '../core/index-sql.js';
import type { IndexState } from '../core/index-manifest.js';
import { duckMessage, loadDuckApi, openDuck, type DuckSession } from './duckdb.js';
import { IndexBuilder, type BuildOptions, type BuildResult, type SourceOutcome } from './index-builder.js';
import { LocalIndex } from './index-store.js';
import { localSources } from './index-sources.js';
import type { InputFile } from './local-files.js';

export { notCloudTrailWarning } from './index-builder.js';

export interface EventsTable {
  readonly session: DuckSession;
  readonly state: IndexState;
  close(): Promise<void>;
}

/** DuckDB over an index: `events` (every column of AWS's DDL, plus trailkit's) and `events_stored`. */
export async function openIndex(root: string, options: { threads?: number } = {}): Promise<EventsTable> {
  const index = new LocalIndex(root);
  const state = await index.load();
  // DuckDB spills a query that outgrows memory to files under temp_directory, '.tmp' in the
  // working folder by default: they go to the system's temporary folder instead (DuckDB makes the
  // folder when it first spills and removes it when the session closes).
  const tempDirectory = join(tmpdir(), `trailkit-duckdb-${process.pid}-${randomBytes(4).toString('hex')}`);
  const session = await openDuck({ tempDirectory, ...(options.threads === undefined ? {} : { threads: options.threads }) });
  try {
    const parts = index.partPaths(state);
    if (parts.length === 0) await session.connection.run(emptyStoredTableSql('events_stored'));
    else await session.connection.run(`CREATE OR REPLACE VIEW events_stored AS SELECT * FROM ${partsReader(parts)}`);
    await session.connection.run(eventsViewSql('events_stored', true));
  } catch (error) {
    session.close();
    throw new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
  }
  return { session, state, close: async () => session.close() };
}

/**
 * The files themselves, without an index: they are indexed into a temporary folder that is
 * removed when the table is closed.
 */
export async function openFiles(files: readonly InputFile[], options: BuildOptions & { onOutcome?: (o: SourceOutcome) => void }): Promise<EventsTable & { build: BuildResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'trailkit-query-'));
  try {
    const builder = new IndexBuilder(new LocalIndex(dir, 0), options);
    await builder.open();
    let build: BuildResult;
    try {
      await builder.addAll(localSources(files, { hash: false }));
    } finally {
      build = await builder.finish();
    }
    const table = await openIndex(dir, options.threads === undefined ? {} : { threads: options.threads });
    return { ...table, build, close: async () => { await table.close(); await rm(dir, { recursive: true, force: true }); } };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface StreamedResult {
  readonly columns: string[];
  /** False for a statement DuckDB says returns nothing (CREATE, SET...): its one column is a placeholder. */
  readonly returnsRows: boolean;
  /**
   * The rows, in DuckDB's chunks. With `only`, the other columns are null: turning DuckDB's
   * strings into JavaScript ones is most of the cost of a large result (the json output of a
   * question prints only each record's `raw`).
   */
  chunks(only?: ReadonlySet<number>): AsyncIterable<unknown[][]>;
}

/** Runs one statement; rows come in DuckDB's chunks (about 2,048 at a time). */
export async function streamQuery(session: DuckSession, sql: string): Promise<StreamedResult> {
  let result;
  try {
    result = await session.connection.stream(sql);
  } catch (error) {
    throw new TrailkitError('query', `SQL: ${duckMessage(error)}`);
  }
  const columns = result.columnNames();
  const { JSDuckDBValueConverter: js, ResultReturnType } = loadDuckApi();
  return {
    columns,
    returnsRows: result.returnType !== ResultReturnType.NOTHING,
    async *chunks(only?: ReadonlySet<number>) {
      try {
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) return;
          if (only === undefined) {
            yield chunk.convertRows(js) as unknown[][];
            continue;
          }
          const values = columns.map((_, i) => (only.has(i) ? chunk.convertColumnValues(i, js) : undefined));
          const rows: unknown[][] = [];
          for (let r = 0; r < chunk.rowCount; r++) rows.push(values.map((v) => (v === undefined ? null : v[r])));
          yield rows;
        }
      } catch (error) {
        throw new TrailkitError('query', `SQL: ${duckMessage(error)}`);
      }
    },
  };
}
