/**
 * A batch's COPY when DuckDB may run out of memory: a batch of wide rows goes to one thread from
 * the start; any other that runs out has its partial output (its own files, not those of the
 * batch's other segments) removed and runs again on one thread,
 * the thread count put back after; running out on one thread is an error naming the limit and
 * --memory-limit. DuckDB's connection is replaced by a recorder, since whether two threads run out
 * depends on how rows fall between them.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrailkitError } from '../../src/core/errors.js';
import { IndexBuilder } from '../../src/sources/index-builder.js';
import { LocalIndex } from '../../src/sources/index-store.js';

const OOM = new Error('Out of Memory Error: failed to pin block of size 256.0 KiB (243.9 MiB/244.1 MiB used)\n\nPossible solutions: ...');

/** An IndexBuilder whose DuckDB connection answers from `answers` in turn (an Error is thrown), recording each SQL. */
function builderWith(answers: (Error | undefined)[], options: ConstructorParameters<typeof IndexBuilder>[1] = {}) {
  const sql: string[] = [];
  const builder = new IndexBuilder(new LocalIndex(join(tmpdir(), 'unused')), options);
  const connection = {
    run: async (text: string) => {
      sql.push(text);
      const answer = text.startsWith('COPY') ? answers.shift() : undefined;
      if (answer !== undefined) throw answer;
    },
  };
  Object.assign(builder as unknown as { duck: unknown }, { duck: { connection } });
  const ingest = (builder as unknown as { ingest: (sql: string, staging: string, filePrefix: string, rows: number, bytes: number) => Promise<void> }).ingest.bind(builder);
  return { sql, ingest };
}

describe('a batch that runs DuckDB out of memory', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function staging(): string {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-ingest-'));
    const folder = join(dir, 'batch');
    mkdirSync(join(folder, 'account=1', 'region=r', 'date=d'), { recursive: true });
    writeFileSync(join(folder, 'account=1', 'region=r', 'date=d', 'b_0.parquet'), 'half-written');
    // What the batch's earlier segment wrote (file prefix `a`), and a segment whose prefix extends this one's.
    writeFileSync(join(folder, 'account=1', 'region=r', 'date=d', 'a_0.parquet'), 'committed segment');
    writeFileSync(join(folder, 'account=1', 'region=r', 'date=d', 'b-1_0.parquet'), 'another segment');
    return folder;
  }

  it('runs the COPY once when it fits', async () => {
    const { sql, ingest } = builderWith([undefined]);
    const folder = staging();
    await ingest('COPY x', folder, 'b', 10, 10 * 1400);
    expect(sql).toEqual(['COPY x']);
    expect(existsSync(join(folder, 'account=1'))).toBe(true);
  });

  it('removes the half-written output and runs the COPY again on one thread, then puts the threads back', async () => {
    const retries: string[] = [];
    const { sql, ingest } = builderWith([OOM, undefined], { onRetry: (m) => retries.push(m) });
    const folder = staging();
    await ingest('COPY x', folder, 'b', 10, 10 * 1400);
    expect(sql).toEqual(['COPY x', 'SET threads = 1', 'COPY x', 'RESET threads']);
    // Only this COPY's half-written file is gone; the batch's other segments are kept.
    const files = join(folder, 'account=1', 'region=r', 'date=d');
    expect(existsSync(join(files, 'b_0.parquet'))).toBe(false);
    expect(readdirSync(files).sort()).toEqual(['a_0.parquet', 'b-1_0.parquet']);
    expect(retries).toEqual(['a batch of 10 events ran DuckDB out of its 256MB memory limit; writing it again on one thread']);
  });

  it('writes a batch of wide rows (long requestParameters) on one thread from the start', async () => {
    const retries: string[] = [];
    const { sql, ingest } = builderWith([undefined], { onRetry: (m) => retries.push(m) });
    const folder = staging();
    await ingest('COPY x', folder, 'b', 10, 10 * 2400);
    expect(sql).toEqual(['SET threads = 1', 'COPY x', 'RESET threads']);
    expect(retries).toEqual([]);
    // Nothing was half-written by an attempt before: the folder is as it was.
    expect(existsSync(join(folder, 'account=1'))).toBe(true);
  });

  it('puts back the thread count the builder was given', async () => {
    const { sql, ingest } = builderWith([OOM, undefined], { threads: 3 });
    await ingest('COPY x', staging(), 'b', 10, 10 * 1400);
    expect(sql.at(-1)).toBe('SET threads = 3');
  });

  it('a second "Out of Memory" is an error naming the limit and --memory-limit', async () => {
    const { sql, ingest } = builderWith([OOM, OOM], { memoryLimit: '200MB' });
    const error = await ingest('COPY x', staging(), 'b', 1234, 1234 * 1400).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).message).toBe('DuckDB ran out of its 200MB memory limit writing a batch of 1234 events, even on one thread');
    expect((error as TrailkitError).hint).toMatch(/^raise --memory-limit/);
    expect(sql).toEqual(['COPY x', 'SET threads = 1', 'COPY x', 'RESET threads']);
  });

  it('any other DuckDB error is not retried', async () => {
    const { sql, ingest } = builderWith([new Error('IO Error: No space left on device')]);
    const error = await ingest('COPY x', staging(), 'b', 10, 10 * 1400).catch((e: unknown) => e);
    expect((error as TrailkitError).message).toBe('DuckDB: IO Error: No space left on device');
    expect(sql).toEqual(['COPY x']);
  });
});
