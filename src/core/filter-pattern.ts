/**
 * CloudWatch Logs filter patterns, as metric filters, subscription filters and FilterLogEvents
 * read them, evaluated locally over CloudTrail records (SPEC section 7).
 *
 * Three forms, told apart by the first character:
 * - `{ ... }` JSON conditions on the record's fields, combined with `&&`, `||` and parentheses;
 * - `%...%` one regular expression searched for in the record's raw text;
 * - anything else: terms and "quoted phrases" that must all occur in the raw text, and `-term` to
 *   exclude one. When every term starts with `?`, any one of them is enough; `?` terms mixed with
 *   plain terms are ignored, as CloudWatch ignores them (`?ERROR ?ARGUMENTS REQUEST` means
 *   `REQUEST`). The empty pattern matches everything.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are refused: they apply to non-JSON logs only, and
 * CloudTrail records are JSON.
 */
import { describeAt, PatternSyntaxError } from './filter-pattern-error.js';
import { CompiledRegex, RegexParser } from './filter-regex.js';
import { allOf, anyOf, ANY_RECORD, keyNeedle, textNeedle, type Needle } from './needle.js';

export { PatternSyntaxError } from './filter-pattern-error.js';
export type { CompiledRegex } from './filter-regex.js';

export const MAX_PATTERN_LENGTH = 1024;
/** CloudWatch's quota on regular expressions in one filter pattern. */
export const MAX_PATTERN_REGEXES = 2;

// ---------------------------------------------------------------------------------------------
// The syntax tree

/** `*` in a selector (`$.*`, `$.list[*]`): every member of an object, every element of an array. */
export const ANY_CHILD: unique symbol = Symbol('any child');
export type PathStep = string | number | typeof ANY_CHILD;

/** A JSON property path: `$.a.b[2].c` is `['a', 'b', 2, 'c']`, `$.list[*].id` is `['list', ANY_CHILD, 'id']`. */
export interface Selector {
  readonly source: string;
  readonly path: readonly PathStep[];
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

/**
 * One condition. `string` is a quoted value, or a bare one that is not a number; `number` is a
 * bare number (`source` keeps how it was written, which is what a string field is compared with).
 */
export type JsonCondition =
  | { readonly kind: 'string'; readonly selector: Selector; readonly op: EqualityOperator; readonly value: WildcardValue; readonly quoted: boolean }
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
  /**
   * Matches when any group matches. Without `?` there is one group; when every term has a `?`,
   * one group per term. `ignored` lists the `?` terms of a pattern that also has plain terms,
   * which CloudWatch ignores (present only when there are some).
   */
  | { readonly kind: 'terms'; readonly groups: readonly TermGroup[]; readonly ignored?: readonly string[] }
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

interface Term {
  readonly text: string;
  readonly optional: boolean;
  readonly exclude: boolean;
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
        return this.fail(
          "space-delimited patterns ('[...]') apply to non-JSON logs only, and CloudTrail events are JSON; use terms or a JSON pattern '{ ... }'",
          this.pos,
        );
      case '%': {
        const regex = this.parseRegexLiteral();
        this.skipSpace();
        if (!this.atEnd()) this.fail("a regular expression pattern ('%...%') must stand alone", this.pos);
        return { kind: 'text-regex', regex };
      }
    }
    return this.parseTerms();
  }

  // --- plain-text terms ---------------------------------------------------------------------

  private parseTerms(): FilterPattern {
    const terms: Term[] = [];
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) break;
      let optional = false;
      if (this.peek() === '?') {
        optional = true;
        this.pos++;
        if (this.atSpaceOrEnd() || this.peek() === '?') this.expected("a term after '?'");
      }
      if (this.peek() === '-') {
        this.pos++;
        this.skipSpace();
        if (this.atEnd() || this.peek() === '?' || this.peek() === '-') this.expected("a term after '-'");
        terms.push({ text: this.parseTerm(), optional, exclude: true });
      } else {
        terms.push({ text: this.parseTerm(), optional, exclude: false });
      }
    }
    if (terms.every((t) => t.optional)) {
      return { kind: 'terms', groups: terms.map((t) => (t.exclude ? { include: [], exclude: [t.text] } : { include: [t.text], exclude: [] })) };
    }
    const plain = terms.filter((t) => !t.optional);
    const group: TermGroup = { include: plain.filter((t) => !t.exclude).map((t) => t.text), exclude: plain.filter((t) => t.exclude).map((t) => t.text) };
    const ignored = terms.filter((t) => t.optional).map((t) => `?${t.exclude ? '-' : ''}${formatTerm(t.text)}`);
    return ignored.length === 0 ? { kind: 'terms', groups: [group] } : { kind: 'terms', groups: [group], ignored };
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

  /** A string quoted with `quote` (`"` unless told); `\<quote>` and `\\` are the only escapes. */
  private parseQuoted(quote = '"'): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail(`unterminated string, no closing '${quote}' for the quote`, open);
      const c = this.src[this.pos] as string;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        if (next === undefined) this.fail(`unterminated string, no closing '${quote}' for the quote`, open);
        if (next !== quote && next !== '\\') this.expected(`'${quote}' or '\\' after '\\' in a quoted string`, this.pos + 1);
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

  /**
   * `$.name`, `$.a.b`, `$.list[0]`, `$.list[*].id`, `$.*`, and bracket notation for names with
   * other characters: `$.['cluster.name']`, `$.a["b c"]`.
   */
  private parseSelector(): Selector {
    const start = this.pos;
    this.pos++;
    if (this.peek() !== '.') this.expected("'.' after '$'");
    const path: PathStep[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        this.pos++;
        if (this.peek() === '[') continue;
        if (this.peek() === '*') {
          this.pos++;
          path.push(ANY_CHILD);
          continue;
        }
        const nameStart = this.pos;
        while (this.pos < this.src.length && NAME_CHAR.test(this.peek())) this.pos++;
        if (this.pos === nameStart) this.expected("a property name (letters, digits, '_' and '-'), '*' or '[' after '.'");
        path.push(this.src.slice(nameStart, this.pos));
      } else if (c === '[') {
        this.pos++;
        path.push(this.parseBracket());
      } else break;
    }
    return { source: this.src.slice(start, this.pos), path };
  }

  /** The inside of `[...]` after the `[`: an index, `*`, or a quoted property name; consumes the `]`. */
  private parseBracket(): PathStep {
    const c = this.peek();
    let step: PathStep;
    if (c === '*') {
      this.pos++;
      step = ANY_CHILD;
    } else if (c === "'" || c === '"') {
      step = this.parseQuoted(c);
    } else {
      const digitsStart = this.pos;
      while (this.pos < this.src.length && this.peek() >= '0' && this.peek() <= '9') this.pos++;
      if (this.pos === digitsStart) this.expected("an array index, '*' or a quoted property name after '['");
      step = Number(this.src.slice(digitsStart, this.pos));
      if (!Number.isSafeInteger(step)) this.fail('the array index is too large', digitsStart);
    }
    if (this.peek() !== ']') this.expected("']'");
    this.pos++;
    return step;
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
        return { kind: 'string', selector, op, value: wildcardValue(value), quoted: true };
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
    // CloudWatch refuses `{ $.v = null }`: a null is tested with IS NULL.
    if (token === 'null') this.fail(`null is not a value to compare with; use '${selector.source} IS NULL'`, start);
    if (NUMBER.test(token)) return { kind: 'number', selector, op, value: Number(token), source: token };
    return { kind: 'string', selector, op, value: wildcardValue(token), quoted: false };
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
// Writing a pattern back

function quoteText(text: string, quote = '"'): string {
  return `${quote}${text.replace(quote === '"' ? /["\\]/g : /['\\]/g, '\\$&')}${quote}`;
}

function formatTerm(text: string): string {
  return /^[A-Za-z0-9_]+$/.test(text) ? text : quoteText(text);
}

function formatSelector(selector: Selector): string {
  let out = '$';
  for (const step of selector.path) {
    // A bracket right after `$` needs the dot: `$.['a.b']`, `$.[0]`.
    const dot = out === '$' ? '.' : '';
    if (step === ANY_CHILD) out += '.*';
    else if (typeof step === 'number') out += `${dot}[${step}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(step)) out += `.${step}`;
    else out += `${dot}[${quoteText(step, "'")}]`;
  }
  return out;
}

function formatExpression(e: JsonExpression, parent: 'and' | 'or' | undefined): string {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const text = e.of.map((x) => formatExpression(x, e.kind)).join(e.kind === 'and' ? ' && ' : ' || ');
      return parent === undefined || (parent === 'or' && e.kind === 'and') ? text : `(${text})`;
    }
    case 'string': {
      const v = e.value.source;
      return `${formatSelector(e.selector)} ${e.op} ${e.quoted || !/^[A-Za-z0-9_.*+-]+$/.test(v) || NUMBER.test(v) || v === 'null' ? quoteText(v) : v}`;
    }
    case 'regex':
      return `${formatSelector(e.selector)} ${e.op} %${e.regex.source}%`;
    case 'number':
      return `${formatSelector(e.selector)} ${e.op} ${e.source}`;
    case 'is':
      return `${formatSelector(e.selector)} IS ${e.value === null ? 'NULL' : e.value ? 'TRUE' : 'FALSE'}`;
    case 'not-exists':
      return `${formatSelector(e.selector)} NOT EXISTS`;
  }
}

/**
 * The pattern as text that parses back to the same pattern: canonical spacing, quotes only where
 * needed, bracket notation for property names with other characters. The `?` terms a pattern
 * ignores are left out.
 */
export function formatFilterPattern(pattern: FilterPattern): string {
  switch (pattern.kind) {
    case 'match-all':
      return '';
    case 'terms': {
      const groups = pattern.groups;
      if (groups.length === 1) {
        const g = groups[0] as TermGroup;
        return [...g.include.map(formatTerm), ...g.exclude.map((t) => `-${formatTerm(t)}`)].join(' ');
      }
      return groups
        .map((g) => (g.include.length === 1 ? `?${formatTerm(g.include[0] as string)}` : `?-${formatTerm(g.exclude[0] as string)}`))
        .join(' ');
    }
    case 'text-regex':
      return `%${pattern.regex.source}%`;
    case 'json':
      return `{ ${formatExpression(pattern.expression, undefined)} }`;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** A value a selector reaches, and how: its parent and the step from it (for a number's JSON text). */
interface Node {
  readonly value: unknown;
  readonly parent: Node | undefined;
  readonly step: string | number | undefined;
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | undefined = node; n?.parent !== undefined; n = n.parent) path.push(n.step as string | number);
  return path.reverse();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every value `path` reaches from `root`; more than one only through `*`. */
function resolveNodes(root: unknown, path: readonly PathStep[]): Node[] {
  let nodes: Node[] = [{ value: root, parent: undefined, step: undefined }];
  for (const step of path) {
    const next: Node[] = [];
    for (const node of nodes) {
      const current = node.value;
      if (step === ANY_CHILD) {
        if (Array.isArray(current)) for (let i = 0; i < current.length; i++) next.push({ value: current[i], parent: node, step: i });
        else if (isPlainObject(current)) for (const key of Object.keys(current)) next.push({ value: current[key], parent: node, step: key });
      } else if (typeof step === 'string') {
        if (isPlainObject(current) && Object.hasOwn(current, step)) next.push({ value: current[step], parent: node, step });
      } else if (Array.isArray(current) && step < current.length) {
        next.push({ value: current[step], parent: node, step });
      }
    }
    nodes = next;
    if (nodes.length === 0) break;
  }
  return nodes;
}

/** The value at a path without `*`, or MISSING. */
const MISSING: unique symbol = Symbol('missing');
function resolveOne(root: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = root;
  for (const step of path) {
    if (typeof step === 'string') {
      if (!isPlainObject(current) || !Object.hasOwn(current, step)) return MISSING;
      current = current[step];
    } else {
      if (!Array.isArray(current) || step >= current.length) return MISSING;
      current = current[step];
    }
  }
  return current;
}

function nodesOf(root: unknown, selector: Selector): Node[] {
  // Without `*` there is at most one value: no chain of nodes to build.
  if (selector.path.includes(ANY_CHILD)) return resolveNodes(root, selector.path);
  const value = resolveOne(root, selector.path as readonly (string | number)[]);
  return value === MISSING ? [] : [{ value, parent: undefined, step: undefined }];
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

/** Evaluation of one record: the parsed record, and its JSON text for numbers' own spelling. */
class RecordView {
  private index: RawJsonIndex | undefined;

  constructor(
    readonly root: object,
    private readonly raw: string,
  ) {}

  /** The JSON text of the number at `node` as the record writes it (`1e2`, `100.0`), else JavaScript's. */
  numberText(node: Node, selector: Selector): string {
    this.index ??= new RawJsonIndex(this.raw);
    const path = node.parent === undefined ? (selector.path as readonly (string | number)[]) : pathOf(node);
    return this.index.textAt(path) ?? String(node.value);
  }
}

/**
 * Whether one value a selector reached meets a condition. AWS's typing rules (SPEC section 7):
 * a number literal against a string compares text (`"1"` = 1, `"1.0"` != 1, `"Alpha"` != 1), and
 * `< > <= >=` never hold for a string; a quoted (or non-numeric) literal or a regex against a
 * number compares the number's JSON text; objects, arrays, booleans and null only answer `IS`.
 */
function nodeMeets(condition: JsonCondition, node: Node, view: RecordView): boolean {
  const v = node.value;
  switch (condition.kind) {
    case 'string': {
      const text = typeof v === 'string' ? v : typeof v === 'number' ? view.numberText(node, condition.selector) : undefined;
      if (text === undefined) return false;
      return wildcardMatches(condition.value, text) === (condition.op === '=');
    }
    case 'regex': {
      const text = typeof v === 'string' ? v : typeof v === 'number' ? view.numberText(node, condition.selector) : undefined;
      if (text === undefined) return false;
      return condition.regex.test(text) === (condition.op === '=');
    }
    case 'number':
      if (typeof v === 'number') return compareNumbers(condition.op, v, condition.value);
      if (typeof v === 'string') {
        if (condition.op === '=') return v === condition.source;
        if (condition.op === '!=') return v !== condition.source;
      }
      return false;
    case 'is':
      // AWS's recorded behaviour: IS NULL also holds for an array that holds a null.
      if (condition.value === null) return v === null || (Array.isArray(v) && v.includes(null));
      return v === condition.value;
    case 'not-exists':
      return false;
  }
}

/**
 * A condition on a field that is missing, or that holds a value of another type, is false,
 * whether its operator is `=` or `!=`: AWS's console test of `$.userIdentity.invokedBy != "x"`
 * does not match a record without `invokedBy`; only `NOT EXISTS` is true for a missing field.
 * A selector with `*` reaches several values: the condition holds when it holds for one of them.
 */
function evaluate(expression: JsonExpression, view: RecordView): boolean {
  switch (expression.kind) {
    case 'and':
      for (const e of expression.of) if (!evaluate(e, view)) return false;
      return true;
    case 'or':
      for (const e of expression.of) if (evaluate(e, view)) return true;
      return false;
    case 'not-exists':
      return nodesOf(view.root, expression.selector).length === 0;
    default:
      for (const node of nodesOf(view.root, expression.selector)) if (nodeMeets(expression, node, view)) return true;
      return false;
  }
}

/** AWS: "You can match everything in your log events with double quotation marks" (`" "`). */
function isBlank(term: string): boolean {
  return term.trim() === '';
}

/**
 * Whether `record` (the parsed record) matches. JSON patterns look at `record`, and at `rawText`
 * for the spelling of numbers; terms and `%regex%` patterns at `rawText`, the record's JSON text,
 * as CloudWatch sees a log event's message. Matching is case-sensitive throughout.
 */
export function matchesPattern(pattern: FilterPattern, record: unknown, rawText: string): boolean {
  switch (pattern.kind) {
    case 'match-all':
      return true;
    case 'terms':
      for (const group of pattern.groups) {
        if (group.include.every((t) => isBlank(t) || rawText.includes(t)) && !group.exclude.some((t) => rawText.includes(t))) {
          return true;
        }
      }
      return false;
    case 'text-regex':
      return pattern.regex.test(rawText);
    case 'json':
      return record !== null && typeof record === 'object' && !Array.isArray(record) && evaluate(pattern.expression, new RecordView(record, rawText));
  }
}

// ---------------------------------------------------------------------------------------------
// The JSON text of one value, found in a record's raw text

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** The index after the JSON string that starts at `i` (a `"`). */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** The index after the JSON value that starts at `i`, or -1 when the text is broken. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < text.length; i++) {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i) - 1;
        if (i < 0) return -1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i++;
  return i;
}

/**
 * Where the values of a record's JSON text are: each object or array is scanned once, when a
 * value inside it is first asked for, so finding any number of values costs one pass over the
 * text. A repeated key resolves to its last occurrence, as JSON.parse does.
 */
export class RawJsonIndex {
  private readonly containers = new Map<string, Map<string | number, [number, number]> | null>();

  constructor(private readonly text: string) {}

  /** The raw JSON text of the value at `path`, or undefined. */
  textAt(path: readonly (string | number)[]): string | undefined {
    const span = this.spanOf(path);
    return span === undefined ? undefined : this.text.slice(span[0], span[1]);
  }

  private spanOf(path: readonly (string | number)[]): [number, number] | undefined {
    if (path.length === 0) {
      const start = skipWs(this.text, 0);
      const end = skipValue(this.text, start);
      return end < 0 ? undefined : [start, end];
    }
    return this.children(path.slice(0, -1))?.get(path[path.length - 1] as string | number);
  }

  private children(path: readonly (string | number)[]): Map<string | number, [number, number]> | undefined {
    const key = JSON.stringify(path);
    let children = this.containers.get(key);
    if (children === undefined) {
      const span = this.spanOf(path);
      children = span === undefined ? null : scanChildren(this.text, span[0]);
      this.containers.set(key, children);
    }
    return children ?? undefined;
  }
}

/** The spans of the members of the object or array at `start`, or null when it is neither or broken. */
function scanChildren(text: string, start: number): Map<string | number, [number, number]> | null {
  const open = text[start];
  const out = new Map<string | number, [number, number]>();
  let i = skipWs(text, start + 1);
  if (open === '{') {
    while (text[i] === '"') {
      const keyEnd = skipString(text, i);
      if (keyEnd < 0) return null;
      let key = text.slice(i + 1, keyEnd - 1);
      if (key.includes('\\')) {
        try {
          key = JSON.parse(text.slice(i, keyEnd)) as string;
        } catch {
          return null;
        }
      }
      i = skipWs(text, keyEnd);
      if (text[i] !== ':') return null;
      const valueStart = skipWs(text, i + 1);
      const valueEnd = skipValue(text, valueStart);
      if (valueEnd <= valueStart) return null;
      out.set(key, [valueStart, valueEnd]);
      i = skipWs(text, valueEnd);
      if (text[i] === ',') i = skipWs(text, i + 1);
    }
    return out;
  }
  if (open === '[') {
    for (let index = 0; i < text.length && text[i] !== ']'; index++) {
      const valueEnd = skipValue(text, i);
      if (valueEnd <= i) return null;
      out.set(index, [i, valueEnd]);
      i = skipWs(text, valueEnd);
      if (text[i] === ',') i = skipWs(text, i + 1);
    }
    return out;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Needles

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Needle for a literal that a field's string value, or a number's JSON text, contains: both are
 * in the record's raw text as they are (safeLiteral cuts at what JSON could escape).
 */
function valueNeedle(literal: string): Needle {
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
      // A number may be written in more than one way (`1e2`, `100.0`): only the key is certain.
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

// ---------------------------------------------------------------------------------------------
// What CloudWatch evaluates exactly as trailkit does

function selectorIsDocumented(selector: Selector): boolean {
  return !selector.path.includes(ANY_CHILD);
}

function expressionIsDocumented(e: JsonExpression): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.of.every(expressionIsDocumented);
    default:
      return selectorIsDocumented(e.selector);
  }
}

/**
 * Whether CloudWatch Logs is known to evaluate this pattern exactly as matchesPattern does, so
 * that `grep --log-group` may let the service filter with it. Selectors with `*` are left to the
 * local filter: AWS documents them, but not how `!=` or `NOT EXISTS` treat several values.
 */
export function evaluatesLikeCloudWatch(pattern: FilterPattern): boolean {
  return pattern.kind === 'json' && expressionIsDocumented(pattern.expression);
}
