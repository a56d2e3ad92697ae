import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter, type FilterSpec } from '../../src/core/record-filter.js';
import {
  MAX_RECORD_BYTES,
  searchBytes,
  searchFileSync,
  searchStream,
  WHOLE_DOCUMENT_BYTES,
  type FileSearchOptions,
  type FileSearchResult,
} from '../../src/sources/file-search.js';
import { searchFiles } from '../../src/sources/search-pool.js';

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  eventTime: `2026-11-20T10:${String(i % 60).padStart(2, '0')}:00Z`,
  eventSource: 'ec2.amazonaws.com',
  eventName: i % 3 === 0 ? 'DeleteVolume' : 'DescribeInstances',
  eventID: `e-${i}`,
  pad: 'x'.repeat(200),
  ...extra,
});

function document(count: number): Buffer {
  return Buffer.from(JSON.stringify({ Records: Array.from({ length: count }, (_, i) => event(i)) }));
}

/** The stream of `bytes` in chunks of `size`. */
function chunks(bytes: Buffer, size: number): AsyncIterable<Buffer> {
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  })());
}

async function collect(source: AsyncIterable<Buffer>, spec: FilterSpec, options: FileSearchOptions = {}, path = 'x.json'): Promise<FileSearchResult[]> {
  const out: FileSearchResult[] = [];
  for await (const r of searchStream(path, source, compileFilter(spec), options)) out.push(r);
  return out;
}

function total(batches: FileSearchResult[]) {
  return {
    ids: batches.flatMap((b) => b.matches.map((m) => (JSON.parse(m.raw) as { eventID: string }).eventID)),
    matched: batches.reduce((n, b) => n + b.matched, 0),
    records: batches.reduce((n, b) => n + b.records, 0),
    parsed: batches.reduce((n, b) => n + b.parsed, 0),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailkit-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('searchStream', () => {
  it('finds what the one-piece search finds, in batches whose counts add up, whatever the chunks', async () => {
    const bytes = document(12_000);
    const spec = { eventNames: ['Delete*'] };
    const whole = searchBytes('x.json', bytes, compileFilter(spec));
    for (const size of [1, 4096, 1 << 20]) {
      const input = size === 1 ? bytes.subarray(0, 20_000) : bytes;
      const expected = size === 1 ? searchBytes('x.json', Buffer.concat([input]), compileFilter(spec)) : whole;
      const batches = await collect(chunks(input, size === 1 ? 7 : size), spec);
      const sum = total(batches);
      expect(sum.ids).toEqual(expected.matches.map((m) => (JSON.parse(m.raw) as { eventID: string }).eventID));
      expect(sum.matched).toBe(expected.matched);
      expect(sum.records).toBe(expected.records);
      expect(batches.slice(0, -1).every((b) => b.more === true)).toBe(true);
      expect(batches.at(-1)?.more).toBeUndefined();
    }
    const big = await collect(chunks(bytes, 1 << 16), spec);
    expect(big.length).toBeGreaterThan(1);
  });

  it('gunzips a stream, and keeps the matches found before a truncation', async () => {
    const gz = gzipSync(document(5000));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const batches = await collect(chunks(cut, 8192), { eventNames: ['Delete*'] }, {}, 'x.json.gz');
    expect(batches.at(-1)?.error).toMatch(/^truncated gzip/);
    expect(total(batches).ids.length).toBeGreaterThan(100);
  });

  it('stops a decompression bomb by its ratio, and names what it saw', async () => {
    const unit = Buffer.from(`${JSON.stringify(event(1))},`.repeat(4096));
    const parts = [Buffer.from('{"Records":[')];
    for (let i = 0; i < (100 * 1024 * 1024) / unit.length; i++) parts.push(unit);
    parts.push(Buffer.from(`${JSON.stringify(event(2))}]}`));
    const bomb = gzipSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION });
    const batches = await collect(chunks(bomb, 65536), { eventIds: ['nope'] }, {}, 'b.json.gz');
    expect(batches.at(-1)?.error).toMatch(/^decompression bomb: it inflates past \d+ MB from [\d.]+ MB, more than 200 times its compressed size \(CloudTrail log files inflate 5 to 15 times\); not read further$/);
  });

  it('reports a .gz that is neither gzip nor JSON, like the one-piece search', async () => {
    const batches = await collect(chunks(Buffer.from('PK\u0003\u0004 zip'), 2), {}, {}, 'x.json.gz');
    expect(batches.at(-1)?.error).toBe(searchBytes('x.json.gz', Buffer.from('PK\u0003\u0004 zip'), compileFilter({})).error);
  });

  it('skips a record over the limit with a message, and searches the rest', async () => {
    const huge = JSON.stringify(event(1, { pad: 'y'.repeat(MAX_RECORD_BYTES + 10) }));
    const text = `{"Records":[${JSON.stringify(event(0))},${huge},${JSON.stringify(event(3))}]}`;
    const batches = await collect(chunks(Buffer.from(text), 1 << 20), {});
    expect(total(batches).ids).toEqual(['e-0', 'e-3']);
    expect(batches.at(-1)?.problems).toEqual([expect.stringMatching(/^record 1 is 8\.0 MB, over the 8\.0 MB a record may have; skipped$/)]);
  });

  it('honours --limit, --count and tail\'s newest N in bounded memory', async () => {
    const bytes = document(9000);
    expect(total(await collect(chunks(bytes, 1 << 16), {}, { limit: 7 })).ids).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-4', 'e-5', 'e-6']);
    const counted = await collect(chunks(bytes, 1 << 16), {}, { countOnly: true });
    expect(counted).toHaveLength(1);
    expect(counted[0]?.matched).toBe(9000);
    expect(counted[0]?.matches).toEqual([]);
    const newest = await collect(chunks(bytes, 1 << 16), {}, { keepNewest: 3 });
    expect(newest).toHaveLength(1);
    expect(newest[0]?.matches.map((m) => m.time)).toEqual([Date.parse('2026-11-20T10:59:00Z'), Date.parse('2026-11-20T10:59:00Z'), Date.parse('2026-11-20T10:59:00Z')]);
  });
});

describe('files too large to search in one piece', () => {
  it('are streamed by the pool, with the same results as a small file of the same events', async () => {
    const count = Math.ceil((WHOLE_DOCUMENT_BYTES * 1.5) / 260);
    const big = join(dir, 'big.json.gz');
    writeFileSync(big, gzipSync(document(count)));
    expect(searchFileSync(big, compileFilter({})).stream).toBe(true);
    const results: FileSearchResult[] = [];
    for await (const r of searchFiles([{ path: big, size: 1, mtimeMs: 0 }], { eventNames: ['Delete*'] }, { workers: 0 })) results.push(r);
    expect(results.length).toBeGreaterThan(1);
    const sum = total(results);
    expect(sum.matched).toBe(Math.ceil(count / 3));
    expect(sum.ids.slice(0, 3)).toEqual(['e-0', 'e-3', 'e-6']);
    expect(sum.records).toBe(count);
  });
});
