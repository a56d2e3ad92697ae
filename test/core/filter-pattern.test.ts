import { describe, expect, it } from 'vitest';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import {
  ANY_CHILD,
  MAX_PATTERN_LENGTH,
  matchesPattern,
  parseFilterPattern,
  PatternSyntaxError,
  patternNeedle,
  type FilterPattern,
  type JsonExpression,
  type PathStep,
} from '../../src/core/filter-pattern.js';
import { ANY_RECORD, needleHolds, type Needle } from '../../src/core/needle.js';

function sel(source: string, ...path: PathStep[]) {
  return { source, path };
}

function jsonOf(source: string): JsonExpression {
  const p = parseFilterPattern(source);
  if (p.kind !== 'json') throw new Error(`not a JSON pattern: ${source}`);
  return p.expression;
}

function matches(source: string, record: unknown): boolean {
  return matchesPattern(parseFilterPattern(source), record, JSON.stringify(record));
}

function matchesText(source: string, text: string): boolean {
  return matchesPattern(parseFilterPattern(source), undefined, text);
}

function text(t: string): Needle {
  return { kind: 'text', text: t };
}

function all(...of: Needle[]): Needle {
  return { kind: 'all', of };
}

function any(...of: Needle[]): Needle {
  return { kind: 'any', of };
}

describe('parseFilterPattern: plain-text terms', () => {
  const cases: [string, FilterPattern][] = [
    ['', { kind: 'match-all' }],
    ['  \t ', { kind: 'match-all' }],
    ['ERROR', { kind: 'terms', groups: [{ include: ['ERROR'], exclude: [] }] }],
    ['ERROR Exception', { kind: 'terms', groups: [{ include: ['ERROR', 'Exception'], exclude: [] }] }],
    ['"Failed to process"', { kind: 'terms', groups: [{ include: ['Failed to process'], exclude: [] }] }],
    ['"say \\"hi\\" C:\\\\x"', { kind: 'terms', groups: [{ include: ['say "hi" C:\\x'], exclude: [] }] }],
    ['ERROR -WARN', { kind: 'terms', groups: [{ include: ['ERROR'], exclude: ['WARN'] }] }],
    ['"ERROR" - "Exiting"', { kind: 'terms', groups: [{ include: ['ERROR'], exclude: ['Exiting'] }] }],
    ['-ERROR', { kind: 'terms', groups: [{ include: [], exclude: ['ERROR'] }] }],
    [
      '?ERROR ?WARN',
      { kind: 'terms', groups: [{ include: ['ERROR'], exclude: [] }, { include: ['WARN'], exclude: [] }] },
    ],
    ['?a ?-b', { kind: 'terms', groups: [{ include: ['a'], exclude: [] }, { include: [], exclude: ['b'] }] }],
    // `?` terms mixed with plain terms are ignored (SPEC section 7): `?ERROR ?ARGUMENTS REQUEST` means `REQUEST`.
    ['?ERROR ?ARGUMENTS REQUEST', { kind: 'terms', groups: [{ include: ['REQUEST'], exclude: [] }], ignored: ['?ERROR', '?ARGUMENTS'] }],
    [
      '?"ERROR" "MainThread" ?"WARN" "Deadlock"',
      { kind: 'terms', groups: [{ include: ['MainThread', 'Deadlock'], exclude: [] }], ignored: ['?ERROR', '?WARN'] },
    ],
    ['a ?b', { kind: 'terms', groups: [{ include: ['a'], exclude: [] }], ignored: ['?b'] }],
    ['?a -b', { kind: 'terms', groups: [{ include: [], exclude: ['b'] }], ignored: ['?a'] }],
    ['?"a b" x ?-y', { kind: 'terms', groups: [{ include: ['x'], exclude: [] }], ignored: ['?"a b"', '?-y'] }],
    ['""', { kind: 'terms', groups: [{ include: [''], exclude: [] }] }],
  ];
  it.each(cases)('%j', (source, expected) => {
    expect(parseFilterPattern(source)).toEqual(expected);
  });

  it('parses a standalone regex', () => {
    const p = parseFilterPattern(' %AUTHORIZED% ');
    expect(p.kind).toBe('text-regex');
    expect(p.kind === 'text-regex' && p.regex.source).toBe('AUTHORIZED');
  });

  it(`accepts exactly ${MAX_PATTERN_LENGTH} characters`, () => {
    expect(parseFilterPattern('x'.repeat(MAX_PATTERN_LENGTH)).kind).toBe('terms');
  });
});

describe('parseFilterPattern: JSON conditions', () => {
  const cases: [string, JsonExpression][] = [
    [
      '{ $.eventName = "ConsoleLogin" }',
      { kind: 'string', selector: sel('$.eventName', 'eventName'), op: '=', value: { source: 'ConsoleLogin', mode: 'exact', literal: 'ConsoleLogin' }, quoted: true },
    ],
    [
      '{$.eventName=DisableKey}',
      { kind: 'string', selector: sel('$.eventName', 'eventName'), op: '=', value: { source: 'DisableKey', mode: 'exact', literal: 'DisableKey' }, quoted: false },
    ],
    [
      '{ $.a.b[1].c-d_e != x }',
      { kind: 'string', selector: sel('$.a.b[1].c-d_e', 'a', 'b', 1, 'c-d_e'), op: '!=', value: { source: 'x', mode: 'exact', literal: 'x' }, quoted: false },
    ],
    ['{ $.coordinates[0][1] = 5 }', { kind: 'number', selector: sel('$.coordinates[0][1]', 'coordinates', 0, 1), op: '=', value: 5, source: '5' }],
    ['{ $.a = *Event }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '*Event', mode: 'suffix', literal: 'Event' }, quoted: false }],
    ['{ $.a = Event* }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: 'Event*', mode: 'prefix', literal: 'Event' }, quoted: false }],
    ['{ $.a = "*ven*" }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '*ven*', mode: 'contains', literal: 'ven' }, quoted: true }],
    ['{ $.a = * }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '*', mode: 'any', literal: '' }, quoted: false }],
    ['{ $.a = ** }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '**', mode: 'any', literal: '' }, quoted: false }],
    // A `*` inside the value is an ordinary character.
    ['{ $.a = Ev*ent }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: 'Ev*ent', mode: 'exact', literal: 'Ev*ent' }, quoted: false }],
    ['{ $.a = "" }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '', mode: 'exact', literal: '' }, quoted: true }],
    ['{ $.a = "5" }', { kind: 'string', selector: sel('$.a', 'a'), op: '=', value: { source: '5', mode: 'exact', literal: '5' }, quoted: true }],
    [
      '{ $.sourceIPAddress != 123.123.* }',
      { kind: 'string', selector: sel('$.sourceIPAddress', 'sourceIPAddress'), op: '!=', value: { source: '123.123.*', mode: 'prefix', literal: '123.123.' }, quoted: false },
    ],
    ['{ $.latency >= 500 }', { kind: 'number', selector: sel('$.latency', 'latency'), op: '>=', value: 500, source: '500' }],
    ['{ $.n[0] < 10e3 }', { kind: 'number', selector: sel('$.n[0]', 'n', 0), op: '<', value: 10000, source: '10e3' }],
    ['{ $.n[0] < 10e-3 }', { kind: 'number', selector: sel('$.n[0]', 'n', 0), op: '<', value: 0.01, source: '10e-3' }],
    ['{ $.p <= 55.5 }', { kind: 'number', selector: sel('$.p', 'p'), op: '<=', value: 55.5, source: '55.5' }],
    ['{ $.e != 500 }', { kind: 'number', selector: sel('$.e', 'e'), op: '!=', value: 500, source: '500' }],
    ['{ $.l > +1000 }', { kind: 'number', selector: sel('$.l', 'l'), op: '>', value: 1000, source: '+1000' }],
    ['{ $.l = -.5 }', { kind: 'number', selector: sel('$.l', 'l'), op: '=', value: -0.5, source: '-.5' }],
    ['{ $.SomeObject IS NULL }', { kind: 'is', selector: sel('$.SomeObject', 'SomeObject'), value: null }],
    ['{ $.ThisFlag IS TRUE }', { kind: 'is', selector: sel('$.ThisFlag', 'ThisFlag'), value: true }],
    ['{ $.ThisFlag  IS   FALSE }', { kind: 'is', selector: sel('$.ThisFlag', 'ThisFlag'), value: false }],
    ['{ $.Other NOT EXISTS }', { kind: 'not-exists', selector: sel('$.Other', 'Other') }],
    // Wildcard and bracket selectors (SPEC section 7).
    ['{ $.* = 1 }', { kind: 'number', selector: sel('$.*', ANY_CHILD), op: '=', value: 1, source: '1' }],
    ['{ $.list[*].x IS NULL }', { kind: 'is', selector: sel('$.list[*].x', 'list', ANY_CHILD, 'x'), value: null }],
    ['{ $.a.*.b NOT EXISTS }', { kind: 'not-exists', selector: sel('$.a.*.b', 'a', ANY_CHILD, 'b') }],
    ["{ $.['key with space'] = 1 }", { kind: 'number', selector: sel("$.['key with space']", 'key with space'), op: '=', value: 1, source: '1' }],
    ["{ $.['cluster.name'] = x }", { kind: 'string', selector: sel("$.['cluster.name']", 'cluster.name'), op: '=', value: { source: 'x', mode: 'exact', literal: 'x' }, quoted: false }],
    ['{ $.a["b c"][0] = 1 }', { kind: 'number', selector: sel('$.a["b c"][0]', 'a', 'b c', 0), op: '=', value: 1, source: '1' }],
    ["{ $.a['it\\'s'] = 1 }", { kind: 'number', selector: sel("$.a['it\\'s']", 'a', "it's"), op: '=', value: 1, source: '1' }],
    ['{ $.a.[0] = 1 }', { kind: 'number', selector: sel('$.a.[0]', 'a', 0), op: '=', value: 1, source: '1' }],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(jsonOf(source)).toEqual(expected);
  });

  const a = { kind: 'number', selector: sel('$.a', 'a'), op: '=', value: 1, source: '1' } as const;
  const b = { kind: 'number', selector: sel('$.b', 'b'), op: '=', value: 2, source: '2' } as const;
  const c = { kind: 'number', selector: sel('$.c', 'c'), op: '=', value: 3, source: '3' } as const;
  const precedence: [string, JsonExpression][] = [
    ['{ $.a = 1 || $.b = 2 && $.c = 3 }', { kind: 'or', of: [a, { kind: 'and', of: [b, c] }] }],
    ['{ $.a = 1 && $.b = 2 || $.c = 3 }', { kind: 'or', of: [{ kind: 'and', of: [a, b] }, c] }],
    ['{ ($.a = 1 || $.b = 2) && $.c = 3 }', { kind: 'and', of: [{ kind: 'or', of: [a, b] }, c] }],
    ['{ $.a = 1 && $.b = 2 && $.c = 3 }', { kind: 'and', of: [a, b, c] }],
    ['{ ((($.a = 1))) }', a],
  ];
  it.each(precedence)('precedence of %s', (source, expected) => {
    expect(jsonOf(source)).toEqual(expected);
  });

  it('parses regex values', () => {
    const e = jsonOf('{ $.a = %^[hc]at$% && $.b != %x\\d% }');
    expect(e.kind).toBe('and');
    if (e.kind !== 'and') return;
    expect(e.of.map((c) => (c.kind === 'regex' ? [c.op, c.regex.source] : c.kind))).toEqual([
      ['=', '^[hc]at$'],
      ['!=', 'x\\d'],
    ]);
  });
});

describe('parseFilterPattern: errors', () => {
  const OP = "an operator ('=', '!=', '<', '<=', '>', '>=', 'IS NULL', 'IS TRUE', 'IS FALSE' or 'NOT EXISTS') after the selector";
  const cases: [string, number, string][] = [
    ['{', 2, "expected a selector such as '$.eventName', or '(', found the end of the pattern"],
    ['{ }', 3, "expected a selector such as '$.eventName', or '(', found '}'"],
    ['{ a = 1 }', 3, "expected a selector such as '$.eventName', or '(', found 'a'"],
    ['{ $.a = 1', 10, "expected '}' to close the '{' from column 1, found the end of the pattern"],
    ['{ $.a = 1 } x', 13, "unexpected 'x' after the closing '}'"],
    ['{ ($.a = 1 }', 12, "expected ')' to close the '(' from column 3, found '}'"],
    ['{ $.a = 1 ) }', 11, "unexpected ')' without a matching '('"],
    ['{ $.a = }', 9, "expected a value after '=', found '}'"],
    ['{ $.a != }', 10, "expected a value after '!=', found '}'"],
    ['{ $.a == 1 }', 8, "expected a value after '=', found '='"],
    ['{ $.a }', 7, `expected ${OP}, found '}'`],
    ['{ $.a is null }', 7, `expected ${OP}, found 'i'`],
    ['{ $. = 1 }', 5, "expected a property name (letters, digits, '_' and '-'), '*' or '[' after '.', found a space"],
    ['{ $.a. = 1 }', 7, "expected a property name (letters, digits, '_' and '-'), '*' or '[' after '.', found a space"],
    ['{ $.a[ = 1 }', 7, "expected an array index, '*' or a quoted property name after '[', found a space"],
    ['{ $.a[', 7, "expected an array index, '*' or a quoted property name after '[', found the end of the pattern"],
    ['{ $.a[-1] = 1 }', 7, "expected an array index, '*' or a quoted property name after '[', found '-'"],
    ['{ $.a[1 = 1 }', 8, "expected ']', found a space"],
    ["{ $.['a' = 1 }", 9, "expected ']', found a space"],
    ["{ $.['a = 1 }", 6, "unterminated string, no closing ''' for the quote"],
    ['{ $.a[99999999999999999999] = 1 }', 7, 'the array index is too large'],
    ['{ $.** = 1 }', 6, "expected an operator ('=', '!=', '<', '<=', '>', '>=', 'IS NULL', 'IS TRUE', 'IS FALSE' or 'NOT EXISTS') after the selector, found '*'"],
    // CloudWatch refuses it (SPEC section 7): a null is tested with IS NULL.
    ['{ $.SomeObject = null }', 18, "null is not a value to compare with; use '$.SomeObject IS NULL'"],
    ['{ $.v != null }', 10, "null is not a value to compare with; use '$.v IS NULL'"],
    ['%\\x3%', 2, "expected two hex digits of an ASCII character (00 to 7F) after '\\x'"],
    ['%\\xG1%', 2, "expected two hex digits of an ASCII character (00 to 7F) after '\\x'"],
    ['%\\x80%', 2, "expected two hex digits of an ASCII character (00 to 7F) after '\\x'"],
    ['{ $a = 1 }', 4, "expected '.' after '$', found 'a'"],
    ['{ $[0] = 1 }', 4, "expected '.' after '$', found '['"],
    ['{ $.a = "abc }', 9, `unterminated string, no closing '"' for the quote`],
    ['{ $.a = "a\\x" }', 12, `expected '"' or '\\' after '\\' in a quoted string, found 'x'`],
    ['{ $.a < abc }', 9, "expected a number after '<', found 'abc'"],
    ['{ $.a > "5" }', 9, `expected a number after '>', found '"'`],
    ['{ $.a >= 1.2.3 }', 10, "expected a number after '>=', found '1.2.3'"],
    ['{ $.a = 1 & $.b = 2 }', 11, "expected '&&', found a single '&'"],
    ['{ $.a = 1 | $.b = 2 }', 11, "expected '||', found a single '|'"],
    ['{ $.a = 1 $.b = 2 }', 11, "expected '&&', '||' or '}', found '$'"],
    ['{ $.a = 1 && }', 14, "expected a selector such as '$.eventName', or '(', found '}'"],
    ['{ $.a IS MAYBE }', 10, "expected NULL, TRUE or FALSE after 'IS', found 'M'"],
    ['{ $.a IS NULLX }', 10, "expected NULL, TRUE or FALSE after 'IS', found 'N'"],
    ['{ $.a NOT THERE }', 11, "expected EXISTS after 'NOT', found 'T'"],
    ['{ $.a = abc@def }', 12, "quote values that contain characters other than letters, digits, '_', '-', '+', '.' and '*' (found '@')"],
    ['{ $.a = "x"y }', 12, "expected '&&', '||' or '}', found 'y'"],
    ['{ $.a = %abc }', 9, "unterminated regular expression, no closing '%' for the '%'"],
    ['{ $.a = %% }', 10, "expected a regular expression between '%' and '%'"],
    ['{ $.a > %x% }', 9, "expected a number after '>', found '%'"],
    ['{ $.a = %a(b)% }', 11, 'parentheses are not supported in regular expressions'],
    ['{ $.a = %a% || $.b = %b% || $.c = %c% }', 35, 'a pattern may contain at most 2 regular expressions'],
    ['%something!%', 11, "'!' is not supported in a regular expression"],
    ['%a**%', 4, 'a quantifier cannot follow another quantifier'],
    ['%a+*%', 4, 'a quantifier cannot follow another quantifier'],
    ['%a???%', 5, 'a quantifier cannot follow another quantifier'],
    ['%*a%', 2, "nothing to repeat before '*'"],
    ['%a|+%', 4, "nothing to repeat before '+'"],
    ['%^*%', 3, "an anchor ('^' or '$') cannot be repeated"],
    ['%[abc%', 2, "unterminated character class, no closing ']' for the '['"],
    ['%[]%', 2, "empty character class '[]'"],
    ['%[z-a]%', 3, 'character range out of order'],
    ['%[a-\\d]%', 5, 'a character range cannot end with a class escape'],
    ['%[\\D]%', 3, "'\\D' is not supported inside a character class"],
    ['%a{2,1}%', 3, 'repetition range out of order'],
    ['%a{1001}%', 3, 'repetition counts above 1000 are not supported'],
    ['%a{x}%', 3, "expected a repetition count such as '{2}', '{2,}' or '{1,3}' after '{'"],
    ['%a}%', 3, "unexpected '}' without a matching opening bracket"],
    ['%\\b%', 2, "unsupported escape '\\b'"],
    ['%é%', 2, 'multi-byte characters are not supported in regular expressions'],
    ['%"x"%', 2, `'"' is not supported in a regular expression`],
    ['%a%b', 4, "a regular expression pattern ('%...%') must stand alone"],
    ['%a', 1, "unterminated regular expression, no closing '%' for the '%'"],
    ['%a\\%', 1, "unterminated regular expression, no closing '%' for the '%'"],
    ['[ip, user, status_code = 404]', 1, "space-delimited patterns ('[...]') apply to non-JSON logs only, and CloudTrail events are JSON; use terms or a JSON pattern '{ ... }'"],
    ['ERROR {', 7, "a JSON pattern ('{ ... }') must be the whole pattern"],
    ['ERROR %x%', 7, "a regular expression pattern ('%...%') must stand alone"],
    ['us-east-1', 3, "quote terms that contain characters other than letters, digits and '_' (found '-')"],
    ['10.0.0.1', 3, "quote terms that contain characters other than letters, digits and '_' (found '.')"],
    ['"abc"def', 6, "expected a space after the quoted term, found 'd'"],
    ['"abc', 1, `unterminated string, no closing '"' for the quote`],
    ['"abc\\', 1, `unterminated string, no closing '"' for the quote`],
    ['?', 2, "expected a term after '?', found the end of the pattern"],
    ['? ERROR', 2, "expected a term after '?', found a space"],
    ['??ERROR', 2, "expected a term after '?', found '?'"],
    ['ERROR -', 8, "expected a term after '-', found the end of the pattern"],
    ['ERROR --x', 8, "expected a term after '-', found '-'"],
    ['}', 1, `expected a term (letters, digits and '_') or a "quoted phrase", found '}'`],
    ['\u0000', 1, `expected a term (letters, digits and '_') or a "quoted phrase", found U+0000`],
    ['ok \u202e', 4, `expected a term (letters, digits and '_') or a "quoted phrase", found U+202E`],
    ['x'.repeat(MAX_PATTERN_LENGTH + 1), 1025, 'a pattern may be at most 1024 characters long, this one has 1025'],
  ];
  it.each(cases)('%j fails at column %i', (source, column, problem) => {
    let error: unknown;
    try {
      parseFilterPattern(source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PatternSyntaxError);
    const e = error as PatternSyntaxError;
    expect(e.message).toBe(`${problem} at column ${column}`);
    expect(e.column).toBe(column);
    expect(e.pattern).toBe(source);
    expect(e.name).toBe('PatternSyntaxError');
  });

  it('names control characters in the escape message instead of printing them', () => {
    expect(() => parseFilterPattern('%\\\n%')).toThrow("unsupported escape '\\' followed by U+000A at column 2");
  });
});

/** The record of the AWS documentation's JSON examples, plus a few fields for edge cases. */
const doc = {
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
  OtherFlag: false,
  latency: 500,
  numericString: '42',
  sciString: '1e3',
  accountId: '123456789012',
  starry: 'Ev*ent',
  empty: '',
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
};

describe('matchesPattern: JSON conditions', () => {
  const cases: [string, boolean][] = [
    // Strings, quoted and not, case-sensitive.
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.eventType = UpdateTrail }', true],
    ['{ $.eventType = "updatetrail" }', false],
    ['{ $.eventType != "UpdateTrail" }', false],
    ['{ $.eventType != "CreateTrail" }', true],
    // Wildcards at the start, the end, both; a `*` in the middle is literal.
    ['{ $.eventType = *Trail }', true],
    ['{ $.eventType = *Trai }', false],
    ['{ $.eventType = Update* }', true],
    ['{ $.eventType = Trail* }', false],
    ['{ $.eventType = *dateTr* }', true],
    ['{ $.eventType = *xyz* }', false],
    ['{ $.eventType = * }', true],
    ['{ $.eventType = Up*Trail }', false],
    ['{ $.starry = Ev*ent }', true],
    ['{ $.starry = "Ev*ent" }', true],
    ['{ $.sourceIPAddress != 123.123.* }', true],
    ['{ $.sourceIPAddress != 111.111.* }', false],
    ['{ $.sourceIPAddress = 111.111.* }', true],
    ['{ $.empty = "" }', true],
    ['{ $.empty = * }', true],
    ['{ $.empty != "x" }', true],
    // Arrays.
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.arrayKey[1] = "another value" }', true],
    ['{ $.arrayKey[2] = "value" }', false],
    ['{ $.arrayKey[2] != "value" }', false],
    ['{ $.objectList[1].id = 2 }', true],
    ['{ $.objectList[1].name = a }', false],
    ['{ $.objectList[5].id != 2 }', false],
    ['{ $.eventType[0] = "U" }', false],
    ['{ $.user[0] = * }', false],
    ['{ $.coordinates[1][2] = 6 }', true],
    ['{ $.actions.length = 3 }', false],
    // A selector at an object or an array matches nothing, not even `!=`.
    ['{ $.users = 1 }', false],
    ['{ $.users != 1 }', false],
    ['{ $.user = * }', false],
    ['{ $.user != "x" }', false],
    ['{ $.users > 0 }', false],
    ['{ $.users = %.% }', false],
    // A missing field matches nothing but NOT EXISTS.
    ['{ $.nope = * }', false],
    ['{ $.nope != "x" }', false],
    ['{ $.nope != 5 }', false],
    ['{ $.nope < 5 }', false],
    ['{ $.nope != %x% }', false],
    ['{ $.nope IS NULL }', false],
    ['{ $.nope IS FALSE }', false],
    ['{ $.nope NOT EXISTS }', true],
    ['{ $.user.nope NOT EXISTS }', true],
    ['{ $.nope.deeper NOT EXISTS }', true],
    ['{ $.eventType.x NOT EXISTS }', true],
    ['{ $.arrayKey[5] NOT EXISTS }', true],
    ['{ $.arrayKey[1] NOT EXISTS }', false],
    ['{ $.user NOT EXISTS }', false],
    ['{ $.SomeObject NOT EXISTS }', false],
    // Inherited properties are not fields.
    ['{ $.constructor NOT EXISTS }', true],
    ['{ $.toString = * }', false],
    ['{ $.users.length = 2 }', false],
    // null and booleans only answer IS.
    ['{ $.SomeObject IS NULL }', true],
    ['{ $.ThisFlag IS NULL }', false],
    ['{ $.SomeObject != "x" }', false],
    ['{ $.SomeObject = * }', false],
    ['{ $.ThisFlag IS TRUE }', true],
    ['{ $.ThisFlag IS FALSE }', false],
    ['{ $.OtherFlag IS FALSE }', true],
    ['{ $.OtherFlag IS TRUE }', false],
    ['{ $.eventType IS TRUE }', false],
    ['{ $.ThisFlag = true }', false],
    ['{ $.ThisFlag != false }', false],
    ['{ $.ThisFlag = * }', false],
    // Numbers.
    ['{ $.latency >= 500 }', true],
    ['{ $.latency > 500 }', false],
    ['{ $.latency < 10e3 }', true],
    ['{ $.latency <= 499.99 }', false],
    ['{ $.latency = 500.0 }', true],
    ['{ $.latency = 5e2 }', true],
    ['{ $.latency != 500 }', false],
    ['{ $.latency != 501 }', true],
    ['{ $.latency > -1 }', true],
    // A string value compares with the number's text.
    ['{ $.latency = "500" }', true],
    ['{ $.latency = 5* }', true],
    ['{ $.latency = "500.0" }', false],
    // A number against a string field compares text; < > <= >= never hold for a string (SPEC section 7).
    ['{ $.numericString = 42 }', true],
    ['{ $.numericString = 42.0 }', false],
    ['{ $.numericString != 42.0 }', true],
    ['{ $.numericString > 41.5 }', false],
    ['{ $.numericString >= 42 }', false],
    ['{ $.numericString = "42" }', true],
    ['{ $.sciString = 1000 }', false],
    ['{ $.sciString = 1e3 }', true],
    ['{ $.sciString = "1e3" }', true],
    ['{ $.accountId = 123456789012 }', true],
    ['{ $.eventType > 1 }', false],
    ['{ $.eventType != 1 }', true],
    ['{ $.eventType = 1 }', false],
    // Regular expressions search the field value.
    ['{ $.eventType = %^Update% }', true],
    ['{ $.eventType = %Trail$% }', true],
    ['{ $.eventType = %^Trail% }', false],
    ['{ $.eventType = %pdate% }', true],
    ['{ $.eventType = %updatetrail% }', false],
    ['{ $.eventType != %Delete% }', true],
    ['{ $.eventType != %Update% }', false],
    ['{ $.sourceIPAddress = %\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}% }', true],
    ['{ $.latency = %^5\\d\\d$% }', true],
    ['{ $.eventType = %colou?r|Upd% }', true],
    // Compound conditions: the AWS documentation's examples, with its stated results.
    ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', true],
    ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', false],
    ['{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', true],
    ['{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }', false],
    // a || b && c is a || (b && c).
    ['{ $.eventType = UpdateTrail || $.nope = 1 && $.nope = 2 }', true],
    ['{ ($.eventType = UpdateTrail || $.nope = 1) && $.nope = 2 }', false],
    ['{ $.nope = 1 && $.nope = 2 || $.eventType = UpdateTrail }', true],
  ];
  it.each(cases)('%s is %s', (source, expected) => {
    expect(matches(source, doc)).toBe(expected);
  });

  it('reads own properties named like Object.prototype members', () => {
    const raw = '{"__proto__":"x","constructor":"y"}';
    const record: unknown = JSON.parse(raw);
    expect(matchesPattern(parseFilterPattern('{ $.__proto__ = x }'), record, raw)).toBe(true);
    expect(matchesPattern(parseFilterPattern('{ $.constructor = y }'), record, raw)).toBe(true);
  });

  it('does not match records that are not JSON objects', () => {
    const p = parseFilterPattern('{ $.x NOT EXISTS }');
    expect(matchesPattern(p, { y: 1 }, '{"y":1}')).toBe(true);
    expect(matchesPattern(p, undefined, 'plain text')).toBe(false);
    expect(matchesPattern(p, null, 'null')).toBe(false);
    expect(matchesPattern(p, 'x', '"x"')).toBe(false);
    expect(matchesPattern(p, 5, '5')).toBe(false);
  });
});

describe('matchesPattern: plain text and standalone regex', () => {
  // The AWS documentation's three example events.
  const events = ['ERROR WARN message', 'ERROR message', 'WARN message'];
  const documented: [string, boolean[]][] = [
    ['ERROR', [true, true, false]],
    ['?ERROR ?WARN', [true, true, true]],
    ['ERROR WARN', [true, false, false]],
    ['ERROR -WARN', [false, true, false]],
    ['-ERROR', [false, false, true]],
    ['"WARN message"', [true, false, true]],
    ['"message WARN"', [false, false, false]],
    ['error', [false, false, false]],
    ['', [true, true, true]],
  ];
  it.each(documented)('%j over the documented events', (source, expected) => {
    expect(events.map((e) => matchesText(source, e))).toEqual(expected);
  });

  const cases: [string, string, boolean][] = [
    ['ERROR', '[ERROR] A fatal exception has occurred', true],
    ['ERROR', 'Exiting with ERRORCODE: -1', true],
    ['"ERROR" - "Exiting"', 'Exiting with ERRORCODE: -1', false],
    ['"ERROR" - "Exiting"', '[ERROR] A fatal exception has occurred', true],
    ['Failed to process the request', '[WARN] Failed to process the request', true],
    ['"Failed to process the request"', '[ERROR] Unable to continue: Failed to process the request', true],
    ['"Failed to process the request"', 'Failed to process it, the request', false],
    // The `?` terms of a pattern with plain terms are ignored: only the plain terms count.
    ['?"ERROR" "MainThread" ?"WARN" "Deadlock"', 'ERROR in MainThread', false],
    ['?"ERROR" "MainThread" ?"WARN" "Deadlock"', 'MainThread: Deadlock found', true],
    ['?ERROR ?ARGUMENTS REQUEST', 'BAD REQUEST', true],
    ['?ERROR ?ARGUMENTS REQUEST', '[ERROR 419] MISSING ARGUMENTS', false],
    ['?ERROR -x ?WARN', 'ERROR x WARN', false],
    ['?ERROR -x ?WARN', 'nothing here', true],
    ['?ERROR ?-x', 'x only', false],
    ['?ERROR ?-x', 'ERROR x', true],
    ['?ERROR ?-x', 'y', true],
    ['%\\x3A%', 'a:b', true],
    ['%\\x3A%', 'ab', false],
    ['%[\\x41-\\x43]%', 'xBy', true],
    ['%[\\x41-\\x43]%', 'xDy', false],
    ['"quote \\" inside"', 'a quote " inside', true],
    ['""', 'anything', true],
    ['%AUTHORIZED%', '[ERROR 401] UNAUTHORIZED REQUEST', true],
    ['%AUTHORIZED%', '[SUCCESS 200] AUTHORIZED REQUEST', true],
    ['%AUTHORIZED%', '[SUCCESS 200] authorized request', false],
    ['%^[hc]at%', 'hat rack', true],
    ['%^[hc]at%', 'that', false],
    ['%[hc]at$%', 'that', true],
    ['%[hc]at$%', 'hats', false],
    ['%colou?r%', 'color', true],
    ['%colou?r%', 'colour', true],
    ['%colou?r%', 'colouur', false],
    ['%colou*?r%', 'colouuur', true],
    ['%a{3,5}%', 'aa', false],
    ['%a{3,5}%', 'xaaay', true],
    ['%^a{3}$%', 'aaaa', false],
    ['%^a{2,}$%', 'aaaa', true],
    ['%^a{ 1 , 2 }$%', 'aa', true],
    ['%gray|grey%', 'a grey cat', true],
    ['%gray|grey%', 'a green cat', false],
    ['%10\\.10\\.0\\.1%', 'from 10.10.0.1', true],
    ['%10\\.10\\.0\\.1%', 'from 10x10.0.1', false],
    ['%\\d{3}%', 'code 404', true],
    ['%\\d{3}%', 'code 40', false],
    ['%^$%', '', true],
    ['%^$%', 'x', false],
    ['%\\s%', 'a b', true],
    ['%\\S%', '  \t', false],
    ['%\\w+@\\w+%', 'mail bob@example', true],
    ['%\\W%', 'abc_123', false],
    ['%[^a-z]%', 'abc', false],
    ['%[^a-z]%', 'ab1', true],
    ['%[a\\-z]%', 'b', false],
    ['%[a\\-z]%', '-', true],
    ['%[-.]%', 'a.b', true],
    ['%[\\d_]%', 'a_', true],
    ['%a.c%', 'abc', true],
    ['%a.c%', 'a\nc', false],
    ['%\\D%', '123', false],
    ['%x*%', '', true],
    ['%a|%', 'zzz', true],
    ['%\\t%', 'a\tb', true],
    ['%^.$%', '\u{1F600}', true],
    ['%^..$%', '\u{1F600}', false],
    ['%\\!%', 'hey!', true],
    ['%/var/log%', '/var/log/messages', true],
    ['%a b%', 'a b', true],
  ];
  it.each(cases)('%j over %j is %s', (source, t, expected) => {
    expect(matchesText(source, t)).toBe(expected);
  });

  it('matches in time linear in the text, whatever the regex', () => {
    const started = Date.now();
    const hostile = 'a'.repeat(20_000);
    expect(matchesText('%a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b%', hostile)).toBe(false);
    expect(matchesText('%.*.*.*.*.*x%', hostile)).toBe(false);
    expect(matchesText('%\\w+\\w+\\w+\\w+$x%', hostile)).toBe(false);
    expect(matchesText('%a{0,1000}a{0,1000}b%', 'a'.repeat(3000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('patternNeedle', () => {
  const cases: [string, Needle][] = [
    ['', ANY_RECORD],
    ['{ $.eventName = "ConsoleLogin" }', all(text('"eventName"'), text('ConsoleLogin'))],
    ['{ $.a.b = "lit*eral" }', all(text('"b"'), text('lit*eral'))],
    ['{ $.a = *Trail* }', all(text('"a"'), text('Trail'))],
    ['{ $.a[0] = "value" }', all(text('"a"'), text('value'))],
    ['{ $.a[0][1] = "value" }', all(text('"a"'), text('value'))],
    ['{ $.path = "/var/log/messages" }', all(text('"path"'), text('messages'))],
    ['{ $.q = "say \\"hello world\\"" }', all(text('"q"'), text('hello world'))],
    ['{ $.a = ab }', text('"a"')],
    ['{ $.a = * }', text('"a"')],
    // Numbers are written unquoted, and in more than one way.
    ['{ $.x = 5 }', text('"x"')],
    // A number's JSON text contains the literal as written, so the literal is a needle too.
    ['{ $.x = "12345" }', all(text('"x"'), text('12345'))],
    ['{ $.x = 1.5e10* }', all(text('"x"'), text('1.5e10'))],
    ['{ $.x >= 100 }', text('"x"')],
    ['{ $.x != "abc" }', text('"x"')],
    ['{ $.x != %abc% }', text('"x"')],
    ['{ $.x NOT EXISTS }', ANY_RECORD],
    ['{ $.x IS NULL }', all(text('"x"'), text('null'))],
    ['{ $.x IS TRUE }', all(text('"x"'), text('true'))],
    ['{ $.x IS FALSE }', all(text('"x"'), text('false'))],
    ['{ $.x = %^abc\\d% }', all(text('"x"'), text('abc'))],
    ['{ $.x = %gray|grey% }', all(text('"x"'), any(text('gray'), text('grey')))],
    ['{ $.x = %\\d+% }', text('"x"')],
    ['{ $.x = %^123% }', all(text('"x"'), text('123'))],
    ['{ $.list[*].x = "abc" }', all(text('"x"'), text('abc'))],
    ['{ $.* = "abc" }', text('abc')],
    ["{ $.['a.b'] = xyz }", all(text('"a.b"'), text('xyz'))],
    ['{ $.a = abc || $.b = def }', any(all(text('"a"'), text('abc')), all(text('"b"'), text('def')))],
    ['{ $.a = abc && $.b = def }', all(text('"a"'), text('abc'), text('"b"'), text('def'))],
    ['{ $.a = abc || $.b NOT EXISTS }', ANY_RECORD],
    ['{ $.a = abc && $.b NOT EXISTS }', all(text('"a"'), text('abc'))],
    ['ERROR Exception', all(text('ERROR'), text('Exception'))],
    ['?ERROR ?WARN', any(text('ERROR'), text('WARN'))],
    ['?ERROR ?OK', ANY_RECORD],
    ['ERROR -WARN', text('ERROR')],
    ['-ERROR', ANY_RECORD],
    ['"a \\"quoted\\" phrase"', text(' phrase')],
    ['%AUTHORIZED%', text('AUTHORIZED')],
    ['%gray|grey%', any(text('gray'), text('grey'))],
    ['%colou?r%', text('colo')],
    ['%ab+cd%', text('bcd')],
    ['%a|b%', ANY_RECORD],
    ['%[abc]+%', ANY_RECORD],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(patternNeedle(parseFilterPattern(source))).toEqual(expected);
  });

  it('compares a string literal with a number as the record writes it (SPEC section 7)', () => {
    const raw = '{"x":1e2,"y":100.0,"z":{"n":7}}';
    const record: unknown = JSON.parse(raw);
    const cases: [string, boolean][] = [
      ['{ $.x = 100 }', true],
      ['{ $.y = 100 }', true],
      ['{ $.x = "100" }', false],
      ['{ $.x = "1e2" }', true],
      ['{ $.y = "100" }', false],
      ['{ $.y = "100.0" }', true],
      ['{ $.x = %^1e2$% }', true],
      ['{ $.x = %^100$% }', false],
      ['{ $.y = 100.* }', true],
      ['{ $.z.n = "7" }', true],
      ['{ $.z.* = "7" }', true],
    ];
    for (const [source, expected] of cases) {
      const p = parseFilterPattern(source);
      expect(matchesPattern(p, record, raw), source).toBe(expected);
      if (expected) expect(needleHolds(patternNeedle(p), raw), source).toBe(true);
    }
  });

  it('cuts a literal at a lone surrogate, which JSON.stringify escapes', () => {
    const record = { s: 'ab\ud800cdef' };
    const raw = JSON.stringify(record);
    const p = parseFilterPattern('{ $.s = "ab\ud800cdef" }');
    expect(matchesPattern(p, record, raw)).toBe(true);
    expect(patternNeedle(p)).toEqual(all(text('"s"'), text('cdef')));
    expect(needleHolds(patternNeedle(p), raw)).toBe(true);
  });
});

describe('needle soundness over a table', () => {
  const patterns = [
    ...CIS_PRESETS.map((p) => p.pattern),
    '{ $.eventType = "UpdateTrail" }',
    '{ $.eventType = *Trail }',
    '{ $.eventType = Update* }',
    '{ $.starry = Ev*ent }',
    '{ $.latency = "500" }',
    '{ $.latency = 5* }',
    '{ $.latency >= 500 }',
    '{ $.numericString = 42 }',
    '{ $.accountId = 123456789012 }',
    '{ $.accountId = "123456789012" }',
    '{ $.SomeObject IS NULL }',
    '{ $.ThisFlag IS TRUE }',
    '{ $.OtherFlag IS FALSE }',
    '{ $.nope NOT EXISTS }',
    '{ $.arrayKey[1] = "another value" }',
    '{ $.objectList[1].id = 2 }',
    '{ $.user.email = %@example\\.com$% }',
    '{ $.path = "/var/log/x" }',
    '{ $.quote = "he said \\"hi\\"" }',
    '{ $.ctrl = "line1\nline2" }',
    '{ ($.eventType = UpdateTrail || $.eventName = ConsoleLogin) && $.sourceIPAddress != 10.* }',
    'UpdateTrail',
    '"another value"',
    '?ConsoleLogin ?UpdateTrail',
    'UpdateTrail -ConsoleLogin',
    '%Update\\w+%',
    '%^\\{%',
  ];
  const records: unknown[] = [
    doc,
    { ...doc, eventType: 'CreateTrail', path: '/var/log/x', quote: 'he said "hi"', ctrl: 'line1\nline2' },
    { eventName: 'ConsoleLogin', errorMessage: 'Failed authentication', additionalEventData: { MFAUsed: 'No' }, sourceIPAddress: '10.0.0.1' },
    { eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: 'Yes' }, sourceIPAddress: '203.0.113.1' },
    { userIdentity: { type: 'Root' }, eventType: 'AwsApiCall', eventName: 'GetAccountSummary', sourceIPAddress: '203.0.113.1' },
    { errorCode: 'Client.UnauthorizedOperation', eventName: 'RunInstances', sourceIPAddress: '203.0.113.1' },
    { errorCode: 'AccessDenied', eventName: 'GetObject', sourceIPAddress: '203.0.113.1' },
    { eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion' },
    { eventSource: 'organizations.amazonaws.com', eventName: 'LeaveOrganization' },
    { eventName: 'CreateRoute' },
    {},
  ];
  it('a matching record always contains the needle', () => {
    let matched = 0;
    for (const source of patterns) {
      const p = parseFilterPattern(source);
      const needle = patternNeedle(p);
      for (const record of records) {
        const raw = JSON.stringify(record);
        if (!matchesPattern(p, record, raw)) continue;
        matched++;
        expect(needleHolds(needle, raw), `${source} over ${raw}`).toBe(true);
      }
    }
    expect(matched).toBeGreaterThan(40);
  });
});
