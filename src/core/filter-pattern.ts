/**
 * CloudWatch Logs filter patterns, as metric filters, subscription filters and FilterLogEvents
 * read them, evaluated locally over CloudTrail records.
 *
 * Three forms, told apart by the first character:
 * - `{ ... }` JSON conditions on the record's fields, combined with `&&`, `||` and parentheses;
 * - `%...%` one regular expression searched for in the record's raw text;
 * - anything else: terms and "quoted phrases" that must all occur in the raw text, `-term` to
 *   exclude one, and `?term` to start an alternative group. The empty pattern matches everything.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are not supported: CloudTrail records are JSON.
 */
import { allOf, anyOf, ANY_RECORD, keyNeedle, textNeedle, type Needle } from './needle.js';

export const MAX_PATTERN_LENGTH = 1024;
/** CloudWatch's quota on regular expressions in one filter pattern. */
export const MAX_PATTERN_REGEXES = 2;

export class PatternSyntaxError extends Error {
  /** 1-based position (in UTF-16 code units) in `pattern` of the character the parser stopped at. */
  readonly column: number;
  readonly pattern: string;

  constructor(problem: string, column: number, pattern: string) {
    super(`${problem} at column ${column}`);
    this.name = 'PatternSyntaxError';
    this.column = column;
    this.pattern = pattern;
  }
}

// ---------------------------------------------------------------------------------------------
// The syntax tree

/** A JSON property path: `$.a.b[2].c` is `['a', 'b', 2, 'c']`. */
export interface Selector {
  readonly source: string;
  readonly path: readonly (string | number)[];
}

/**
 * A string value with CloudWatch's wildcards: a `*` at the start and/or the end matches any run of
 * characters; a `*` anywhere else is an ordinary character (AWS: "Ev*ent will only match the
 * actual string Ev*ent"). `literal` is the value without its outer wildcards.
 */
export interface WildcardValue {
  readonly source: string;
  readonly mode: 'exact' | 'prefix' | 'suffix' | 'contains' | 'any';
  readonly literal: string;
}

export type EqualityOperator = '=' | '!=';
export type NumericOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type JsonCondition =
  | { readonly kind: 'string'; readonly selector: Selector; readonly op: EqualityOperator; readonly value: WildcardValue }
  | { readonly kind: 'regex'; readonly selector: Selector; readonly op: EqualityOperator; readonly regex: CompiledRegex }
  | { readonly kind: 'number'; readonly selector: Selector; readonly op: NumericOperator; readonly value: number; readonly source: string }
  | { readonly kind: 'is'; readonly selector: Selector; readonly value: null | boolean }
  | { readonly kind: 'not-exists'; readonly selector: Selector };

export type JsonExpression =
  | { readonly kind: 'and'; readonly of: readonly JsonExpression[] }
  | { readonly kind: 'or'; readonly of: readonly JsonExpression[] }
  | JsonCondition;

/** Terms that must all occur, and terms none of which may occur. */
export interface TermGroup {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export type FilterPattern =
  | { readonly kind: 'match-all' }
  /** Matches when any group matches; without `?` there is exactly one group. */
  | { readonly kind: 'terms'; readonly groups: readonly TermGroup[] }
  | { readonly kind: 'text-regex'; readonly regex: CompiledRegex }
  | { readonly kind: 'json'; readonly expression: JsonExpression };

// ---------------------------------------------------------------------------------------------
// Parsing

const SPACE = /[ \t\r\n]/;
const TERM_CHAR = /[A-Za-z0-9_]/;
const NAME_CHAR = /[A-Za-z0-9_-]/;
/** What a JSON value may be made of without quotes: AWS's own examples use `123.123.*` and `+1000`. */
const BARE_VALUE_CHAR = /[A-Za-z0-9_.*+-]/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Numeric strings in a record: AWS does not read scientific notation out of strings. */
const DECIMAL_STRING = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function describeAt(source: string, index: number): string {
  if (index >= source.length) return 'the end of the pattern';
  const code = source.codePointAt(index) as number;
  if (code === 0x20) return 'a space';
  if (code > 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

class Parser {
  private pos = 0;
  private regexCount = 0;

  constructor(private readonly src: string) {}

  private fail(problem: string, index: number): never {
    throw new PatternSyntaxError(problem, index + 1, this.src);
  }

  private expected(what: string, index = this.pos): never {
    this.fail(`expected ${what}, found ${describeAt(this.src, index)}`, index);
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && SPACE.test(this.src[this.pos] as string)) this.pos++;
  }

  private atSpaceOrEnd(): boolean {
    return this.atEnd() || SPACE.test(this.peek());
  }

  parse(): FilterPattern {
    this.skipSpace();
    if (this.atEnd()) return { kind: 'match-all' };
    switch (this.peek()) {
      case '{':
        return { kind: 'json', expression: this.parseJsonPattern() };
      case '[':
        return this.fail("space-delimited patterns ('[...]') are not supported; use terms or a JSON pattern '{ ... }'", this.pos);
      case '%': {
        const regex = this.parseRegexLiteral();
        this.skipSpace();
        if (!this.atEnd()) this.fail("a regular expression pattern ('%...%') must stand alone", this.pos);
        return { kind: 'text-regex', regex };
      }
    }
    return { kind: 'terms', groups: this.parseTerms() };
  }

  // --- plain-text terms ---------------------------------------------------------------------

  private parseTerms(): TermGroup[] {
    const groups: TermGroup[] = [];
    let include: string[] = [];
    let exclude: string[] = [];
    const close = (): void => {
      if (include.length + exclude.length > 0) groups.push({ include, exclude });
      include = [];
      exclude = [];
    };
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) break;
      if (this.peek() === '?') {
        close();
        this.pos++;
        if (this.atSpaceOrEnd() || this.peek() === '?') this.expected("a term after '?'");
      }
      if (this.peek() === '-') {
        this.pos++;
        this.skipSpace();
        if (this.atEnd() || this.peek() === '?' || this.peek() === '-') this.expected("a term after '-'");
        exclude.push(this.parseTerm());
      } else {
        include.push(this.parseTerm());
      }
    }
    close();
    return groups;
  }

  private parseTerm(): string {
    const c = this.peek();
    if (c === '"') {
      const term = this.parseQuoted();
      if (!this.atSpaceOrEnd()) this.expected('a space after the quoted term');
      return term;
    }
    if (!TERM_CHAR.test(c)) {
      if (c === '{') this.fail("a JSON pattern ('{ ... }') must be the whole pattern", this.pos);
      if (c === '%') this.fail("a regular expression pattern ('%...%') must stand alone", this.pos);
      this.expected("a term (letters, digits and '_') or a \"quoted phrase\"");
    }
    const start = this.pos;
    while (this.pos < this.src.length && TERM_CHAR.test(this.peek())) this.pos++;
    if (!this.atSpaceOrEnd()) {
      this.fail(`quote terms that contain characters other than letters, digits and '_' (found ${describeAt(this.src, this.pos)})`, this.pos);
    }
    return this.src.slice(start, this.pos);
  }

  /** A double-quoted string; `\"` and `\\` are the only escapes. */
  private parseQuoted(): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail(`unterminated string, no closing '"' for the quote`, open);
      const c = this.src[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        if (next === undefined) this.fail(`unterminated string, no closing '"' for the quote`, open);
        if (next !== '"' && next !== '\\') this.expected(`'"' or '\\' after '\\' in a quoted string`, this.pos + 1);
        out += next;
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  // --- JSON conditions ----------------------------------------------------------------------

  private parseJsonPattern(): JsonExpression {
    const open = this.pos;
    this.pos++;
    this.skipSpace();
    const expression = this.parseOr();
    this.skipSpace();
    if (this.peek() === ')') this.fail("unexpected ')' without a matching '('", this.pos);
    if (this.peek() !== '}') {
      if (this.atEnd()) this.expected(`'}' to close the '{' from column ${open + 1}`);
      this.expected("'&&', '||' or '}'");
    }
    this.pos++;
    this.skipSpace();
    if (!this.atEnd()) this.fail(`unexpected ${describeAt(this.src, this.pos)} after the closing '}'`, this.pos);
    return expression;
  }

  private parseOr(): JsonExpression {
    const of = [this.parseAnd()];
    for (;;) {
      this.skipSpace();
      if (this.peek() === '|') {
        if (this.peek(1) !== '|') this.fail("expected '||', found a single '|'", this.pos);
        this.pos += 2;
        of.push(this.parseAnd());
      } else break;
    }
    return of.length === 1 ? (of[0] as JsonExpression) : { kind: 'or', of };
  }

  private parseAnd(): JsonExpression {
    const of = [this.parsePrimary()];
    for (;;) {
      this.skipSpace();
      if (this.peek() === '&') {
        if (this.peek(1) !== '&') this.fail("expected '&&', found a single '&'", this.pos);
        this.pos += 2;
        of.push(this.parsePrimary());
      } else break;
    }
    return of.length === 1 ? (of[0] as JsonExpression) : { kind: 'and', of };
  }

  private parsePrimary(): JsonExpression {
    this.skipSpace();
    if (this.peek() === '(') {
      const open = this.pos;
      this.pos++;
      const inner = this.parseOr();
      this.skipSpace();
      if (this.peek() !== ')') this.expected(`')' to close the '(' from column ${open + 1}`);
      this.pos++;
      return inner;
    }
    if (this.peek() !== '$') this.expected("a selector such as '$.eventName', or '('");
    return this.parseCondition();
  }

  private parseSelector(): Selector {
    const start = this.pos;
    this.pos++;
    if (this.peek() !== '.') this.expected("'.' after '$'");
    const path: (string | number)[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        this.pos++;
        const nameStart = this.pos;
        while (this.pos < this.src.length && NAME_CHAR.test(this.peek())) this.pos++;
        if (this.pos === nameStart) this.expected("a property name (letters, digits, '_' and '-') after '.'");
        path.push(this.src.slice(nameStart, this.pos));
      } else if (c === '[') {
        this.pos++;
        const digitsStart = this.pos;
        while (this.pos < this.src.length && this.peek() >= '0' && this.peek() <= '9') this.pos++;
        if (this.pos === digitsStart) this.expected("an array index after '['");
        const index = Number(this.src.slice(digitsStart, this.pos));
        if (this.peek() !== ']') this.expected("']' after the array index");
        this.pos++;
        path.push(index);
      } else break;
    }
    return { source: this.src.slice(start, this.pos), path };
  }

  private keyword(word: string): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const after = this.src[this.pos + word.length];
    return after === undefined || !/[A-Za-z0-9_]/.test(after);
  }

  private parseCondition(): JsonCondition {
    const selector = this.parseSelector();
    this.skipSpace();
    if (this.keyword('IS')) {
      this.pos += 2;
      this.skipSpace();
      if (this.keyword('NULL')) {
        this.pos += 4;
        return { kind: 'is', selector, value: null };
      }
      if (this.keyword('TRUE')) {
        this.pos += 4;
        return { kind: 'is', selector, value: true };
      }
      if (this.keyword('FALSE')) {
        this.pos += 5;
        return { kind: 'is', selector, value: false };
      }
      this.expected("NULL, TRUE or FALSE after 'IS'");
    }
    if (this.keyword('NOT')) {
      this.pos += 3;
      this.skipSpace();
      if (!this.keyword('EXISTS')) this.expected("EXISTS after 'NOT'");
      this.pos += 6;
      return { kind: 'not-exists', selector };
    }
    const op = this.parseOperator();
    this.skipSpace();
    const c = this.peek();
    if (op === '=' || op === '!=') {
      if (c === '"') {
        const value = this.parseQuoted();
        return { kind: 'string', selector, op, value: wildcardValue(value) };
      }
      if (c === '%') return { kind: 'regex', selector, op, regex: this.parseRegexLiteral() };
    }
    const start = this.pos;
    while (this.pos < this.src.length && BARE_VALUE_CHAR.test(this.peek())) this.pos++;
    const token = this.src.slice(start, this.pos);
    if (op !== '=' && op !== '!=') {
      if (token === '') this.expected(`a number after '${op}'`, start);
      if (!NUMBER.test(token)) this.fail(`expected a number after '${op}', found '${token}'`, start);
      this.endOfBareValue();
      return { kind: 'number', selector, op, value: Number(token), source: token };
    }
    if (token === '') this.expected(`a value after '${op}'`);
    this.endOfBareValue();
    if (NUMBER.test(token)) return { kind: 'number', selector, op, value: Number(token), source: token };
    return { kind: 'string', selector, op, value: wildcardValue(token) };
  }

  private endOfBareValue(): void {
    if (this.atSpaceOrEnd() || ')}&|'.includes(this.peek())) return;
    this.fail(
      `quote values that contain characters other than letters, digits, '_', '-', '+', '.' and '*' (found ${describeAt(this.src, this.pos)})`,
      this.pos,
    );
  }

  private parseOperator(): NumericOperator {
    const two = this.src.slice(this.pos, this.pos + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      this.pos += 2;
      return two;
    }
    const one = this.peek();
    if (one === '=' || one === '<' || one === '>') {
      this.pos++;
      return one;
    }
    this.expected("an operator ('=', '!=', '<', '<=', '>', '>=', 'IS NULL', 'IS TRUE', 'IS FALSE' or 'NOT EXISTS') after the selector");
  }

  // --- regular expressions ------------------------------------------------------------------

  private parseRegexLiteral(): CompiledRegex {
    const open = this.pos;
    let i = open + 1;
    for (;;) {
      if (i >= this.src.length) this.fail("unterminated regular expression, no closing '%' for the '%'", open);
      const c = this.src[i];
      if (c === '%') break;
      i += c === '\\' ? 2 : 1;
    }
    if (i === open + 1) this.fail("expected a regular expression between '%' and '%'", open + 1);
    this.regexCount++;
    if (this.regexCount > MAX_PATTERN_REGEXES) {
      this.fail(`a pattern may contain at most ${MAX_PATTERN_REGEXES} regular expressions`, open);
    }
    const regex = new RegexParser(this.src, open + 1, i).compile();
    this.pos = i + 1;
    return regex;
  }
}

function wildcardValue(source: string): WildcardValue {
  let start = 0;
  while (start < source.length && source[start] === '*') start++;
  if (start === source.length && source.length > 0) return { source, mode: 'any', literal: '' };
  let end = source.length;
  while (end > start && source[end - 1] === '*') end--;
  const literal = source.slice(start, end);
  const leading = start > 0;
  const trailing = end < source.length;
  const mode = leading && trailing ? 'contains' : leading ? 'suffix' : trailing ? 'prefix' : 'exact';
  return { source, mode, literal };
}

export function parseFilterPattern(source: string): FilterPattern {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new PatternSyntaxError(
      `a pattern may be at most ${MAX_PATTERN_LENGTH} characters long, this one has ${source.length}`,
      MAX_PATTERN_LENGTH + 1,
      source,
    );
  }
  return new Parser(source).parse();
}

// ---------------------------------------------------------------------------------------------
// Regular expressions
//
// CloudWatch's regex dialect has no groups, so every pattern is a regular language. It is run by
// a Thompson-NFA simulation (each input character advances a set of states) instead of a
// backtracking engine: matching costs O(text length x pattern size) whatever the input, so a
// hostile record can never make `a*a*a*a*b` or `.*x` take exponential or quadratic time.

type Atom =
  | { readonly kind: 'char'; readonly code: number }
  | { readonly kind: 'set'; readonly ranges: readonly number[]; readonly negated: boolean }
  | { readonly kind: 'dot' }
  | { readonly kind: 'start' }
  | { readonly kind: 'end' };

interface Piece {
  readonly atom: Atom;
  readonly min: number;
  readonly max: number;
}

const MAX_REPEAT = 1000;
const MAX_PROGRAM = 10_000;
const LITERAL_CHAR = /[A-Za-z0-9:_#=@/;, -]/;
const CLASS_EXTRA_CHAR = /[\^$?{}|*+.[]/;
const ESCAPABLE = /[!-/:-@[-`{-~]/;

const DIGIT: readonly number[] = [48, 57];
const WORD: readonly number[] = [48, 57, 65, 90, 95, 95, 97, 122];
const WHITESPACE: readonly number[] = [9, 13, 32, 32];

class RegexParser {
  constructor(
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
  ) {}

  private fail(problem: string, index: number): never {
    throw new PatternSyntaxError(problem, index + 1, this.src);
  }

  compile(): CompiledRegex {
    const alternatives = this.parseAlternatives();
    return new CompiledRegex(this.src.slice(this.start, this.end), alternatives, () =>
      this.fail('the regular expression is too large', this.start - 1),
    );
  }

  private parseAlternatives(): Piece[][] {
    const alternatives: Piece[][] = [[]];
    let i = this.start;
    while (i < this.end) {
      const c = this.src[i] as string;
      if (c === '|') {
        alternatives.push([]);
        i++;
        continue;
      }
      if ('*+?{'.includes(c)) this.fail(`nothing to repeat before '${c}'`, i);
      const [atom, afterAtom] = this.parseAtom(i);
      const [min, max, afterQuantifier] = this.parseQuantifier(afterAtom);
      if ((atom.kind === 'start' || atom.kind === 'end') && afterQuantifier !== afterAtom) {
        this.fail("an anchor ('^' or '$') cannot be repeated", afterAtom);
      }
      (alternatives[alternatives.length - 1] as Piece[]).push({ atom, min, max });
      i = afterQuantifier;
    }
    return alternatives;
  }

  private unsupported(i: number): never {
    const code = this.src.codePointAt(i) as number;
    if (code > 0x7f) this.fail('multi-byte characters are not supported in regular expressions', i);
    const c = this.src[i] as string;
    if (c === '(' || c === ')') this.fail('parentheses are not supported in regular expressions', i);
    this.fail(`${describeAt(this.src, i)} is not supported in a regular expression`, i);
  }

  private parseAtom(i: number): [Atom, number] {
    const c = this.src[i] as string;
    switch (c) {
      case '^':
        return [{ kind: 'start' }, i + 1];
      case '$':
        return [{ kind: 'end' }, i + 1];
      case '.':
        return [{ kind: 'dot' }, i + 1];
      case '[':
        return this.parseClass(i);
      case '\\':
        return this.parseEscape(i, false);
      case ']':
      case '}':
        this.fail(`unexpected '${c}' without a matching opening bracket`, i);
    }
    if (LITERAL_CHAR.test(c)) return [{ kind: 'char', code: c.charCodeAt(0) }, i + 1];
    this.unsupported(i);
  }

  private parseEscape(i: number, inClass: boolean): [Atom, number] {
    const next = this.src[i + 1];
    if (next === undefined || i + 1 >= this.end) this.fail("expected a character after '\\'", i + 1);
    switch (next) {
      case 'd':
        return [{ kind: 'set', ranges: DIGIT, negated: false }, i + 2];
      case 'w':
        return [{ kind: 'set', ranges: WORD, negated: false }, i + 2];
      case 's':
        return [{ kind: 'set', ranges: WHITESPACE, negated: false }, i + 2];
      case 'D':
      case 'W':
      case 'S':
        if (inClass) this.fail(`'\\${next}' is not supported inside a character class`, i);
        return [{ kind: 'set', ranges: next === 'D' ? DIGIT : next === 'W' ? WORD : WHITESPACE, negated: true }, i + 2];
      case 't':
        return [{ kind: 'char', code: 9 }, i + 2];
      case 'n':
        return [{ kind: 'char', code: 10 }, i + 2];
      case 'r':
        return [{ kind: 'char', code: 13 }, i + 2];
    }
    if (ESCAPABLE.test(next)) return [{ kind: 'char', code: next.charCodeAt(0) }, i + 2];
    if ((this.src.codePointAt(i + 1) as number) > 0x7f) this.unsupported(i + 1);
    const shown = /[!-~]/.test(next) ? `'\\${next}'` : `'\\' followed by ${describeAt(this.src, i + 1)}`;
    this.fail(`unsupported escape ${shown}`, i);
  }

  private parseClass(open: number): [Atom, number] {
    let i = open + 1;
    let negated = false;
    if (this.src[i] === '^' && i < this.end) {
      negated = true;
      i++;
    }
    const ranges: number[] = [];
    for (;;) {
      if (i >= this.end) this.fail("unterminated character class, no closing ']' for the '['", open);
      if (this.src[i] === ']') {
        if (ranges.length === 0) this.fail("empty character class '[]'", open);
        return [{ kind: 'set', ranges, negated }, i + 1];
      }
      const [low, afterLow] = this.classMember(i);
      if (typeof low !== 'number') {
        ranges.push(...low);
        i = afterLow;
        continue;
      }
      if (this.src[afterLow] === '-' && afterLow + 1 < this.end && this.src[afterLow + 1] !== ']') {
        const [high, afterHigh] = this.classMember(afterLow + 1);
        if (typeof high !== 'number') this.fail('a character range cannot end with a class escape', afterLow + 1);
        if (high < low) this.fail('character range out of order', i);
        ranges.push(low, high);
        i = afterHigh;
      } else {
        ranges.push(low, low);
        i = afterLow;
      }
    }
  }

  /** One character of a class, or the ranges of a class escape such as `\d`. */
  private classMember(i: number): [number | readonly number[], number] {
    const c = this.src[i] as string;
    if (c === '\\') {
      const [atom, after] = this.parseEscape(i, true);
      return [atom.kind === 'char' ? atom.code : atom.kind === 'set' ? atom.ranges : [], after];
    }
    if (LITERAL_CHAR.test(c) || CLASS_EXTRA_CHAR.test(c)) return [c.charCodeAt(0), i + 1];
    this.unsupported(i);
  }

  /** `[min, max, next index]`; `[1, 1, i]` when there is no quantifier at `i`. */
  private parseQuantifier(i: number): [number, number, number] {
    if (i >= this.end) return [1, 1, i];
    let min: number;
    let max: number;
    let j: number;
    const c = this.src[i];
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
      j = i + 1;
    } else if (c === '{') {
      const match = /^\{ *(\d+) *(?:(,) *(\d*) *)?\}/.exec(this.src.slice(i, this.end));
      if (match === null) this.fail("expected a repetition count such as '{2}', '{2,}' or '{1,3}' after '{'", i);
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' || match[3] === undefined ? Infinity : Number(match[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) {
        this.fail(`repetition counts above ${MAX_REPEAT} are not supported`, i);
      }
      if (max < min) this.fail('repetition range out of order', i);
      j = i + match[0].length;
    } else {
      return [1, 1, i];
    }
    // A lazy quantifier (`*?`) finds the same matches; only their length would differ.
    if (j < this.end && this.src[j] === '?') j++;
    if (j < this.end && '*+?{'.includes(this.src[j] as string)) {
      this.fail('a quantifier cannot follow another quantifier', j);
    }
    return [min, max, j];
  }
}

const OP_CHAR = 0;
const OP_SET = 1;
const OP_DOT = 2;
const OP_SPLIT = 3;
const OP_JUMP = 4;
const OP_ASSERT_START = 5;
const OP_ASSERT_END = 6;
const OP_MATCH = 7;

/** A compiled CloudWatch regular expression; `test` reports whether it matches anywhere in a text. */
export class CompiledRegex {
  /** The expression as written between the `%` signs. */
  readonly source: string;
  /**
   * One literal per alternative that every match of that alternative contains, or undefined when
   * some alternative has none.
   */
  readonly requiredLiterals: readonly string[] | undefined;

  /** Whether every alternative is a plain string, so that the required literals are the whole answer. */
  private readonly literalOnly: boolean;
  private readonly ops: Uint8Array;
  private readonly arg1: Int32Array;
  private readonly arg2: Int32Array;
  private readonly sets: { readonly ranges: readonly number[]; readonly negated: boolean }[] = [];
  private current: Int32Array;
  private next: Int32Array;
  private readonly marks: Int32Array;
  private readonly stack: Int32Array;
  private generation = 0;

  constructor(source: string, alternatives: readonly (readonly Piece[])[], tooLarge: () => never) {
    this.source = source;
    this.requiredLiterals = requiredLiterals(alternatives);
    this.literalOnly = alternatives.every((pieces) =>
      pieces.every((p) => p.atom.kind === 'char' && p.min === p.max && p.min >= 1 && p.min <= 64),
    );
    const ops: number[] = [];
    const arg1: number[] = [];
    const arg2: number[] = [];
    const emit = (op: number, a = 0, b = 0): number => {
      if (ops.length >= MAX_PROGRAM) tooLarge();
      ops.push(op);
      arg1.push(a);
      arg2.push(b);
      return ops.length - 1;
    };
    const emitAtom = (atom: Atom): void => {
      switch (atom.kind) {
        case 'char':
          emit(OP_CHAR, atom.code);
          break;
        case 'set':
          this.sets.push({ ranges: atom.ranges, negated: atom.negated });
          emit(OP_SET, this.sets.length - 1);
          break;
        case 'dot':
          emit(OP_DOT);
          break;
        case 'start':
          emit(OP_ASSERT_START);
          break;
        case 'end':
          emit(OP_ASSERT_END);
          break;
      }
    };
    const emitPiece = (piece: Piece): void => {
      for (let k = 0; k < piece.min; k++) emitAtom(piece.atom);
      if (piece.max === Infinity) {
        const split = emit(OP_SPLIT, ops.length + 1);
        emitAtom(piece.atom);
        emit(OP_JUMP, split);
        arg2[split] = ops.length;
        return;
      }
      const skips: number[] = [];
      for (let k = piece.min; k < piece.max; k++) {
        skips.push(emit(OP_SPLIT, ops.length + 1));
        emitAtom(piece.atom);
      }
      for (const s of skips) arg2[s] = ops.length;
    };
    const exits: number[] = [];
    alternatives.forEach((pieces, index) => {
      const last = index === alternatives.length - 1;
      const split = last ? -1 : emit(OP_SPLIT, ops.length + 1);
      for (const piece of pieces) emitPiece(piece);
      if (!last) {
        exits.push(emit(OP_JUMP));
        arg2[split] = ops.length;
      }
    });
    for (const e of exits) arg1[e] = ops.length;
    emit(OP_MATCH);

    this.ops = Uint8Array.from(ops);
    this.arg1 = Int32Array.from(arg1);
    this.arg2 = Int32Array.from(arg2);
    this.current = new Int32Array(ops.length);
    this.next = new Int32Array(ops.length);
    this.marks = new Int32Array(ops.length);
    this.stack = new Int32Array(2 * ops.length + 2);
  }

  test(text: string): boolean {
    const literals = this.requiredLiterals;
    if (literals !== undefined && !literals.some((l) => text.includes(l))) return false;
    return this.literalOnly || this.run(text);
  }

  private nextGeneration(): void {
    if (this.generation >= 0x3fffffff) {
      this.marks.fill(0);
      this.generation = 0;
    }
    this.generation++;
  }

  /** Adds the states reachable from `pc` without reading a character; -1 when MATCH is reachable. */
  private closure(list: Int32Array, count: number, pc: number, pos: number, length: number): number {
    const { ops, arg1, arg2, marks, stack } = this;
    const generation = this.generation;
    let sp = 0;
    stack[sp++] = pc;
    while (sp > 0) {
      const at = stack[--sp] as number;
      if (marks[at] === generation) continue;
      marks[at] = generation;
      switch (ops[at]) {
        case OP_JUMP:
          stack[sp++] = arg1[at] as number;
          break;
        case OP_SPLIT:
          stack[sp++] = arg2[at] as number;
          stack[sp++] = arg1[at] as number;
          break;
        case OP_ASSERT_START:
          if (pos === 0) stack[sp++] = at + 1;
          break;
        case OP_ASSERT_END:
          if (pos === length) stack[sp++] = at + 1;
          break;
        case OP_MATCH:
          return -1;
        default:
          list[count++] = at;
      }
    }
    return count;
  }

  private accepts(pc: number, code: number): boolean {
    switch (this.ops[pc]) {
      case OP_CHAR:
        return this.arg1[pc] === code;
      case OP_DOT:
        return code !== 10 && code !== 13;
      case OP_SET: {
        const set = this.sets[this.arg1[pc] as number] as { ranges: readonly number[]; negated: boolean };
        const r = set.ranges;
        let inside = false;
        for (let k = 0; k < r.length; k += 2) {
          if (code >= (r[k] as number) && code <= (r[k + 1] as number)) {
            inside = true;
            break;
          }
        }
        return inside !== set.negated;
      }
      default:
        return false;
    }
  }

  private run(text: string): boolean {
    const length = text.length;
    this.nextGeneration();
    let count = this.closure(this.current, 0, 0, 0, length);
    if (count < 0) return true;
    let pos = 0;
    while (pos < length) {
      let code = text.charCodeAt(pos);
      let width = 1;
      if (code >= 0xd800 && code <= 0xdbff && pos + 1 < length) {
        const low = text.charCodeAt(pos + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = (code - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      const after = pos + width;
      this.nextGeneration();
      const current = this.current;
      const next = this.next;
      let nextCount = 0;
      for (let k = 0; k < count; k++) {
        const pc = current[k] as number;
        if (this.accepts(pc, code)) {
          nextCount = this.closure(next, nextCount, pc + 1, after, length);
          if (nextCount < 0) return true;
        }
      }
      // The search is unanchored: a match may start at any position.
      nextCount = this.closure(next, nextCount, 0, after, length);
      if (nextCount < 0) return true;
      this.current = next;
      this.next = current;
      count = nextCount;
      pos = after;
    }
    return false;
  }
}

function requiredLiterals(alternatives: readonly (readonly Piece[])[]): string[] | undefined {
  const result: string[] = [];
  for (const pieces of alternatives) {
    let best = '';
    let run = '';
    const cut = (): void => {
      if (run.length > best.length) best = run;
      run = '';
    };
    for (const { atom, min, max } of pieces) {
      if (atom.kind !== 'char' || min === 0) {
        cut();
        continue;
      }
      const c = String.fromCharCode(atom.code);
      if (min === max && min <= 64) {
        run += c.repeat(min);
        continue;
      }
      // The first repetition ends the run before it; the last one starts the run after it.
      run += c;
      cut();
      run = c;
    }
    cut();
    if (best === '') return undefined;
    result.push(best);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const MISSING: unique symbol = Symbol('missing');

function resolve(root: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = root;
  for (const step of path) {
    if (typeof step === 'string') {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step)) {
        return MISSING;
      }
      current = (current as Record<string, unknown>)[step];
    } else {
      if (!Array.isArray(current) || step >= current.length) return MISSING;
      current = current[step];
    }
  }
  return current;
}

/** The text a string comparison sees: strings as they are, numbers as JavaScript writes them. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL_STRING.test(value)) return Number(value);
  return undefined;
}

function wildcardMatches(value: WildcardValue, text: string): boolean {
  switch (value.mode) {
    case 'exact':
      return text === value.literal;
    case 'prefix':
      return text.startsWith(value.literal);
    case 'suffix':
      return text.endsWith(value.literal);
    case 'contains':
      return text.includes(value.literal);
    case 'any':
      return true;
  }
}

function compareNumbers(op: NumericOperator, left: number, right: number): boolean {
  switch (op) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

/**
 * A condition on a field that is missing, or that holds an object, an array, or a value of the
 * wrong type, is false, whether its operator is `=` or `!=`: AWS's console test of
 * `$.userIdentity.invokedBy != "x"` does not match a record without `invokedBy`; only
 * `NOT EXISTS` is true for a missing field.
 */
function evaluate(expression: JsonExpression, root: object): boolean {
  switch (expression.kind) {
    case 'and':
      for (const e of expression.of) if (!evaluate(e, root)) return false;
      return true;
    case 'or':
      for (const e of expression.of) if (evaluate(e, root)) return true;
      return false;
    case 'string': {
      const text = scalarText(resolve(root, expression.selector.path));
      if (text === undefined) return false;
      return wildcardMatches(expression.value, text) === (expression.op === '=');
    }
    case 'regex': {
      const text = scalarText(resolve(root, expression.selector.path));
      if (text === undefined) return false;
      return expression.regex.test(text) === (expression.op === '=');
    }
    case 'number': {
      const n = numericValue(resolve(root, expression.selector.path));
      return n !== undefined && compareNumbers(expression.op, n, expression.value);
    }
    case 'is':
      return resolve(root, expression.selector.path) === expression.value;
    case 'not-exists':
      return resolve(root, expression.selector.path) === MISSING;
  }
}

/**
 * Whether `record` (the parsed record) matches. JSON patterns look at `record`; terms and
 * `%regex%` patterns at `rawText`, the record's JSON text, as CloudWatch sees a log event's
 * message. Matching is case-sensitive throughout.
 */
export function matchesPattern(pattern: FilterPattern, record: unknown, rawText: string): boolean {
  switch (pattern.kind) {
    case 'match-all':
      return true;
    case 'terms':
      for (const group of pattern.groups) {
        if (group.include.every((t) => rawText.includes(t)) && !group.exclude.some((t) => rawText.includes(t))) {
          return true;
        }
      }
      return false;
    case 'text-regex':
      return pattern.regex.test(rawText);
    case 'json':
      return record !== null && typeof record === 'object' && evaluate(pattern.expression, record);
  }
}

// ---------------------------------------------------------------------------------------------
// Needles

/**
 * Characters a number can be written with. A string condition whose literal is made of only these
 * may match a number field, whose JSON text can differ from `String(n)` (`1e2` is `100`), so such
 * a literal is no needle.
 */
const NUMERIC_LOOKING = /^[0-9.eE+-]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Needle for a literal that a decoded field value contains. */
function valueNeedle(literal: string): Needle {
  if (NUMERIC_LOOKING.test(literal)) return ANY_RECORD;
  // JSON.stringify writes a lone surrogate as `\udXXX`; cut the literal there like at a quote.
  return textNeedle(literal.replace(LONE_SURROGATE, '"'));
}

function selectorNeedle(selector: Selector): Needle {
  for (let k = selector.path.length - 1; k >= 0; k--) {
    const step = selector.path[k];
    if (typeof step === 'string') return keyNeedle(step);
  }
  return ANY_RECORD;
}

function jsonNeedle(expression: JsonExpression): Needle {
  switch (expression.kind) {
    case 'and':
      return allOf(expression.of.map(jsonNeedle));
    case 'or':
      return anyOf(expression.of.map(jsonNeedle));
    case 'string': {
      const key = selectorNeedle(expression.selector);
      return expression.op === '=' ? allOf([key, valueNeedle(expression.value.literal)]) : key;
    }
    case 'regex': {
      const key = selectorNeedle(expression.selector);
      const literals = expression.regex.requiredLiterals;
      if (expression.op !== '=' || literals === undefined) return key;
      return allOf([key, anyOf(literals.map(valueNeedle))]);
    }
    case 'number':
      return selectorNeedle(expression.selector);
    case 'is':
      // `null`, `true` and `false` have exactly one spelling in JSON.
      return allOf([selectorNeedle(expression.selector), textNeedle(String(expression.value))]);
    case 'not-exists':
      return ANY_RECORD;
  }
}

/** A literal condition on the raw record text that every record the pattern matches meets. */
export function patternNeedle(pattern: FilterPattern): Needle {
  switch (pattern.kind) {
    case 'match-all':
      return ANY_RECORD;
    case 'terms':
      return anyOf(pattern.groups.map((g) => allOf(g.include.map(textNeedle))));
    case 'text-regex': {
      const literals = pattern.regex.requiredLiterals;
      return literals === undefined ? ANY_RECORD : anyOf(literals.map(textNeedle));
    }
    case 'json':
      return jsonNeedle(pattern.expression);
  }
}
