import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanKernel } from '../../src/core/record-scan-kernel.js';
import { RecordScanner } from '../../src/core/record-scanner.js';

/** Escape classes for the tests: a class per range of code units, as the search's tables have. */
const CLASSES = (() => {
  const table = new Uint8Array(65536);
  for (let unit = 0; unit < 65536; unit++) table[unit] = unit < 0x20 ? 1 : unit < 0x80 ? (unit % 2 === 0 ? 2 : 4) : unit < 0x800 ? 8 : 16;
  return table;
})();

interface Outcome {
  records: [string, number][];
  oversized: number[];
  error?: string;
}

/** What a scanner finds in `chunks`: the records (text, flags), the oversized ones, the error. */
function outcome(chunks: Buffer[], kernel: boolean, options: { max?: number; classes?: boolean } = {}): Outcome {
  const out: Outcome = { records: [], oversized: [] };
  const scanner = new RecordScanner(
    {
      record: (buf, start, end, flags) => void out.records.push([buf.toString('latin1', start, end), flags]),
      oversized: (bytes) => void out.oversized.push(bytes),
    },
    options.max ?? Infinity,
    options.classes === false ? undefined : CLASSES,
    { kernel },
  );
  try {
    for (const chunk of chunks) if (!scanner.push(chunk)) break;
    scanner.end();
  } catch (error) {
    out.error = `${(error as Error).name}: ${(error as Error).message}`;
  }
  return out;
}

/** Cuts `buf` at the given points (taken modulo its length, sorted). */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (buf.length === 0 ? 0 : p % (buf.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    chunks.push(buf.subarray(from, p));
    from = p;
  }
  chunks.push(buf.subarray(from));
  return chunks;
}

function expectSame(buf: Buffer, points: number[] = [], options: { max?: number; classes?: boolean } = {}): Outcome {
  const chunks = cut(buf, points);
  const js = outcome(chunks, false, options);
  const wasm = outcome(chunks, true, options);
  expect(wasm).toEqual(js);
  return wasm;
}

/** Text made mostly of the bytes the scanner decides on, so that random documents hit its edge cases. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\u0000', '\u0001', 'u', '0', '4', 'd', 'D', 'f', 'a', '\\u', '\\"', '\\\\', '\\u00e9', '\\ud83d', '\u00e9', '\u202e'),
      fc.string({ maxLength: 80 }),
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

describe('the WebAssembly scanning loop', () => {
  it('is there on this Node, so the tests below compare two loops and not one with itself', () => {
    expect(scanKernel()).toBeDefined();
  });

  it('finds the same records, flags and errors as the JavaScript loop for any JSON records, cut anywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (values, points, pretty) => {
        const records = values.map((v) => ({ eventName: 'X', v }));
        const text = pretty ? JSON.stringify({ Records: records }, null, 2) : JSON.stringify({ Records: records });
        const found = expectSame(Buffer.from(text), points);
        expect(found.records.length).toBe(records.length);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with the JavaScript loop on hostile text: stray backslashes, lone quotes, NUL, bidi, unbalanced brackets', () => {
    fc.assert(
      fc.property(tricky, fc.array(fc.nat(), { maxLength: 5 }), fc.constantFrom('{"Records":[', '[', '{"Events":[', ''), (body, points, head) => {
        expectSame(Buffer.from(`${head}{"a":"${body}"}${body}]}`), points);
        expectSame(Buffer.from(`${head}{${body}`), points);
      }),
      { numRuns: 1500 },
    );
  });

  it('agrees on escapes cut by a chunk boundary at every offset, with and without the escape-class table', () => {
    const record = String.raw`{"a":"x\u0044y\\","b":"\"}\\\"","c":"\ud83d\ude00","d":"\u00e9\u0000\uzzzz"}`;
    const doc = Buffer.from(`{"Records":[${record},${record}]}`);
    for (let at = 0; at <= doc.length; at++) {
      expectSame(doc, [at]);
      expectSame(doc, [at], { classes: false });
    }
  });

  it('agrees on a record longer than the window it copies at a time, with escapes and blocks astride the window ends', () => {
    const WINDOW = 1 << 20;
    for (const shift of [-7, -6, -5, -4, -3, -2, -1, 0, 1, 63, 64, 65]) {
      // The first window starts where the record does, 12 bytes in; the escape's backslash lands
      // `shift` bytes from its end.
      const pad = 'p'.repeat(WINDOW - '{"a":"'.length + shift);
      const record = `{"a":"${pad}\\u0044\\\\\\"x","b":[{"c":"]"}] ,"d":"${'q'.repeat(70_000)}\\u00e9"}`;
      const doc = Buffer.from(`{"Records":[${record},{"e":1}]}`);
      const found = expectSame(doc);
      expect(found.records.map(([text]) => text.length)).toEqual([record.length, 7]);
      expectSame(doc, [WINDOW + 5, WINDOW + 11]);
    }
  });

  it('agrees on records over the size limit, skipped without being kept', () => {
    const doc = Buffer.from(JSON.stringify({ Records: [{ a: 'x'.repeat(5000) }, { b: 1 }, { c: 'y'.repeat(300) }] }));
    const found = expectSame(doc, [100, 2000, 5100], { max: 1000 });
    expect(found.oversized).toHaveLength(1);
    expect(found.records).toHaveLength(2);
  });

  it('keeps two scanners apart when their chunks interleave, and when a sink scans another document from inside a record', () => {
    const a = Buffer.from(JSON.stringify({ Records: [{ n: 'a1', s: 'x'.repeat(3000) }, { n: 'a2' }, { n: 'a3' }] }));
    const b = Buffer.from(JSON.stringify({ Records: [{ n: 'b1' }, { n: 'b2', s: 'y'.repeat(2000) }] }));
    const seen: string[] = [];
    const nested: string[] = [];
    const inner = new RecordScanner({ record: (buf, s, e) => void nested.push(buf.toString('utf8', s, e)) });
    const sa = new RecordScanner({
      record: (buf, s, e) => {
        seen.push(JSON.parse(buf.toString('utf8', s, e)).n);
        // Another scan in the same thread, of other bytes, between two records of this chunk.
        const other = new RecordScanner({ record: () => undefined });
        other.push(Buffer.from('[{"z":"' + 'z'.repeat(500) + '"}]'));
        other.end();
      },
    });
    const sb = new RecordScanner({ record: (buf, s, e) => void seen.push(JSON.parse(buf.toString('utf8', s, e)).n) });
    sa.push(a.subarray(0, 1500));
    sb.push(b.subarray(0, 40));
    inner.push(Buffer.from('{"k":1}{"k":2}'));
    sa.push(a.subarray(1500));
    sb.push(b.subarray(40));
    sa.end();
    sb.end();
    inner.end();
    expect(seen).toEqual(['b1', 'a1', 'a2', 'a3', 'b2']);
    expect(nested).toEqual(['{"k":1}', '{"k":2}']);
  });

  it('finds a literal from a record on where indexOf does, up to the end of its copy, for any text and literal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '"', 'é', '}', ',', '{', ':', 'v'), maxLength: 120 }), { minLength: 1, maxLength: 8 }),
        // Literals that can run over a record's end into the next one ("},{"), or stop short of it.
        fc.string({ unit: fc.constantFrom('a', 'b', '"', 'é', '}', ',', '{', ':', 'v'), minLength: 1, maxLength: 20 }),
        (values, text) => {
          const doc = Buffer.from(JSON.stringify({ Records: values.map((v) => ({ v })) }));
          const literal = Buffer.from(text);
          const seen: [number | undefined, number][] = [];
          const scanner: RecordScanner = new RecordScanner({
            record: (buf, start, end) => {
              const found = scanner.findAhead(buf, literal, start, end);
              // One search covers [start, searchedTo): the whole of this record and what follows in the copy.
              const to = found === -1 ? scanner.searchedTo : buf.length;
              expect(to).toBeGreaterThanOrEqual(end);
              const at = buf.indexOf(literal, start);
              seen.push([found, at >= 0 && at + literal.length <= to ? at : -1]);
            },
          });
          scanner.push(doc);
          scanner.end();
          expect(seen.map(([found]) => found)).toEqual(seen.map(([, expected]) => expected));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('has no copy to search for a record put together from several chunks, nor for the JavaScript loop', () => {
    const literal = Buffer.from('needle');
    const answers: (number | undefined)[] = [];
    for (const kernel of [true, false]) {
      const scanner: RecordScanner = new RecordScanner(
        { record: (buf, start, end) => void answers.push(scanner.findAhead(buf, literal, start, end)) },
        Infinity,
        undefined,
        { kernel },
      );
      for (const part of ['{"Records":[{"a":"a needle"},{"a":"nee', 'dle"},{"b":"no"}]}']) scanner.push(Buffer.from(part));
      scanner.end();
    }
    expect(answers).toEqual([20, undefined, -1, undefined, undefined, undefined]);
  });

  it('is the compiled text of assembly/record-scan.ts (npm run build:wasm writes it)', () => {
    // Throws, with the command to run, when the committed module is stale.
    expect(() => execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 60_000);
});
