import { describeAt, PatternSyntaxError } from './filter-pattern-error.js';

/**
 * The regular expressions of CloudWatch Logs filter patterns (`%...%`).
 *
 * CloudWatch's regex dialect has no groups, so every pattern is a regular language. It is run by
 * a Thompson-NFA simulation (each input character advances a set of states) instead of a
 * backtracking engine: matching costs O(text length x pattern size) whatever the input, so a
 * hostile record can never make `a*a*a*a*b` or `.*x` take exponential or quadratic time.
 */

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

/** Parses the regular expression between `src[start - 1]` and `src[end]` (the `%` signs). */
export class RegexParser {
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
      case 'x': {
        // `\xhh`, as AWS documents it (`%\x3A%` is a colon); only ASCII, like the rest of the dialect.
        const hex = this.src.slice(i + 2, Math.min(i + 4, this.end));
        if (!/^[0-7][0-9A-Fa-f]$/.test(hex)) this.fail("expected two hex digits of an ASCII character (00 to 7F) after '\\x'", i);
        return [{ kind: 'char', code: parseInt(hex, 16) }, i + 4];
      }
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

