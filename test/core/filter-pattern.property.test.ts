import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { matchesPattern, parseFilterPattern, PatternSyntaxError, patternNeedle } from '../../src/core/filter-pattern.js';
import { needleHolds } from '../../src/core/needle.js';

// ---------------------------------------------------------------------------------------------
// Hostile input

const SYNTAX_CHARS = [
  '{', '}', '(', ')', '[', ']', '$', '.', '=', '!', '<', '>', '&', '|', '"', '\\', '%', '*', '?', '-', '+',
  ',', '^', '@', '/', ':', ' ', '\t', '\n', '\r', '\u0000', '\u001b', '\u007f', '\u202e', '\u2066', '\u2028',
  '\ufeff', 'é', '\u{1F600}', '\ud800', '\udc00', 'I', 'S', 'N', 'U', 'L', 'T', 'R', 'E', 'X', 'O', 'a', 'b',
  'd', 'e', '0', '1', '9',
];
const TOKENS = [
  '$.a', '$.b[0]', '$.a.b', ' IS NULL', ' IS TRUE', ' IS FALSE', ' NOT EXISTS', ' && ', ' || ', '"x"', '"', '%a%',
  '%', '{ ', ' }', '(', ')', ' = ', ' != ', ' >= ', ' < ', '*', '\\"', '\\\\', '?', '-', 'ERROR', '[0]', '{2,3}',
  '\\d', '[a-z]', '1e3', '-5',
];
const VALID = [
  ...CIS_PRESETS.map((p) => p.pattern),
  '{ $.a = %^x\\d{1,3}[a-c]*$% && $.b != "q" }',
  '?"ERROR" "MainThread" ?"WARN" -Deadlock',
  '%gray|grey%',
];

type Edit = { at: number; kind: 'delete' | 'insert' | 'replace'; text: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'insert', 'replace'),
  text: fc.oneof(fc.constantFrom(...SYNTAX_CHARS), fc.constantFrom(...TOKENS)),
});

function applyEdits(source: string, edits: readonly Edit[]): string {
  let s = source;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + 1);
    else if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else s = s.slice(0, at) + e.text + s.slice(at + 1);
  }
  return s;
}

const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: fc.constantFrom(...SYNTAX_CHARS), maxLength: 64 }),
  fc.array(fc.constantFrom(...TOKENS, ...SYNTAX_CHARS), { maxLength: 40 }).map((a) => a.join('')),
  fc.array(fc.constantFrom(...TOKENS, ...SYNTAX_CHARS), { maxLength: 40 }).map((a) => `{ ${a.join('')} }`),
  fc.string({ unit: fc.constantFrom(...SYNTAX_CHARS), maxLength: 40 }).map((s) => `%${s}%`),
  fc.tuple(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([s, e]) => applyEdits(s, e)),
  fc.string({ unit: fc.constantFrom(...SYNTAX_CHARS), minLength: 1000, maxLength: 1100 }),
  fc.nat({ max: 1030 }).map((n) => `{ ${'('.repeat(n)}`),
);

describe('parseFilterPattern on hostile input', () => {
  it('returns a pattern or throws a one-line PatternSyntaxError, and never another error', () => {
    let parsed = 0;
    let rejected = 0;
    fc.assert(
      fc.property(hostile, (source) => {
        let pattern;
        try {
          pattern = parseFilterPattern(source);
        } catch (error) {
          if (!(error instanceof PatternSyntaxError)) throw error;
          rejected++;
          expect(error.pattern).toBe(source);
          expect(error.column).toBeGreaterThanOrEqual(1);
          expect(error.column).toBeLessThanOrEqual(source.length + 1);
          // Printable ASCII only: the message never echoes control, bidi or other raw characters.
          expect(error.message).toMatch(/^[\x20-\x7e]+$/);
          expect(error.message.endsWith(` at column ${error.column}`)).toBe(true);
          return;
        }
        parsed++;
        // Whatever parses can be evaluated and turned into a needle.
        const record = { a: 'x', b: [1, 'ERROR'], eventName: 'ConsoleLogin' };
        matchesPattern(pattern, record, JSON.stringify(record));
        matchesPattern(pattern, undefined, source);
        patternNeedle(pattern);
      }),
      { numRuns: 4000 },
    );
    expect(parsed).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated valid patterns

const KEYS = ['a', 'b', 'eventName', 'user-id', 'x_1'];
const WORDS = [
  'alpha', 'beta', 'Update', 'Trail', 'UpdateTrail', 'x1', '42', '7.5', '-3', '1e2', '100', '', 'a/b', 'say "hi"',
  'back\\slash', 'tab\there', 'Ev*ent', 'ünï', 'line\u2028sep', 'ab\ud800cd', 'ERROR', 'ERROR WARN',
];
const NUMBERS = ['0', '42', '7.5', '-3', '1e2', '+1000', '.5', '100'];
const REGEXES = ['^al', 'ta$', 'a.p', '[0-9]+', 'Up|Tr', 'x\\d', 'Tr?ail', '^-?\\d+$', 'e{1,2}', 'a/b', '\\w+ \\w+'];

const BARE = /^[A-Za-z0-9_.*+-]+$/;

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

const selector: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...KEYS),
    fc.array(fc.oneof(fc.constantFrom(...KEYS).map((k) => `.${k}`), fc.constantFrom('[0]', '[1]')), { maxLength: 2 }),
  )
  .map(([first, rest]) => `$.${first}${rest.join('')}`);

type Condition = { text: string; regex: boolean };

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .tuple(selector, fc.constantFrom('=', '!='), fc.constantFrom(...WORDS), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([s, op, word, lead, trail, bare]) => {
      const value = `${lead ? '*' : ''}${word}${trail ? '*' : ''}`;
      return { text: `${s} ${op} ${bare && BARE.test(value) ? value : quote(value)}`, regex: false };
    }),
  fc
    .tuple(selector, fc.constantFrom('=', '!=', '<', '<=', '>', '>='), fc.constantFrom(...NUMBERS))
    .map(([s, op, n]) => ({ text: `${s} ${op} ${n}`, regex: false })),
  fc
    .tuple(selector, fc.constantFrom('IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS'))
    .map(([s, test]) => ({ text: `${s} ${test}`, regex: false })),
  fc
    .tuple(selector, fc.constantFrom('=', '!='), fc.constantFrom(...REGEXES))
    .map(([s, op, re]) => ({ text: `${s} ${op} %${re}%`, regex: true })),
);

type Expression = { text: string; regexes: number };

const expression: fc.Arbitrary<Expression> = fc.letrec<{ e: Expression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition.map((c) => ({ text: c.text, regexes: c.regex ? 1 : 0 })),
    fc
      .tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e'), fc.boolean())
      .map(([l, op, r, paren]) => {
        const text = `${l.text} ${op} ${r.text}`;
        return { text: paren ? `(${text})` : text, regexes: l.regexes + r.regexes };
      }),
  ),
})).e;

const jsonPattern: fc.Arbitrary<string> = expression
  .filter((e) => e.regexes <= 2 && e.text.length <= 1000)
  .map((e) => `{ ${e.text} }`);

const termPattern: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom('', '', '?', '-'),
      fc.constantFrom(...WORDS).filter((w) => w !== ''),
      fc.boolean(),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((terms) => terms.map(([prefix, w, bare]) => `${prefix}${bare && /^\w+$/.test(w) ? w : quote(w)}`).join(' '));

const regexPattern: fc.Arbitrary<string> = fc.constantFrom(...REGEXES).map((re) => `%${re}%`);

const anyValidPattern = fc.oneof(
  { arbitrary: jsonPattern, weight: 6 },
  { arbitrary: termPattern, weight: 2 },
  { arbitrary: regexPattern, weight: 1 },
  { arbitrary: fc.constantFrom(...CIS_PRESETS.map((p) => p.pattern)), weight: 1 },
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([a, b]) => a + b),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(0, 42, 7.5, -3, 100, 1e21, 0.1, -0),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('ConsoleLogin', 'Root', 'AwsServiceEvent', 'kms.amazonaws.com', 'DisableKey', 'AccessDenied', 'Yes'),
);

const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS, 'type', 'invokedBy', 'MFAUsed'), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const CLOUDTRAIL_KEYS = ['eventName', 'eventSource', 'errorCode', 'sourceIPAddress', 'userIdentity', 'eventType', 'errorMessage', 'additionalEventData'];
const record: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(fc.constantFrom(...KEYS, ...CLOUDTRAIL_KEYS), value, {
  maxKeys: 6,
});

describe('generated patterns over generated records', () => {
  it('every generated pattern parses', () => {
    fc.assert(
      fc.property(anyValidPattern, (source) => {
        expect(() => parseFilterPattern(source)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('evaluation never throws, and a matching record always contains the needle', () => {
    let matched = 0;
    let narrowed = 0;
    fc.assert(
      fc.property(anyValidPattern, record, (source, generated) => {
        const raw = JSON.stringify(generated);
        const parsed: unknown = JSON.parse(raw);
        const pattern = parseFilterPattern(source);
        const needle = patternNeedle(pattern);
        if (!matchesPattern(pattern, parsed, raw)) return;
        matched++;
        if (needle.kind !== 'any-record') narrowed++;
        expect(needleHolds(needle, raw)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    // The property is only worth something if matches happen, with needles that narrow.
    expect(matched).toBeGreaterThan(500);
    expect(narrowed).toBeGreaterThan(100);
  });

  it('a record built to satisfy a condition matches it, and contains its needle', () => {
    // value -> the condition text that it satisfies; the record holds the value at the path.
    const satisfied = fc
      .tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS), fc.constantFrom(...WORDS), fc.constantFrom('exact', 'prefix', 'suffix', 'contains'))
      .map(([k1, k2, word, mode]) => {
        const cut = Math.floor(word.length / 2);
        const literal = mode === 'exact' ? word : mode === 'prefix' ? word.slice(0, cut) : mode === 'suffix' ? word.slice(cut) : word.slice(1, -1);
        const valueText = mode === 'exact' ? literal : mode === 'prefix' ? `${literal}*` : mode === 'suffix' ? `*${literal}` : `*${literal}*`;
        return { source: `{ $.${k1}.${k2} = ${quote(valueText)} }`, record: { [k1]: { [k2]: word } } };
      });
    fc.assert(
      fc.property(satisfied, ({ source, record: r }) => {
        const raw = JSON.stringify(r);
        const pattern = parseFilterPattern(source);
        expect(matchesPattern(pattern, JSON.parse(raw), raw)).toBe(true);
        expect(needleHolds(patternNeedle(pattern), raw)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The regex engine against JavaScript's, on the dialect both read the same way

const reAtom = fc.constantFrom('a', 'b', 'c', '1', '.', '[ab]', '[^a]', '[a-c]', '\\d', '\\w', '\\s', '\\D', '-', ' ', '\\.');
const rePiece = fc
  .tuple(reAtom, fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?', '??'))
  .map(([a, q]) => a + q);
const reAlternative = fc
  .tuple(fc.boolean(), fc.array(rePiece, { maxLength: 5 }), fc.boolean())
  .map(([start, pieces, end]) => `${start ? '^' : ''}${pieces.join('')}${end ? '$' : ''}`);
const regexSource = fc.array(reAlternative, { minLength: 1, maxLength: 3 }).map((a) => a.join('|'));
const subject = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', ' ', '-', '.', '\n', '_', 'é'), maxLength: 14 });

describe('regex engine', () => {
  it('agrees with JavaScript RegExp', () => {
    fc.assert(
      fc.property(regexSource, subject, (re, s) => {
        const pattern = parseFilterPattern(`%${re}%`);
        expect(matchesPattern(pattern, undefined, s)).toBe(new RegExp(re).test(s));
      }),
      { numRuns: 5000 },
    );
  });
});
