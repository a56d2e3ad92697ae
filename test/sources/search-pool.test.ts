import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterSpec } from '../../src/core/record-filter.js';
import type { FileSearchResult } from '../../src/sources/file-search.js';
import type { InputFile } from '../../src/sources/local-files.js';

// Worker threads run the compiled search (dist/), which `npm test` builds first: the pool is
// tested there, where it starts real threads.
const DIST_POOL = fileURLToPath(new URL('../../dist/sources/search-pool.js', import.meta.url));
type Pool = typeof import('../../src/sources/search-pool.js');
let pool: Pool;

const event = (file: number, i: number) => ({
  eventVersion: '1.09',
  eventTime: `2026-11-20T${String(10 + (file % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
  eventSource: i % 4 === 0 ? 'cloudtrail.amazonaws.com' : 'ec2.amazonaws.com',
  eventName: i % 4 === 0 ? 'DeleteTrail' : 'DescribeInstances',
  eventID: `f${file}-e${i}`,
  ...(i % 5 === 0 ? { errorCode: 'AccessDenied' } : {}),
  userAgent: i % 7 === 0 ? 'a\u003db' : 'aws-cli/2',
  pad: 'x'.repeat(150),
});
const doc = (file: number, count: number) => JSON.stringify({ Records: Array.from({ length: count }, (_, i) => event(file, i)) });

let dir: string;
let files: InputFile[];
const STDIN_DOC = doc(999, 40);

beforeAll(async () => {
  if (!existsSync(DIST_POOL)) throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  pool = (await import(pathToFileURL(DIST_POOL).href)) as Pool;
  dir = mkdtempSync(join(tmpdir(), 'trailkit-pool-'));
  const paths: string[] = [];
  const add = (name: string, content: Buffer | string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    paths.push(path);
  };
  for (let f = 0; f < 60; f++) {
    if (f === 7) add(`${f}-truncated.json.gz`, gzipSync(doc(f, 30)).subarray(0, 200));
    else if (f === 11) add(`${f}-s3-event.json`, JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] }));
    else if (f === 19) add(`${f}-large.json.gz`, gzipSync(doc(f, Math.ceil((9 * 1024 * 1024) / 260))));
    else if (f === 23) add(`${f}-broken-record.json`, `{"Records":[${JSON.stringify(event(f, 0))},{"eventName":"DeleteTrail",},${JSON.stringify(event(f, 4))}]}`);
    else if (f === 31) add(`${f}.ndjson`, Array.from({ length: 25 }, (_, i) => JSON.stringify(event(f, i))).join('\n'));
    else add(`${f}.json.gz`, gzipSync(doc(f, 5 + ((f * 37) % 200))));
  }
  files = paths.map((path) => ({ path, size: statSync(path).size, mtimeMs: 0 }));
  // Standard input between the files: searched as a stream when its turn comes.
  files.splice(40, 0, { path: '-', size: 0, mtimeMs: 0 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What the consumer sees: each result's file, matches, counts and messages, in order. The
 * consumer takes its time over the first results, as a terminal does, so that the workers are
 * ready while files are left to share.
 */
async function run(spec: FilterSpec, options: Parameters<Pool['searchFiles']>[2]): Promise<unknown[]> {
  const out: unknown[] = [];
  const results: FileSearchResult[] = [];
  const stats = { workers: 0, filesByWorkers: 0 };
  for await (const r of pool.searchFiles(files, spec, { ...options, stats, stdin: () => Readable.from([Buffer.from(STDIN_DOC)]) })) {
    results.push(r);
    if (results.length < 30 && options?.workers !== 0) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(stats.workers).toBe(options?.workers ?? stats.workers);
  if (stats.workers > 0) expect(stats.filesByWorkers).toBeGreaterThan(0);
  for (const r of results) {
    out.push({ path: r.path, ids: r.matches.map((m) => `${m.index}:${JSON.parse(m.raw).eventID}`), matched: r.matched, records: r.records, more: r.more, error: r.error, problems: r.problems, notCloudTrail: r.notCloudTrail });
  }
  return out;
}

describe('searchFiles with worker threads', () => {
  it('yields the same results in the same order whatever the number of threads', async () => {
    const specs: FilterSpec[] = [{ eventNames: ['DeleteTrail'] }, { errorsOnly: true }, {}];
    for (const spec of specs) {
      const alone = await run(spec, { workers: 0 });
      expect(alone.length).toBeGreaterThan(files.length);
      for (const workers of [1, 2, 3]) expect(await run(spec, { workers }), `${JSON.stringify(spec)} with ${workers} workers`).toEqual(alone);
    }
  });

  it('keeps --limit, --count and the newest N the same with threads', async () => {
    for (const options of [{ limit: 3 }, { countOnly: true }, { keepNewest: 5 }]) {
      const alone = await run({ eventNames: ['DeleteTrail'] }, { ...options, workers: 0 });
      expect(await run({ eventNames: ['DeleteTrail'] }, { ...options, workers: 2 }), JSON.stringify(options)).toEqual(alone);
    }
  });

  it('stops early without waiting for the threads when the consumer stops', async () => {
    let seen = 0;
    for await (const r of pool.searchFiles(files, {}, { workers: 2, stdin: () => Readable.from([Buffer.from(STDIN_DOC)]) })) {
      seen += r.matches.length;
      if (seen > 100) break;
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('searches a small input on this thread alone, and starts workers for a large one', async () => {
    const search = async (input: InputFile[]) => {
      const stats = { workers: -1, filesByWorkers: 0 };
      let matched = 0;
      for await (const r of pool.searchFiles(input, { errorsOnly: true }, { stats })) matched += r.matched;
      return { ...stats, matched };
    };
    const small = files.filter((f) => f.path !== '-');
    const alone = await search(small);
    expect(alone).toMatchObject({ workers: 0, filesByWorkers: 0 });
    expect(alone.matched).toBeGreaterThan(0);
    // Files of records whose text gzip cannot shrink, until the estimate passes the threshold.
    const big: InputFile[] = [];
    const noise = (n: number) => randomBytes(n).toString('base64');
    while (pool.estimatedWork(big) <= pool.MIN_WORK_FOR_WORKERS) {
      const path = join(dir, `big-${big.length}.json.gz`);
      const records = Array.from({ length: 40 }, (_, i) => ({ ...event(big.length, i), requestParameters: { blob: noise(24 * 1024) } }));
      writeFileSync(path, gzipSync(JSON.stringify({ Records: records })));
      big.push({ path, size: statSync(path).size, mtimeMs: 0 });
    }
    const shared = await search(big);
    expect(shared.workers).toBe(Math.min(7, availableParallelism() - 1));
    expect(shared.matched).toBe(big.length * 8);
  });

  it('starts threads only when the input is large enough to pay for them', () => {
    // A day of one account (many small deliveries), and an archive of large ones.
    const small = Array.from({ length: 1200 }, (_, i) => ({ path: `/d/${i}.json.gz`, size: 4 * 1024, mtimeMs: 0 }));
    const large = Array.from({ length: 300 }, (_, i) => ({ path: `/d/${i}.json.gz`, size: 700 * 1024, mtimeMs: 0 }));
    expect(pool.chooseWorkerCount(small, undefined)).toBe(0);
    expect(pool.chooseWorkerCount(large, undefined)).toBe(Math.min(7, availableParallelism() - 1));
    expect(pool.estimatedWork(large)).toBeGreaterThan(pool.estimatedWork(small));
    expect(pool.chooseWorkerCount(large, 3)).toBe(3);
    expect(pool.chooseWorkerCount(large.slice(0, 2), 3)).toBe(1);
    expect(pool.chooseWorkerCount([{ path: '-', size: 0, mtimeMs: 0 }], undefined)).toBe(0);
  });
});
