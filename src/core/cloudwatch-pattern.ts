/**
 * Turns grep/tail filters into a CloudWatch Logs filter pattern for FilterLogEvents, so the
 * service drops most non-matching events before they are sent. The pattern only has to select a
 * superset: every event that comes back is filtered again locally by the full filter, so a
 * condition that CloudWatch cannot express exactly (a case-insensitive --user, a CIDR, a glob
 * with `?`) is simply left out here. A --pattern or --preset is sent only when CloudWatch is known
 * to evaluate it exactly as the local filter does (evaluatesLikeCloudWatch): otherwise the
 * service could drop events that `grep` on the same files keeps.
 */
import { expandEventSource, type FilterSpec } from './record-filter.js';
import { findPreset } from './cis-presets.js';
import { evaluatesLikeCloudWatch, MAX_PATTERN_LENGTH, parseFilterPattern } from './filter-pattern.js';

export interface ServerPattern {
  /** The pattern to send, or undefined to fetch every event of the window. */
  readonly pattern: string | undefined;
  /** Filters that could not be put into the pattern and run locally only. */
  readonly localOnly: readonly string[];
}

/** A value CloudWatch reads the same way we mean it: no quote, backslash or control character. */
function quotable(value: string): boolean {
  return value !== '' && !/["\\\u0000-\u001f\u007f]/.test(value);
}

/**
 * A --event-name/--error-code glob as a CloudWatch value. CloudWatch wildcards are `*` at the
 * start and the end only; a `?` or an inner `*` has no equivalent.
 */
function globValue(glob: string): string | undefined {
  if (glob.includes('?')) return undefined;
  const inner = glob.replace(/^\*+/, '').replace(/\*+$/, '');
  if (inner.includes('*')) return undefined;
  if (inner === '') return '*';
  if (!quotable(inner)) return undefined;
  return `"${glob.startsWith('*') ? '*' : ''}${inner}${glob.endsWith('*') ? '*' : ''}"`;
}

function exactValue(value: string): string | undefined {
  if (!quotable(value) || value.includes('*')) return undefined;
  return `"${value}"`;
}

function anyOf(terms: readonly string[]): string {
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' || ')})`;
}

/** `$.field = v1 || $.field = v2`, or undefined when a value cannot be expressed. */
function fieldCondition(selectors: readonly string[], values: readonly string[], toValue: (v: string) => string | undefined): string | undefined {
  const terms: string[] = [];
  for (const value of values) {
    const v = toValue(value);
    if (v === undefined) return undefined;
    for (const selector of selectors) terms.push(`${selector} = ${v}`);
  }
  return anyOf(terms);
}

/**
 * The inside of a JSON-form pattern (`{ ... }` without the braces) that CloudWatch evaluates as
 * trailkit does, or undefined for other forms and for patterns it might evaluate differently.
 */
function jsonBody(source: string): string | undefined {
  const trimmed = source.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    if (!evaluatesLikeCloudWatch(parseFilterPattern(trimmed))) return undefined;
  } catch {
    return undefined;
  }
  return trimmed.slice(1, -1).trim();
}

export function serverPatternFor(spec: FilterSpec): ServerPattern {
  const fields: string[] = [];
  const patterns: string[] = [];
  const localOnly: string[] = [];
  const add = (flag: string, condition: string | undefined) => {
    if (condition === undefined) localOnly.push(flag);
    else fields.push(condition);
  };
  const has = (values: readonly string[] | undefined): values is readonly string[] => values !== undefined && values.length > 0;

  if (has(spec.eventNames)) add('--event-name', fieldCondition(['$.eventName'], spec.eventNames, globValue));
  if (has(spec.eventSources)) add('--event-source', fieldCondition(['$.eventSource'], spec.eventSources.map(expandEventSource), exactValue));
  // --account is recipientAccountId (see recordedAccountOf); a log group's events carry it.
  if (has(spec.accounts)) add('--account', fieldCondition(['$.recipientAccountId'], spec.accounts, exactValue));
  if (has(spec.regions)) add('--region', fieldCondition(['$.awsRegion'], spec.regions, exactValue));
  if (has(spec.errorCodes)) add('--error-code', fieldCondition(['$.errorCode'], spec.errorCodes, globValue));
  if (has(spec.eventIds)) add('--event-id', fieldCondition(['$.eventID'], spec.eventIds, exactValue));
  if (spec.errorsOnly === true) fields.push('$.errorCode = "*"');
  if (spec.readOnly === true) fields.push('$.readOnly IS TRUE');
  if (spec.writeOnly === true) fields.push('$.readOnly IS FALSE');
  if (has(spec.users)) localOnly.push('--user');
  if (has(spec.sourceIps)) localOnly.push('--source-ip');

  const sources = [...(spec.patterns ?? []), ...(spec.presets ?? []).map((name) => findPreset(name)?.pattern ?? '')];
  if (sources.length > 0) {
    const bodies = sources.map(jsonBody);
    if (bodies.every((b): b is string => b !== undefined && b !== '')) patterns.push(anyOf(bodies.map((b) => `(${b})`)));
    else localOnly.push(has(spec.patterns) ? '--pattern' : '--preset');
  }

  // Drop conditions until the pattern fits CloudWatch's limits (length, two regexes); the user's
  // own patterns go first because they are the longest and the only ones with regexes.
  const conjuncts = [...fields, ...patterns];
  while (conjuncts.length > 0) {
    const pattern = `{ ${conjuncts.join(' && ')} }`;
    if (pattern.length <= MAX_PATTERN_LENGTH && parses(pattern)) return { pattern, localOnly };
    const dropped = conjuncts.pop() as string;
    localOnly.push(patterns.includes(dropped) ? 'a --pattern/--preset' : 'a filter');
  }
  return { pattern: undefined, localOnly };
}

function parses(pattern: string): boolean {
  try {
    parseFilterPattern(pattern);
    return true;
  } catch {
    return false;
  }
}
