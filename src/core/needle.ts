/**
 * Needles: literal byte strings that a record's raw JSON text must contain for a filter to be able
 * to match it. They let the search skip JSON.parse for records that cannot match.
 *
 * A needle is a *necessary* condition only: a record whose text contains it is still parsed and
 * evaluated exactly. The search only trusts needles for records whose raw text has no `\u` escape
 * (any character may hide behind one), so a needle must never contain a character that JSON can
 * write in another way without `\u`: `"` (as `\"`), `\` (as `\\`), `/` (as `\/`) or a control
 * character. `safeLiteral` cuts a literal down to its longest run without them.
 */
export type Needle =
  | { readonly kind: 'any-record' }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'all'; readonly of: readonly Needle[] }
  | { readonly kind: 'any'; readonly of: readonly Needle[] };

export const ANY_RECORD: Needle = { kind: 'any-record' };

/** Shortest literal worth searching for: shorter ones match nearly every record. */
const MIN_NEEDLE_LENGTH = 3;

const UNSAFE = /["\\/\u0000-\u001f]/;

/**
 * The longest run of `literal` that JSON can only spell one way without `\u`, or undefined when
 * no run is long enough to be useful.
 */
export function safeLiteral(literal: string): string | undefined {
  let best = '';
  for (const part of literal.split(/["\\/\u0000-\u001f]+/)) {
    if (part.length > best.length) best = part;
  }
  return best.length >= MIN_NEEDLE_LENGTH ? best : undefined;
}

export function textNeedle(literal: string): Needle {
  const safe = safeLiteral(literal);
  return safe === undefined ? ANY_RECORD : { kind: 'text', text: safe };
}

/** Needle for an object key: the key with its quotes, which are structure, not content. */
export function keyNeedle(key: string): Needle {
  if (UNSAFE.test(key) || key.length === 0) return ANY_RECORD;
  return { kind: 'text', text: `"${key}"` };
}

export function allOf(needles: readonly Needle[]): Needle {
  const kept: Needle[] = [];
  for (const n of needles) {
    if (n.kind === 'any-record') continue;
    if (n.kind === 'all') kept.push(...n.of);
    else kept.push(n);
  }
  if (kept.length === 0) return ANY_RECORD;
  if (kept.length === 1) return kept[0] as Needle;
  return { kind: 'all', of: kept };
}

export function anyOf(needles: readonly Needle[]): Needle {
  if (needles.length === 0) return ANY_RECORD;
  const kept: Needle[] = [];
  for (const n of needles) {
    // One alternative that can match anything makes the whole disjunction unconstrained.
    if (n.kind === 'any-record') return ANY_RECORD;
    if (n.kind === 'any') kept.push(...n.of);
    else kept.push(n);
  }
  if (kept.length === 1) return kept[0] as Needle;
  return { kind: 'any', of: kept };
}

/** Evaluates a needle against a text (used by tests and by small inputs). */
export function needleHolds(needle: Needle, text: string): boolean {
  switch (needle.kind) {
    case 'any-record':
      return true;
    case 'text':
      return text.includes(needle.text);
    case 'all':
      return needle.of.every((n) => needleHolds(n, text));
    case 'any':
      return needle.of.some((n) => needleHolds(n, text));
  }
}
