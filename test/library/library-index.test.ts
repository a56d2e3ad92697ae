import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateArchive } from '../../fixtures/generate.mjs';
import {
  buildIndex, openEventIndex, questionQueries, searchEvents, tailEvents, TrailkitError, type EventIndex, type IndexSourceOutcome, type QueryResult,
} from '../../src/index.js';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'trailkit-library-index-'));
const archive = join(scratch, 'archive');
const dir = join(scratch, 'index');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rowsOf(result: QueryResult): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const chunk of result.chunks()) rows.push(...chunk);
  return rows;
}

/** Every record of the archive, as the exact text between the delimiters of its file's Records array. */
function sourceRecords(): { count: number; files: string[] } {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json.gz')) files.push(full);
    }
  };
  walk(archive);
  let count = 0;
  for (const f of files) count += (JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as { Records: unknown[] }).Records.length;
  return { count, files };
}

let summary: Awaited<ReturnType<typeof buildIndex>>;
const outcomes: IndexSourceOutcome[] = [];
const notices: string[] = [];
let listed = 0;

beforeAll(async () => {
  generateArchive({ out: archive, seed: 1515, accounts: ['111111111111', '222222222222'], regions: ['us-east-1', 'eu-west-1'], start: '2026-11-20T00:00', hours: 3, filesPerHour: 3, eventsPerFile: '5-40' });
  summary = await buildIndex({ source: { kind: 'files', paths: [archive] }, to: dir }, {
    onSource: (o) => outcomes.push(o),
    onNotice: (m) => notices.push(m),
    onListed: () => listed++,
  });
}, 120_000);

describe('buildIndex', () => {
  it('indexes every record of the archive, reporting each file through onSource and nothing through print', () => {
    const { count, files } = sourceRecords();
    expect(summary.events).toBe(count);
    expect(summary.files).toBe(files.length);
    expect(summary.indexed).toBe(files.length);
    expect(summary.failed).toBe(0);
    expect(summary.problems).toBe(0);
    expect(outcomes).toHaveLength(files.length);
    expect(outcomes.reduce((n, o) => n + o.events, 0)).toBe(count);
    expect(listed).toBe(files.length);
    expect(notices.join('\n')).toMatch(/indexing every file of .* into /);
  });

  it('a second run adds nothing, and an aborted run throws an aborted TrailkitError and keeps the index', async () => {
    const again = await buildIndex({ source: { kind: 'files', paths: [archive] }, to: dir });
    expect(again.unchanged).toBe(summary.files);
    expect(again.indexed).toBe(0);
    const stop = new AbortController();
    stop.abort();
    await expect(buildIndex({ source: { kind: 'files', paths: [archive] }, to: join(scratch, 'aborted') }, { signal: stop.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('two builds at once in one process each index their own records, byte for byte', async () => {
    // Archives of many files: the two builds take turns at every file read.
    const [one, two] = [join(scratch, 'archive-1'), join(scratch, 'archive-2')];
    generateArchive({ out: one, seed: 1717, accounts: ['111111111111', '222222222222'], regions: ['us-east-1', 'eu-west-1'], start: '2026-11-20T00:00', hours: 6, filesPerHour: 6, eventsPerFile: '5-40' });
    generateArchive({ out: two, seed: 1616, accounts: ['333333333333'], regions: ['us-west-2', 'ap-south-1'], start: '2026-11-21T00:00', hours: 6, filesPerHour: 6, eventsPerFile: '5-40' });
    const [a, b] = [join(scratch, 'together-a'), join(scratch, 'together-b')];
    const built = await Promise.all([buildIndex({ source: { kind: 'files', paths: [one] }, to: a }), buildIndex({ source: { kind: 'files', paths: [two] }, to: b })]);
    expect(built.map((r) => r.failed)).toEqual([0, 0]);
    for (const [index, files] of [[a, one], [b, two]] as const) {
      const opened = await openEventIndex(index);
      try {
        const raws = (await rowsOf(await opened.query('SELECT raw FROM events ORDER BY replace(source, \'/\', chr(1)), record_index'))).map((r) => `${r[0] as string}\n`).join('');
        expect(raws).toBe(runCli(['grep', files, '--output', 'json']).stdout);
      } finally {
        await opened.close();
      }
    }
  }, 120_000);

  it('refuses a request without a destination or a source, with a TrailkitError', async () => {
    await expect(buildIndex({ source: { kind: 'files', paths: [] }, to: dir })).rejects.toBeInstanceOf(TrailkitError);
    await expect(buildIndex({ source: { kind: 'files', paths: [archive] }, to: '' })).rejects.toThrow(/needs `to`/);
    await expect(buildIndex({ source: { kind: 'bucket' }, to: dir })).rejects.toThrow(/a bucket or a trail/);
  });
});

describe('openEventIndex', () => {
  let index: EventIndex;
  beforeAll(async () => {
    index = await openEventIndex(dir);
  }, 60_000);
  afterAll(async () => index.close());

  it('runs SQL: the count, and raw byte-equal to the records of the source files', async () => {
    const { count, files } = sourceRecords();
    const [[n]] = (await rowsOf(await index.query('SELECT count(*) FROM events'))) as [[bigint]];
    expect(Number(n)).toBe(count);
    expect(index.sources).toBe(files.length);
    // The records of one file, in order, as the file holds them.
    const file = files[0] as string;
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    const result = await index.query(`SELECT raw FROM events WHERE source = '${file.replaceAll("'", "''")}' ORDER BY record_index`);
    expect(result.columns).toEqual(['raw']);
    const raws = (await rowsOf(result)).map((r) => r[0] as string);
    expect(raws.length).toBe((JSON.parse(text) as { Records: unknown[] }).Records.length);
    // CloudTrail writes {"Records":[r1,r2,...]}: the raw texts joined by commas are the array's inside.
    expect(`{"Records":[${raws.join(',')}]}`).toBe(text.trim());
  });

  it('asks several questions on the same open index: access key, timeline, resource, summary', async () => {
    const [[key]] = (await rowsOf(await index.query("SELECT useridentity.accesskeyid FROM events WHERE useridentity.accesskeyid LIKE 'AKIA%' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))) as [[string]];
    const results = await collect(index.ask({ question: { kind: 'access-key', accessKeyId: key } }));
    expect(results.map((r) => r.name)).toEqual(['events']);
    // A result is read before the next statement runs: once another ran, its rows are refused.
    await rowsOf(await index.query('SELECT 1'));
    await expect(rowsOf(results[0] as QueryResult)).rejects.toThrow(/not read before the next statement/);
    let used = 0;
    for await (const r of index.ask({ question: { kind: 'access-key', accessKeyId: key } })) {
      const at = r.columns.indexOf('relation');
      for (const row of await rowsOf(r)) if (row[at] === 'used') used++;
    }
    const [[expected]] = (await rowsOf(await index.query(`SELECT count(*) FROM events WHERE useridentity.accesskeyid = '${key}'`))) as [[bigint]];
    expect(used).toBe(Number(expected));
    expect(used).toBeGreaterThan(0);
    // The same through grep over the files.
    const grep = runCli(['grep', archive, '--pattern', `{ $.userIdentity.accessKeyId = "${key}" }`, '--count']);
    expect(grep.stdout.trim()).toBe(String(used));

    const [[arn, touching]] = (await rowsOf(await index.query('SELECT r.arn, count(DISTINCT eventid) FROM (SELECT eventid, unnest(resources) AS r FROM events) GROUP BY 1 ORDER BY 2 DESC LIMIT 1'))) as [[string, bigint]];
    let resourceEvents = 0;
    for await (const r of index.ask({ question: { kind: 'resource', arn } })) resourceEvents += (await rowsOf(r)).length;
    // Events naming it only in their request or response count too: at least those listing it in resources[].
    expect(resourceEvents).toBeGreaterThanOrEqual(Number(touching));
    expect(Number(touching)).toBeGreaterThan(0);

    const names: string[] = [];
    for await (const r of index.ask({ question: { kind: 'summary', top: 3 }, accounts: ['111111111111'] })) {
      names.push(r.name);
      const rows = await rowsOf(r);
      expect(rows.length).toBeLessThanOrEqual(3);
      if (r.name === 'regions') expect(rows.length).toBeGreaterThan(0);
      // Ties are ordered by every grouped column, so a LIMIT keeps the same rows on every run.
      const key = (row: unknown[]) => [-Number(row[row.length - 1]), ...row.slice(0, -1).map((v) => (v === null ? '' : String(v)))];
      const sorted = [...rows].sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number | string) < (kb[i] as number | string) ? -1 : 1;
        return 0;
      });
      expect(rows).toEqual(sorted);
    }
    expect(names).toEqual(['top-principals', 'top-actions', 'top-errors', 'top-source-ips', 'regions']);
    // A window: only events inside it.
    const since = Date.parse('2026-11-20T01:00:00Z');
    const until = Date.parse('2026-11-20T01:30:00Z');
    const [[principal]] = (await rowsOf(await index.query("SELECT useridentity.arn FROM events WHERE useridentity.type = 'IAMUser' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))) as [[string]];
    for await (const r of index.ask({ question: { kind: 'timeline', principal }, since, until })) {
      if (r.name !== 'events') continue;
      const at = r.columns.indexOf('raw');
      const rows = await rowsOf(r);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const t = Date.parse((JSON.parse(row[at] as string) as { eventTime: string }).eventTime);
        expect(t).toBeGreaterThanOrEqual(since);
        expect(t).toBeLessThanOrEqual(until);
      }
    }
  });

  it('only reads the columns asked for, and a limit bounds the rows', async () => {
    const result = await index.query('SELECT eventid, raw FROM events', { limit: 7 });
    const rows: unknown[][] = [];
    for await (const chunk of result.chunks({ only: ['eventid'] })) rows.push(...chunk);
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      expect(typeof row[0]).toBe('string');
      expect(row[1]).toBeNull();
    }
  });

  it('an AbortSignal stops a statement with an aborted error, and the index answers the next one', async () => {
    const stop = new AbortController();
    const result = await index.query('SELECT a.raw FROM events a, events b', { signal: stop.signal });
    let chunks = 0;
    await expect((async () => {
      for await (const _ of result.chunks()) {
        chunks++;
        if (chunks === 2) stop.abort();
      }
    })()).rejects.toMatchObject({ code: 'aborted' });
    expect(chunks).toBe(2);
    const [[n]] = (await rowsOf(await index.query('SELECT count(*) FROM events'))) as [[bigint]];
    expect(Number(n)).toBe(summary.events);
    const before = new AbortController();
    before.abort();
    await expect(index.query('SELECT 1', { signal: before.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('an SQL error is a TrailkitError naming the problem; a bad question is refused before DuckDB', async () => {
    await expect(index.query('SELECT nope FROM events')).rejects.toThrow(/nope/);
    expect(() => questionQueries({ question: { kind: 'access-key', accessKeyId: 'nope' } })).toThrow(/not an AWS access key id/);
    expect(() => questionQueries({ question: { kind: 'summary' }, accounts: ['12'] })).toThrow(/not an AWS account id/);
  });

  it('reads log files without an index, with the same answers', async () => {
    const files = await openEventIndex({ files: [archive] });
    try {
      const [[n]] = (await rowsOf(await files.query('SELECT count(*) FROM events'))) as [[bigint]];
      expect(Number(n)).toBe(summary.events);
    } finally {
      await files.close();
    }
  });
});

describe("searchEvents over an index (source kind 'index')", () => {
  it('gives the events, order and bytes of a search of the files', async () => {
    const filter = { eventNames: ['Delete*', 'Put*'] };
    const fromIndex = await collect(searchEvents({ source: { kind: 'index', dir }, filter }));
    const fromFiles = await collect(searchEvents({ source: { kind: 'files', paths: [archive] }, filter }));
    expect(fromIndex.length).toBeGreaterThan(0);
    expect(fromIndex.map((e) => e.raw)).toEqual(fromFiles.map((e) => e.raw));
    expect(fromIndex.map((e) => e.source)).toEqual(fromFiles.map((e) => e.source));
    const newest = await collect(tailEvents({ source: { kind: 'index', dir }, filter, lines: 5 }));
    const newestFiles = await collect(tailEvents({ source: { kind: 'files', paths: [archive] }, filter, lines: 5 }));
    expect(newest.map((e) => e.raw)).toEqual(newestFiles.map((e) => e.raw));
    expect(newest).toHaveLength(5);
  });

  it('stops at the limit, and refuses to follow an index', async () => {
    expect(await collect(searchEvents({ source: { kind: 'index', dir }, filter: {}, limit: 4 }))).toHaveLength(4);
    await expect(collect(tailEvents({ source: { kind: 'index', dir }, filter: {}, follow: true }))).rejects.toThrow(/does not grow by itself/);
  });
});

describe('the built package', () => {
  it("importing 'trailkit' loads neither DuckDB nor @aws-sdk; opening an index loads DuckDB", () => {
    const trace = join(scratch, 'trace.txt');
    const script = `const m = await import('trailkit');
const names = Object.keys(m).filter((k) => ['buildIndex', 'openEventIndex', 'questionQueries'].includes(k)).length;
const sql = m.questionQueries({ question: { kind: 'access-key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } }).length;
const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((k) => k.includes('duckdb'));
console.log(names, sql, loaded);`;
    const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test/helpers/trace-imports.mjs'), '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRAILKIT_TRACE_IMPORTS: trace } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('3 1 false\n');
    const loaded = readFileSync(trace, 'utf8');
    expect(loaded).toContain('/dist/jobs/query.js');
    expect(loaded).toContain('/dist/jobs/index-events.js');
    expect(loaded).not.toContain('duckdb');
    expect(loaded).not.toContain('@aws-sdk');

    // The counter-check: the trace does see DuckDB once an index is opened.
    const opened = `import { openEventIndex } from 'trailkit';
const index = await openEventIndex(${JSON.stringify(dir)});
await index.close();
console.log('ok');`;
    const trace2 = join(scratch, 'trace2.txt');
    const r2 = spawnSync(process.execPath, ['--import', join(ROOT, 'test/helpers/trace-imports.mjs'), '--input-type=module', '-e', opened], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRAILKIT_TRACE_IMPORTS: trace2 } });
    expect(r2.stdout).toBe('ok\n');
    expect(readFileSync(trace2, 'utf8')).toContain('/dist/sources/duckdb.js');
    expect(statSync(trace2).size).toBeGreaterThan(0);
  });
});
