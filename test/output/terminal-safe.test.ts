import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeText, truncateDisplay } from '../../src/output/terminal-safe.js';

/** Characters that must never reach the terminal raw. */
const FORBIDDEN = /[\u034f\x00-\x1f\x7f-\x9f\p{Cf}\p{Cs}\u2028\u2029\u115f\u1160\u3164\uffa0]/u;

/** Inverse of safeText, as a reader (or a script) would undo it. */
function decode(text: string): string {
  return text.replace(/\\(?:\\|x([0-9a-f]{2})|u([0-9a-f]{4}))/g, (_, x: string | undefined, u: string | undefined) =>
    String.fromCharCode(parseInt(x ?? u ?? '5c', 16)),
  );
}

/** An escaped text: literal characters other than `\`, and whole escapes. */
const WELL_FORMED = /^(?:[^\\]|\\\\|\\x[0-9a-f]{2}|\\u[0-9a-f]{4})*$/su;

const HOSTILE = [
  '\\', '\x00', '\x07', '\x08', '\t', '\n', '\x0b', '\r', '\x1b', '\x1f', '\x7f', '\x80', '\x85', '\x9b', '\x9f',
  '\u00ad', '\u034f', '\u061c', '\u115f', '\u180e', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2028',
  '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069',
  '\u3164', '\ufeff', '\uffa0', '\ufff9', '\ud800', '\udbff', '\udc00', '\udfff', '\u{e0001}', '\u{e0041}', '\u{e007f}',
  'x', 'u', '0', '1', 'b', 'e', '2', 'a', ' ', 'é', '😀', '\ud83d', '\ude00',
];

const hostileString = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

describe('safeText', () => {
  const escapes: [input: string, output: string][] = [
    // backslash, so an escape cannot be forged
    ['\\', '\\\\'],
    ['\\x1b', '\\\\x1b'],
    ['\\u202e', '\\\\u202e'],
    // C0 and DEL as \xHH
    ['\x00', '\\x00'],
    ['\x01', '\\x01'],
    ['\x07', '\\x07'],
    ['\x08', '\\x08'],
    ['\t', '\\x09'],
    ['\n', '\\x0a'],
    ['\x0b', '\\x0b'],
    ['\x0c', '\\x0c'],
    ['\r', '\\x0d'],
    ['\x1b', '\\x1b'],
    ['\x1f', '\\x1f'],
    ['\x7f', '\\x7f'],
    // C1 as \uHHHH
    ['\x80', '\\u0080'],
    ['\x85', '\\u0085'],
    ['\x9b', '\\u009b'],
    ['\x9d', '\\u009d'],
    ['\x9f', '\\u009f'],
    // bidi controls
    ['\u061c', '\\u061c'],
    ['\u200e', '\\u200e'],
    ['\u200f', '\\u200f'],
    ['\u202a', '\\u202a'],
    ['\u202b', '\\u202b'],
    ['\u202c', '\\u202c'],
    ['\u202d', '\\u202d'],
    ['\u202e', '\\u202e'],
    ['\u2066', '\\u2066'],
    ['\u2067', '\\u2067'],
    ['\u2068', '\\u2068'],
    ['\u2069', '\\u2069'],
    // zero-width, separators, BOM and other invisible format characters
    ['\u200b', '\\u200b'],
    ['\u200c', '\\u200c'],
    ['\u200d', '\\u200d'],
    ['\u2028', '\\u2028'],
    ['\u2029', '\\u2029'],
    ['\ufeff', '\\ufeff'],
    ['\u2060', '\\u2060'],
    ['\u2064', '\\u2064'],
    ['\u00ad', '\\u00ad'],
    ['\u180e', '\\u180e'],
    ['\ufff9', '\\ufff9'],
    ['\u034f', '\\u034f'],
    ['\u115f', '\\u115f'],
    ['\u1160', '\\u1160'],
    ['\u3164', '\\u3164'],
    ['\uffa0', '\\uffa0'],
    // tag characters (invisible text), astral: two escapes
    ['\u{e0001}', '\\udb40\\udc01'],
    ['a\u{e0068}\u{e0069}b', 'a\\udb40\\udc68\\udb40\\udc69b'],
    // lone and misordered surrogates
    ['\ud800', '\\ud800'],
    ['\udbff', '\\udbff'],
    ['\udc00', '\\udc00'],
    ['\udfff', '\\udfff'],
    ['x\ud83d', 'x\\ud83d'],
    ['\ude00\ud83d', '\\ude00\\ud83d'],
    ['\ud83d\ud83d\ude00', '\\ud83d😀'],
    // hostile fields as they appear in records
    ['aws-cli\u001b]8;;http://evil\u0007click\u001b]8;;\u0007', 'aws-cli\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07'],
    ['\u202Eexe.txt', '\\u202eexe.txt'],
    ['report\u202Efdp.exe', 'report\\u202efdp.exe'],
    ['Boto3/1.34\r\n2026-11-20 fake log line', 'Boto3/1.34\\x0d\\x0a2026-11-20 fake log line'],
    ['\x1b[2J\x1b[Hcleared', '\\x1b[2J\\x1b[Hcleared'],
    ['\x1b]0;title\x07', '\\x1b]0;title\\x07'],
    ['\x9b31mred', '\\u009b31mred'],
    ['admin\u200b', 'admin\\u200b'],
    ['C:\\Users\\x1b', 'C:\\\\Users\\\\x1b'],
  ];

  it.each(escapes)('%j -> %j', (input, output) => {
    expect(safeText(input)).toBe(output);
    expect(decode(output)).toBe(input);
  });

  const unchanged = [
    '',
    'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 prompt/off command/s3.ls',
    'arn:aws:iam::123456789012:role/Admin',
    'café naïve Ærøskøbing',
    'e\u0301', // combining acute accent
    '日本語のテキスト 中文 한국어',
    'שלום עולם مرحبا', // right-to-left scripts without controls
    '😀 🚀 👍🏽',
    '❤\ufe0f', // variation selector
    '\u00a0\u2003\u3000', // visible-width spaces
    '\u00ff\u0100\u1e9e',
    '\u{1f600}\u{10ffff}\u{20000}',
    '"{}[]<>&\'`~!@#$%^*()_+-=|;:,./? ',
  ];

  it.each(unchanged)('leaves %j unchanged', (input) => {
    expect(safeText(input)).toBe(input);
  });

  it('output never contains a control, bidi, invisible or separator character', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        expect(FORBIDDEN.test(safeText(s))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('output is well formed and decodes back to the input', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string({ unit: 'binary' })), (s) => {
        const out = safeText(s);
        expect(WELL_FORMED.test(out)).toBe(true);
        expect(decode(out)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective: equal outputs only for equal inputs', () => {
    // Pairs where b spells some of a's characters as the escape text itself: the forgery attempt.
    const spellEscape = (ch: string) =>
      ch
        .split('')
        .map((unit) => {
          const c = unit.charCodeAt(0);
          if (c === 0x5c) return '\\\\';
          return c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
        })
        .join('');
    const token = fc.constantFrom('\\', '\x1b', '\x00', '\n', '\u202e', '\u0085', '\ud800', '\u{e0041}', 'x', 'u', '1', 'b');
    const forgery = fc.array(fc.tuple(token, fc.boolean()), { maxLength: 8 }).map((parts) => ({
      a: parts.map(([t]) => t).join(''),
      b: parts.map(([t, spell]) => (spell ? spellEscape(t) : t)).join(''),
    }));
    fc.assert(
      fc.property(forgery, ({ a, b }) => {
        expect(safeText(a) === safeText(b)).toBe(a === b);
      }),
      { numRuns: 3000 },
    );
    // Independent pairs over a small, escape-like alphabet.
    const small = fc.string({ unit: fc.constantFrom('\\', 'x', 'u', '0', '1', 'b', '2', 'e', '\x1b', '\u202e'), maxLength: 6 });
    fc.assert(
      fc.property(fc.oneof(small, hostileString), fc.oneof(small, hostileString), (a, b) => {
        expect(safeText(a) === safeText(b)).toBe(a === b);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('truncateDisplay', () => {
  const table: [input: string, width: number, output: string][] = [
    ['hello', 10, 'hello'],
    ['hello', 5, 'hello'],
    ['hello world', 5, 'hell…'],
    ['hello', 4, 'hel…'],
    ['hello', 1, '…'],
    ['h', 1, 'h'],
    ['hello', 0, ''],
    ['', 0, ''],
    ['', 3, ''],
    ['hello', -1, ''],
    ['hello', Number.NaN, ''],
    ['hello', Number.POSITIVE_INFINITY, 'hello'],
    ['hello', 2.9, 'h…'],
    // escapes are measured after escaping and never split
    ['\x1b', 4, '\\x1b'],
    ['\x1b', 3, '…'],
    ['ab\x1bcd', 8, 'ab\\x1bcd'],
    ['ab\x1bcd', 7, 'ab\\x1b…'],
    ['ab\x1bcd', 6, 'ab…'],
    ['ab\x1bcd', 5, 'ab…'],
    ['ab\u202ecd', 9, 'ab\\u202e…'],
    ['ab\u202ecd', 8, 'ab…'],
    ['x\\y', 4, 'x\\\\y'],
    ['x\\y', 3, 'x…'],
    ['\\\\\\', 4, '\\\\…'],
    // surrogate pairs count as one character and are never split
    ['😀😀😀', 3, '😀😀😀'],
    ['😀😀😀', 2, '😀…'],
    ['a😀b', 3, 'a😀b'],
    ['日本語のテキスト', 4, '日本語…'],
    ['\u{e0041}z', 13, '\\udb40\\udc41z'],
    ['\u{e0041}z', 12, '\\udb40…'],
  ];

  it.each(table)('%j at %s -> %j', (input, width, output) => {
    expect(truncateDisplay(input, width)).toBe(output);
  });

  it('never exceeds the width and never ends with a partial escape', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 0, max: 50 }), (s, width) => {
        const out = truncateDisplay(s, width);
        const full = safeText(s);
        const fullLength = [...full].length;
        expect([...out].length).toBeLessThanOrEqual(width);
        expect(FORBIDDEN.test(out)).toBe(false);
        if (fullLength <= width) {
          expect(out).toBe(full);
          return;
        }
        if (width === 0) {
          expect(out).toBe('');
          return;
        }
        expect(out.endsWith('…')).toBe(true);
        const kept = out.slice(0, -1);
        expect(WELL_FORMED.test(kept)).toBe(true);
        expect(full.startsWith(kept)).toBe(true);
        // Only an escape that did not fit may be left out: at most 5 characters short.
        expect([...out].length).toBeGreaterThanOrEqual(width - 5);
      }),
      { numRuns: 3000 },
    );
  });
});
