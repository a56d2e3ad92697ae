import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactJson, DocumentFormatError, RecordScanner, scanDocument, SPAN_LOOKUP_ITEM, SPAN_LOOSE, SPAN_STANDALONE, SPAN_UNICODE_ESCAPE } from '../../src/core/record-scanner.js';

function spans(text: string): { text: string; flags: number }[] {
  const buf = Buffer.from(text, 'utf8');
  const out: { text: string; flags: number }[] = [];
  scanDocument(buf, (start, end, flags) => {
    out.push({ text: buf.toString('utf8', start, end), flags });
  });
  return out;
}

function errorOf(text: string): string {
  try {
    spans(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentFormatError);
    return (error as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('scanDocument', () => {
  it('finds each record of a compact delivery file, in order', () => {
    const found = spans('{"Records":[{"eventName":"A","x":{"y":[1,{"z":"}"}]}},{"eventName":"B"}]}');
    expect(found.map((s) => s.text)).toEqual(['{"eventName":"A","x":{"y":[1,{"z":"}"}]}}', '{"eventName":"B"}']);
    expect(found.map((s) => s.flags)).toEqual([0, 0]);
  });

  it('handles pretty-printed files, a BOM and keys after the Records array', () => {
    const text = '\ufeff{\n  "Records" : [\n    { "eventName": "A" } ,\n    {"eventName":"B"}\n  ],\n  "Extra": {"a": [1]}\n}\n';
    expect(spans(text).map((s) => s.text)).toEqual(['{ "eventName": "A" }', '{"eventName":"B"}']);
  });

  it('flags a record with white space or a control byte between its tokens, and only those (white space inside strings does not count)', () => {
    const found = spans('{"Records":[{"a":"x, y: [ {z"},{ "a": 1},{"a":\n1},{"a":\u00011}]}');
    expect(found.map((s) => (s.flags & SPAN_LOOSE) !== 0)).toEqual([false, true, true, true]);
    // Across chunk boundaries too.
    const flags: number[] = [];
    const scanner = new RecordScanner({ record: (_b, _s, _e, f) => void flags.push(f) });
    for (const part of ['{"Records":[{"a":"x, ', 'y"},{"a":', ' 1}]}']) scanner.push(Buffer.from(part));
    scanner.end();
    expect(flags.map((f) => (f & SPAN_LOOSE) !== 0)).toEqual([false, true]);
  });

  it('ignores brackets and quotes inside strings, including escaped quotes and backslashes', () => {
    const record = String.raw`{"a":"\"}]{[","b":"\\","c":"x\\\"y"}`;
    expect(spans(`{"Records":[${record}]}`).map((s) => s.text)).toEqual([record]);
  });

  it('flags records with \\u escapes, where a literal search is not conclusive', () => {
    const found = spans(String.raw`{"Records":[{"a":"b"},{"a":"\u0044elete"},{"a":"\\u0044"}]}`);
    expect(found.map((s) => s.flags & SPAN_UNICODE_ESCAPE)).toEqual([0, SPAN_UNICODE_ESCAPE, 0]);
  });

  it('reads lookup-events output, JSON arrays and NDJSON', () => {
    expect(spans('{"Events":[{"CloudTrailEvent":"{}"}],"NextToken":"x"}').map((s) => s.flags)).toEqual([SPAN_LOOKUP_ITEM]);
    expect(spans('[{"a":1},\n{"a":2}]').map((s) => [s.text, s.flags])).toEqual([['{"a":1}', SPAN_STANDALONE], ['{"a":2}', SPAN_STANDALONE]]);
    expect(spans('{"a":1}\n{"a":2}\r\n\n{"a":3}').map((s) => s.text)).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    expect(spans('{"eventName":"X","Records":[]}').map((s) => s.flags)).toEqual([SPAN_STANDALONE]);
  });

  it('accepts an empty Records array', () => {
    expect(spans('{"Records":[]}')).toEqual([]);
  });

  it('rejects broken documents with a one-line reason', () => {
    expect(errorOf('')).toBe('the file is empty');
    expect(errorOf('  \n')).toBe('the file is empty');
    expect(errorOf('{"Records": 5}')).toBe('"Records" is not an array (found \'5\')');
    expect(errorOf('{"Records":[1]}')).toBe('"Records"[0] is not an object (found \'1\')');
    expect(errorOf('[{"a":1}, 2]')).toBe("the top-level array[1] is not an object (found '2')");
    expect(errorOf('{"Records":[{"a":1}')).toMatch(/^truncated JSON/);
    expect(errorOf('{"Records":[{"a":"unterminated')).toMatch(/^truncated JSON: the file ends inside an unterminated string/);
    expect(errorOf('{"Records":[{"a":1} {"a":2}]}')).toMatch(/^expected ',' or ']' after "Records"\[0\]/);
    expect(errorOf('hello')).toBe("not JSON: starts with 'h'");
    expect(errorOf('\u0000\u0001')).toBe('not JSON: starts with byte 0x00');
    expect(errorOf('{"a":1} x')).toMatch(/^unexpected 'x' at byte 8/);
    expect(errorOf('{"a":1}}')).toMatch(/^unexpected '}'/);
  });

  it('stops when the sink returns false', () => {
    const buf = Buffer.from('{"Records":[{"a":1},{"a":2},{"a":3}]}');
    let seen = 0;
    scanDocument(buf, () => {
      seen++;
      return seen < 2;
    });
    expect(seen).toBe(2);
  });

  it('finds exactly the records JSON.stringify wrote, for any records', () => {
    const record = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.boolean(), (records, pretty) => {
        const text = JSON.stringify({ Records: records }, null, pretty ? 2 : undefined);
        const found = spans(text).map((s) => JSON.parse(s.text) as unknown);
        expect(found).toEqual(records.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but DocumentFormatError and never hangs on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          scanDocument(Buffer.from(bytes), () => true);
        } catch (error) {
          expect(error).toBeInstanceOf(DocumentFormatError);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'a', ' ', 'R') }), (text) => {
        try {
          scanDocument(Buffer.from(`{"Records":[${text}`), () => true);
        } catch (error) {
          expect(error).toBeInstanceOf(DocumentFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Scans `text` cut into chunks at `cuts` (byte offsets); the records as text with flags, or the error message. */
function streamed(text: string, cuts: readonly number[], maxRecordBytes = Infinity): { records: string[]; flags: number[]; oversized: number[]; error?: string } {
  const bytes = Buffer.from(text, 'utf8');
  const out = { records: [] as string[], flags: [] as number[], oversized: [] as number[] };
  const scanner = new RecordScanner(
    {
      record: (buf, start, end, flags) => {
        out.records.push(buf.toString('utf8', start, end));
        out.flags.push(flags);
      },
      oversized: (n) => {
        out.oversized.push(n);
      },
    },
    maxRecordBytes,
  );
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  let from = 0;
  try {
    for (const at of [...points, bytes.length]) {
      // Each chunk is a fresh buffer, as a stream hands them over.
      scanner.push(Buffer.from(bytes.subarray(from, at)));
      from = at;
    }
    scanner.end();
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentFormatError);
    return { ...out, error: (error as Error).message };
  }
  return out;
}

function whole(text: string): { records: string[]; flags: number[]; oversized: number[]; error?: string } {
  return streamed(text, []);
}

describe('RecordScanner (chunked input)', () => {
  const documents = [
    '{"Records":[{"eventName":"A","x":{"y":[1,{"z":"}"}]}},{"eventName":"B"}]}',
    '\ufeff{\n  "Records" : [\n    { "eventName": "A" } ,\n    {"eventName":"B"}\n  ],\n  "Extra": {"a": [1, "]}"]}\n}\n',
    String.raw`{"Records":[{"a":"b"},{"a":"\u0044elete"},{"a":"\\u0044"},{"a":"x\\\"y"}]}`,
    '{"Events":[{"CloudTrailEvent":"{}"}],"NextToken":"x"}',
    '[{"a":1},\n{"a":2}]',
    '{"a":1}\n{"a":2}\r\n\n{"a":3}',
    '{"eventName":"X","Records":[]}',
    '{"Records":[]}',
    '',
    '{"Records": 5}',
    '[{"a":1}, 2]',
    '{"Records":[{"a":"unterminated',
    '{"Records":[{"a":1} {"a":2}]}',
    '{"a":1} x',
    '{"a":1}}',
    '{"Records":[{"a":1}]',
    '{"Records":[{"a":1}],"More":"x',
    '   {   "Records"   :   [ ] }',
  ];

  it('finds the same records and errors whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.constantFrom(...documents), fc.array(fc.nat({ max: 120 }), { maxLength: 8 }), (text, cuts) => {
        expect(streamed(text, cuts)).toEqual(whole(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds the same records one byte at a time, for any records', () => {
    const record = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), fc.boolean(), fc.array(fc.nat({ max: 400 }), { maxLength: 30 }), (records, pretty, cuts) => {
        const text = JSON.stringify({ Records: records }, null, pretty ? 2 : undefined);
        expect(streamed(text, cuts)).toEqual(whole(text));
        const bytes = Buffer.byteLength(text);
        if (bytes < 300) expect(streamed(text, Array.from({ length: bytes }, (_, i) => i))).toEqual(whole(text));
      }),
      { numRuns: 300 },
    );
  });

  it('skips a record over the limit without keeping it, and counts it', () => {
    const big = JSON.stringify({ eventName: 'Big', pad: 'x'.repeat(5000) });
    const text = JSON.stringify({ Records: [{ eventName: 'A' }, JSON.parse(big), { eventName: 'C' }] });
    const result = streamed(text, [100, 1000, 3000, 4000], 1000);
    expect(result.records).toEqual(['{"eventName":"A"}', '{"eventName":"C"}']);
    expect(result.oversized).toEqual([Buffer.byteLength(big)]);
    expect(result.error).toBeUndefined();
  });

  it('reads a record spread over many small chunks once, not once per chunk', () => {
    const record = JSON.stringify({ eventName: 'A', pad: 'y'.repeat(2_000_000) });
    const bytes = Buffer.from(`{"Records":[${record}]}`);
    let found = '';
    const scanner = new RecordScanner({ record: (buf, start, end) => void (found = buf.toString('utf8', start, end)) });
    const started = performance.now();
    for (let at = 0; at < bytes.length; at += 64) scanner.push(bytes.subarray(at, at + 64));
    scanner.end();
    expect(found).toBe(record);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('stops reading when the sink says so, and reports nothing about the rest', () => {
    let seen = 0;
    const scanner = new RecordScanner({ record: () => ++seen < 2 });
    expect(scanner.push(Buffer.from('{"Records":[{"a":1},{"a":2},{"a":3}'))).toBe(false);
    expect(scanner.push(Buffer.from('garbage'))).toBe(false);
    expect(() => scanner.end()).not.toThrow();
    expect(seen).toBe(2);
  });
});

describe('compactJson', () => {
  it('removes white space between tokens and keeps every token byte', () => {
    expect(compactJson('{\n  "a" : [ 1.0E9 , "x y\\n" ],\n\t"b": {"c" :null}\n}')).toBe('{"a":[1.0E9,"x y\\n"],"b":{"c":null}}');
  });

  it('returns compact text unchanged', () => {
    const text = '{"a":"b c","d":[1,2]}';
    expect(compactJson(text)).toBe(text);
  });

  it('parses to the same value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const pretty = JSON.stringify(value, null, 2);
        const compact = compactJson(pretty);
        expect(compact).not.toMatch(/\n/);
        expect(JSON.parse(compact)).toEqual(JSON.parse(pretty));
      }),
      { numRuns: 500 },
    );
  });
});
