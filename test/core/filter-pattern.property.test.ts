import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { ANY_CHILD, formatFilterPattern, matchesPattern, parseFilterPattern, PatternSyntaxError, patternNeedle, type FilterPattern, type JsonExpression } from '../../src/core/filter-pattern.js';
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
  '\\d', '[a-z]', '1e3', '-5', '$.*', '[*]', "['a.b']", '["x"]', '\\x3A', 'null', '.*',
];
const VALID = [
  ...CIS_PRESETS.map((p) => p.pattern),
  '{ $.a = %^x\\d{1,3}[a-c]*$% && $.b != "q" }',
  '?"ERROR" "MainThread" ?"WARN" -Deadlock',
  '%gray|grey%',
  "{ $.list[*].x = \"a\" || $.* IS NULL && $.['a.b'][0] != %\\x3A% }",
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

const KEYS = ['a', 'b', 'eventName', 'user-id', 'x_1', 'w'];
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

type Step = string | number;
type Witness = { steps: Step[]; value: unknown };

/** One selector step: its text and the concrete step a witness is planted at (`*` plants at 'w' or 0). */
const selectorStep: fc.Arbitrary<{ text: string; step: Step }> = fc.oneof(
  { arbitrary: fc.constantFrom(...KEYS).map((k) => ({ text: `.${k}`, step: k as Step })), weight: 6 },
  { arbitrary: fc.constantFrom(0, 1).map((i) => ({ text: `[${i}]`, step: i as Step })), weight: 3 },
  { arbitrary: fc.constant({ text: '.*', step: 'w' as Step }), weight: 1 },
  { arbitrary: fc.constant({ text: '[*]', step: 0 as Step }), weight: 1 },
  { arbitrary: fc.constantFrom('a.b', 'with space', "it's", 'x"y').map((k) => ({ text: `['${k.replace(/[\\']/g, '\\$&')}']`, step: k as Step })), weight: 1 },
);

const selector: fc.Arbitrary<{ text: string; steps: Step[] }> = fc
  .tuple(fc.constantFrom(...KEYS), fc.array(selectorStep, { maxLength: 2 }))
  .map(([first, rest]) => ({
    text: `$.${first}${rest.map((s) => s.text).join('')}`,
    steps: [first, ...rest.map((s) => s.step)],
  }));

/** A value each regex finds, for records built to satisfy a condition. */
const REGEX_WITNESS: Record<string, string> = {
  '^al': 'alpha', 'ta$': 'beta', 'a.p': 'axp', '[0-9]+': 'v42', 'Up|Tr': 'Trail', 'x\\d': 'x1', 'Tr?ail': 'Tail',
  '^-?\\d+$': '-3', 'e{1,2}': 'bee', 'a/b': 'a/b', '\\w+ \\w+': 'ERROR WARN',
};

type Condition = { text: string; regex: boolean; witness: Witness | undefined };

function numberWitness(op: string, n: number): number {
  if (op === '!=' || op === '>') return n + 1;
  if (op === '<') return n - 1;
  return n;
}

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .tuple(selector, fc.constantFrom('=', '!='), fc.constantFrom(...WORDS), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([s, op, word, lead, trail, bare]) => {
      const value = `${lead ? '*' : ''}${word}${trail ? '*' : ''}`;
      const satisfying = op === '=' ? `${lead ? 'xx' : ''}${word}${trail ? 'yy' : ''}` : word === '' ? undefined : 'QQQ';
      return {
        text: `${s.text} ${op} ${bare && BARE.test(value) ? value : quote(value)}`,
        regex: false,
        witness: satisfying === undefined ? undefined : { steps: s.steps, value: satisfying },
      };
    }),
  fc
    .tuple(selector, fc.constantFrom('=', '!=', '<', '<=', '>', '>='), fc.constantFrom(...NUMBERS), fc.boolean())
    .map(([s, op, n, asString]) => {
      const v = numberWitness(op, Number(n));
      // A string field meets `= n` when it is n's text, and `!= n` when it is not; `< > <= >=` only numbers.
      const text = op === '=' ? n : String(v);
      const value = asString && (op === '=' || op === '!=') ? text : v;
      return { text: `${s.text} ${op} ${n}`, regex: false, witness: { steps: s.steps, value } };
    }),
  fc
    .tuple(selector, fc.constantFrom('IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS'))
    .map(([s, test]) => ({
      text: `${s.text} ${test}`,
      regex: false,
      witness:
        test === 'NOT EXISTS' ? undefined : { steps: s.steps, value: test === 'IS NULL' ? null : test === 'IS TRUE' },
    })),
  fc
    .tuple(selector, fc.constantFrom('=', '!='), fc.constantFrom(...REGEXES))
    .map(([s, op, re]) => ({
      text: `${s.text} ${op} %${re}%`,
      regex: true,
      witness: { steps: s.steps, value: op === '=' ? REGEX_WITNESS[re] : 'QQQ' },
    })),
);

type Expression = { text: string; regexes: number; witnesses: Witness[] };

const expression: fc.Arbitrary<Expression> = fc.letrec<{ e: Expression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition.map((c) => ({ text: c.text, regexes: c.regex ? 1 : 0, witnesses: c.witness === undefined ? [] : [c.witness] })),
    fc
      .tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e'), fc.boolean())
      .map(([l, op, r, paren]) => {
        const text = `${l.text} ${op} ${r.text}`;
        return { text: paren ? `(${text})` : text, regexes: l.regexes + r.regexes, witnesses: [...l.witnesses, ...r.witnesses] };
      }),
  ),
})).e;

const jsonExpression: fc.Arbitrary<Expression> = expression.filter((e) => e.regexes <= 2 && e.text.length <= 1000);
const jsonPattern: fc.Arbitrary<string> = jsonExpression.map((e) => `{ ${e.text} }`);

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

/** Sets `value` at `steps` in `root`, creating the objects and arrays on the way. */
function plant(root: Record<string, unknown>, steps: readonly Step[], value: unknown): void {
  let container: Record<string, unknown> | unknown[] = root;
  steps.forEach((step, k) => {
    const last = k === steps.length - 1;
    const nextStep = steps[k + 1];
    const fresh = (): unknown => (last ? value : typeof nextStep === 'number' ? [] : {});
    if (typeof step === 'number') {
      const array = container as unknown[];
      while (array.length <= step) array.push(null);
      if (last) array[step] = value;
      else {
        const existing = array[step];
        const wanted = typeof nextStep === 'number' ? Array.isArray(existing) : existing !== null && typeof existing === 'object' && !Array.isArray(existing);
        if (!wanted) array[step] = fresh();
        container = array[step] as Record<string, unknown> | unknown[];
      }
    } else {
      const object = container as Record<string, unknown>;
      if (last) object[step] = value;
      else {
        const existing = object[step];
        const wanted = typeof nextStep === 'number' ? Array.isArray(existing) : existing !== null && typeof existing === 'object' && !Array.isArray(existing);
        if (!wanted) object[step] = fresh();
        container = object[step] as Record<string, unknown> | unknown[];
      }
    }
  });
}

/** A JSON pattern and a record holding values that satisfy some of its conditions. */
const plantedCase: fc.Arbitrary<[string, Record<string, unknown>]> = jsonExpression.chain((e) =>
  fc.tuple(fc.constant(`{ ${e.text} }`), record, fc.subarray(e.witnesses)).map(([source, base, chosen]) => {
    const r = structuredClone(base);
    for (const w of chosen) plant(r, w.steps, w.value);
    return [source, r] as [string, Record<string, unknown>];
  }),
);

function checkNeedle(source: string, generated: unknown, counts: { matched: number; narrowed: number }): void {
  const raw = JSON.stringify(generated);
  const parsed: unknown = JSON.parse(raw);
  const pattern = parseFilterPattern(source);
  const needle = patternNeedle(pattern);
  if (!matchesPattern(pattern, parsed, raw)) return;
  counts.matched++;
  if (needle.kind !== 'any-record') counts.narrowed++;
  expect(needleHolds(needle, raw)).toBe(true);
}

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
    const counts = { matched: 0, narrowed: 0 };
    fc.assert(
      fc.property(anyValidPattern, record, (source, generated) => checkNeedle(source, generated, counts)),
      { numRuns: 4000 },
    );
    // The property is only worth something if matches happen.
    expect(counts.matched).toBeGreaterThan(200);
  });

  it('records built to satisfy a pattern match it, and contain its needle', () => {
    const counts = { matched: 0, narrowed: 0 };
    fc.assert(
      fc.property(plantedCase, ([source, generated]) => checkNeedle(source, generated, counts)),
      { numRuns: 4000 },
    );
    expect(counts.matched).toBeGreaterThan(1000);
    expect(counts.narrowed).toBeGreaterThan(800);
  });

  it('a record built to satisfy a string condition matches it, and contains its needle', () => {
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
const regexSource = fc
  .array(reAlternative, { minLength: 1, maxLength: 3 })
  .map((a) => a.join('|'))
  .filter((re) => re.length > 0);
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

// ---------------------------------------------------------------------------------------------
// Writing a pattern back

/** The pattern as plain data, without the parts that only record how it was written. */
function shape(pattern: FilterPattern): unknown {
  const expression = (e: JsonExpression): unknown => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { [e.kind]: e.of.map(expression) };
      case 'regex':
        return { regex: e.regex.source, op: e.op, path: e.selector.path.map((p) => (p === ANY_CHILD ? { any: true } : p)) };
      default: {
        const { selector, ...rest } = e;
        return { ...rest, path: selector.path.map((p) => (p === ANY_CHILD ? { any: true } : p)) };
      }
    }
  };
  switch (pattern.kind) {
    case 'json':
      return expression(pattern.expression);
    case 'text-regex':
      return { regex: pattern.regex.source };
    case 'terms':
      return { groups: pattern.groups };
    case 'match-all':
      return 'all';
  }
}

describe('formatFilterPattern', () => {
  it('writes every parsed pattern as text that parses back to the same pattern', () => {
    fc.assert(
      fc.property(anyValidPattern, (source) => {
        const pattern = parseFilterPattern(source);
        const text = formatFilterPattern(pattern);
        const again = parseFilterPattern(text);
        expect(shape(again)).toEqual(shape(pattern));
        // And writing is idempotent.
        expect(formatFilterPattern(again)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips whatever hostile input happens to parse', () => {
    let parsed = 0;
    fc.assert(
      fc.property(hostile, (source) => {
        let pattern: FilterPattern;
        try {
          pattern = parseFilterPattern(source);
        } catch {
          return;
        }
        parsed++;
        const text = formatFilterPattern(pattern);
        expect(shape(parseFilterPattern(text))).toEqual(shape(pattern));
      }),
      { numRuns: 3000 },
    );
    expect(parsed).toBeGreaterThan(30);
  });
});

// ---------------------------------------------------------------------------------------------
// No hang

/** A record that makes selectors with `*` and numbers' JSON text do as much work as they can. */
function wideRecord(width: number): { record: unknown; raw: string } {
  const row: Record<string, number> = {};
  for (let i = 0; i < width; i++) row[`k${i}`] = i + 0.5;
  const raw = JSON.stringify({ rows: Array.from({ length: width }, () => row), n: Array.from({ length: width * width }, (_, i) => i) });
  return { record: JSON.parse(raw), raw };
}

describe('evaluation cost', () => {
  it('stays linear in the record for wildcard selectors and number texts', () => {
    const { record, raw } = wideRecord(300); // 90,000 numbers reached through `*`
    const started = performance.now();
    for (const source of ['{ $.rows[*].* = "x*" }', '{ $.rows.*.* = %^9$% }', '{ $.n[*] = "nope" }', '{ $.*.* != "0.5" && $.*.*.* = "q" }']) {
      matchesPattern(parseFilterPattern(source), record, raw);
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('evaluates any generated pattern on any generated record quickly', () => {
    let slowest = 0;
    fc.assert(
      fc.property(anyValidPattern, record, (source, generated) => {
        const raw = JSON.stringify(generated);
        const pattern = parseFilterPattern(source);
        const started = performance.now();
        matchesPattern(pattern, JSON.parse(raw), raw);
        matchesPattern(pattern, undefined, raw);
        slowest = Math.max(slowest, performance.now() - started);
      }),
      { numRuns: 2000 },
    );
    expect(slowest).toBeLessThan(250);
  });

  it('parses the longest patterns of nested parentheses and selectors without running out of stack', () => {
    for (const source of [`{ ${'('.repeat(500)}$.a = 1${')'.repeat(500)} }`, `{ $${'.*'.repeat(500)} = 1 }`, `{ $.a${'[*]'.repeat(330)} NOT EXISTS }`]) {
      const pattern = parseFilterPattern(source.slice(0, 1024));
      expect(() => matchesPattern(pattern, { a: [[[1]]] }, '{"a":[[[1]]]}')).not.toThrow();
    }
  });
});
