/**
 * Whether two CloudWatch Logs filter patterns mean the same thing, compared on the parser's syntax
 * tree rather than on their text: quoting (`"Root"` and `Root`), spacing, newlines, redundant
 * parentheses and the order of `&&` and `||` operands do not matter.
 *
 * A JSON pattern is brought to a disjunctive normal form: an OR of terms, each an AND of atomic
 * conditions. `A && (B || C)` and `(A && B) || (A && C)` therefore compare equal, while
 * `(A && B) || C` (what `A && B || C` means, since `&&` binds tighter) does not. Terms are sets of
 * atoms, duplicates are dropped, and a term that contains another one is absorbed by it
 * (`X || (X && Y)` is `X`). Atoms are compared exactly: `$.a != "x"` is not the negation of
 * `$.a = "x"` (a missing field matches neither), and a string compared with a number literal is
 * not the same test as with a quoted one.
 */
import { parseFilterPattern, type FilterPattern, type JsonCondition, type JsonExpression, type Selector } from './filter-pattern.js';

/** Beyond this many terms the normal form is not built and patterns compare by their structure. */
const MAX_TERMS = 4096;

export type NormalForm =
  | { readonly kind: 'dnf'; readonly terms: readonly (readonly string[])[] }
  /** A JSON pattern too large for the normal form: operands flattened and sorted, no distribution. */
  | { readonly kind: 'structure'; readonly key: string }
  | { readonly kind: 'text'; readonly key: string };

export type NormalizeResult = { readonly ok: true; readonly form: NormalForm } | { readonly ok: false; readonly error: string };

function pathKey(selector: Selector): string {
  return JSON.stringify(selector.path);
}

/** One condition as a canonical string; equal strings mean the same test. */
export function atomKey(condition: JsonCondition): string {
  const path = pathKey(condition.selector);
  switch (condition.kind) {
    case 'string':
      return `${path} ${condition.op} ${condition.value.mode}:${JSON.stringify(condition.value.literal)}`;
    case 'regex':
      return `${path} ${condition.op} %${condition.regex.source}%`;
    case 'number':
      return `${path} ${condition.op} #${String(condition.value)}`;
    case 'is':
      return `${path} IS ${String(condition.value)}`;
    case 'not-exists':
      return `${path} NOT EXISTS`;
  }
}

function isCondition(expression: JsonExpression): expression is JsonCondition {
  return expression.kind !== 'and' && expression.kind !== 'or';
}

class TooLarge extends Error {}

function uniqueSorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** Drops duplicate terms and terms that contain another term. */
function simplify(terms: readonly (readonly string[])[]): string[][] {
  const unique = new Map<string, string[]>();
  for (const term of terms) {
    const sorted = uniqueSorted(term);
    unique.set(sorted.join('\u0000'), sorted);
  }
  const list = [...unique.values()].sort((a, b) => a.length - b.length);
  const kept: string[][] = [];
  for (const term of list) {
    const set = new Set(term);
    if (kept.some((k) => k.length < term.length && k.every((atom) => set.has(atom)))) continue;
    kept.push(term);
  }
  return kept.sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')));
}

function dnf(expression: JsonExpression): string[][] {
  if (isCondition(expression)) return [[atomKey(expression)]];
  if (expression.kind === 'or') {
    const out: string[][] = [];
    for (const part of expression.of) out.push(...dnf(part));
    if (out.length > MAX_TERMS) throw new TooLarge();
    return simplify(out);
  }
  let product: string[][] = [[]];
  for (const part of expression.of) {
    const terms = dnf(part);
    if (product.length * terms.length > MAX_TERMS) throw new TooLarge();
    const next: string[][] = [];
    for (const left of product) for (const right of terms) next.push([...left, ...right]);
    product = simplify(next);
  }
  return product;
}

/** Flattened and sorted, without distributing AND over OR. */
function structureKey(expression: JsonExpression): string {
  if (isCondition(expression)) return atomKey(expression);
  const parts: string[] = [];
  const collect = (e: JsonExpression) => {
    if (!isCondition(e) && e.kind === expression.kind) e.of.forEach(collect);
    else parts.push(structureKey(e));
  };
  expression.of.forEach(collect);
  return `${expression.kind}(${uniqueSorted(parts).join(',')})`;
}

export function normalForm(pattern: FilterPattern): NormalForm {
  switch (pattern.kind) {
    case 'match-all':
      return { kind: 'text', key: 'match-all' };
    case 'text-regex':
      return { kind: 'text', key: `%${pattern.regex.source}%` };
    case 'terms': {
      const groups = pattern.groups.map((g) => JSON.stringify([uniqueSorted(g.include), uniqueSorted(g.exclude)]));
      return { kind: 'text', key: `terms${JSON.stringify(uniqueSorted(groups))}` };
    }
    case 'json':
      try {
        return { kind: 'dnf', terms: dnf(pattern.expression) };
      } catch (error) {
        if (error instanceof TooLarge) return { kind: 'structure', key: structureKey(pattern.expression) };
        throw error;
      }
  }
}

/** Parses and normalises a pattern; a pattern the parser rejects gives its error. */
export function normalizePattern(source: string): NormalizeResult {
  try {
    return { ok: true, form: normalForm(parseFilterPattern(source)) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function formKey(form: NormalForm): string {
  if (form.kind === 'dnf') return `dnf:${JSON.stringify(form.terms)}`;
  return `${form.kind}:${form.key}`;
}

export function sameNormalForm(a: NormalForm, b: NormalForm): boolean {
  return formKey(a) === formKey(b);
}

/** Whether two patterns mean the same; a pattern that does not parse means nothing and matches nothing. */
export function samePatternMeaning(a: string, b: string): boolean {
  const left = normalizePattern(a);
  const right = normalizePattern(b);
  return left.ok && right.ok && sameNormalForm(left.form, right.form);
}

export interface FormDifference {
  /** Terms (AND-groups of conditions) the reference has and the other lacks, readable. */
  readonly missing: readonly string[];
  /** Terms the other has and the reference lacks. */
  readonly extra: readonly string[];
  /** How many terms the two share. */
  readonly shared: number;
}

function readableAtom(atom: string): string {
  const m = /^(\[.*?\]) (.*)$/.exec(atom);
  if (m === null) return atom;
  const path = (JSON.parse(m[1] as string) as (string | number)[]).map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  const rest = (m[2] as string).replace(/(exact|prefix|suffix|contains|any):("(?:[^"\\]|\\.)*")/, (_all, mode: string, literal: string) => {
    const text = JSON.parse(literal) as string;
    const shown = mode === 'prefix' ? `${text}*` : mode === 'suffix' ? `*${text}` : mode === 'contains' ? `*${text}*` : mode === 'any' ? '*' : text;
    return JSON.stringify(shown);
  }).replace(/#/, '');
  return `$${path} ${rest}`;
}

function readableTerm(term: readonly string[]): string {
  return term.map(readableAtom).join(' && ');
}

/** What separates `other` from `reference`, term by term (only for normal forms of JSON patterns). */
export function formDifference(reference: NormalForm, other: NormalForm): FormDifference | undefined {
  if (reference.kind !== 'dnf' || other.kind !== 'dnf') return undefined;
  const key = (t: readonly string[]) => t.join('\u0000');
  const mine = new Set(other.terms.map(key));
  const theirs = new Set(reference.terms.map(key));
  return {
    missing: reference.terms.filter((t) => !mine.has(key(t))).map(readableTerm),
    extra: other.terms.filter((t) => !theirs.has(key(t))).map(readableTerm),
    shared: reference.terms.filter((t) => mine.has(key(t))).length,
  };
}
