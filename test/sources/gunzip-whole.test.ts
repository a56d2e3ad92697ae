import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineAvailable, InflatesPastLimit, WholeGunzip } from '../../src/sources/gunzip-whole.js';

type Outcome = { bytes: string } | { error: string; code: string | undefined } | { tooLarge: true };

function outcome(run: () => Buffer): Outcome {
  try {
    return { bytes: run().toString('latin1') };
  } catch (error) {
    if (error instanceof InflatesPastLimit) return { tooLarge: true };
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { tooLarge: true };
    return { error: (error as Error).message, code };
  }
}

/** `value` one time in eight, undefined the others. */
const sometimes = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 7 }, { arbitrary: value, weight: 1 });

/** Gzip input as files are found: whole members, several, cut short, a byte flipped, padded, followed by garbage, a wrong trailer. */
const damagedGzip = fc
  .record({
    members: fc.array(fc.string({ unit: 'binary', maxLength: 3000 }), { minLength: 0, maxLength: 3 }),
    repeat: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1000, max: 60_000 })),
    cut: sometimes(fc.nat()),
    flip: sometimes(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
    tail: fc.oneof({ arbitrary: fc.constant(''), weight: 6 }, fc.constantFrom('\0\0\0\0', 'garbage', '\x1f\x8b', '{"Records":[]}')),
    lieAboutSize: sometimes(fc.nat({ max: 0xffffffff })),
  })
  .map(({ members, repeat, cut, flip, tail, lieAboutSize }) => {
    let bytes = Buffer.concat(members.map((m) => gzipSync(m.repeat(repeat))));
    if (lieAboutSize !== undefined && bytes.length >= 4) bytes.writeUInt32LE(lieAboutSize, bytes.length - 4);
    if (cut !== undefined && bytes.length > 0) bytes = bytes.subarray(0, cut % bytes.length);
    if (flip !== undefined && bytes.length > 0) {
      const at = flip[0] % bytes.length;
      bytes[at] = (bytes[at] as number) ^ flip[1];
    }
    return Buffer.concat([bytes, Buffer.from(tail, 'latin1')]);
  });

describe('WholeGunzip', () => {
  it("uses Node's zlib engine on this Node", () => {
    expect(engineAvailable()).toBe(true);
  });

  for (const engine of [true, false]) {
    it(`inflates, fails and stops at its limit as gunzipSync does (${engine ? "zlib's engine, reused" : 'gunzipSync'})`, () => {
      const limit = 200_000;
      const inflater = new WholeGunzip(limit, { engine });
      let errors = 0;
      let whole = 0;
      let tooLarge = 0;
      fc.assert(
        fc.property(damagedGzip, (gzip) => {
          // zlib's bytes or error; past the limit when more than `limit` bytes come out before
          // the document ends or fails (gunzipSync with one output piece of the limit's size).
          const expected = outcome(() => gunzipSync(gzip, { maxOutputLength: limit, chunkSize: limit + 1 }));
          // The same inflater goes on from whatever the previous document left it in.
          expect(outcome(() => inflater.inflate(gzip))).toEqual(expected);
          if ('error' in expected) errors++;
          else if ('tooLarge' in expected) tooLarge++;
          else whole++;
        }),
        { numRuns: 400 },
      );
      // The runs covered each outcome.
      expect(Math.min(errors, whole, tooLarge)).toBeGreaterThan(10);
    });
  }

  it('inflates a document of exactly the limit, and refuses one byte more', () => {
    const inflater = new WholeGunzip(100_000);
    expect(inflater.inflate(gzipSync(Buffer.alloc(100_000, 'a'))).length).toBe(100_000);
    expect(() => inflater.inflate(gzipSync(Buffer.alloc(100_001, 'a')))).toThrow(InflatesPastLimit);
    expect(inflater.inflate(gzipSync('{}')).toString()).toBe('{}');
  });

  it('inflates the next document into the same memory: the caller copies out what it keeps', () => {
    const inflater = new WholeGunzip(1_000_000);
    const first = inflater.inflate(gzipSync('{"Records":[1]}'));
    const second = inflater.inflate(gzipSync('{"Records":[2]}'));
    expect(second.toString()).toBe('{"Records":[2]}');
    expect(second.buffer).toBe(first.buffer);
    expect(first.toString()).toBe('{"Records":[2]}');
  });
});
