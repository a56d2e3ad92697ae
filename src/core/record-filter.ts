import { CIS_PRESETS, findPreset } from './cis-presets.js';
import { usageError } from './errors.js';
import { formatFilterPattern, matchesPattern, parseFilterPattern, patternNeedle, PatternSyntaxError, type FilterPattern } from './filter-pattern.js';
import { InvalidCidrError, parseIpMatcher } from './ip.js';
import { allOf, anyOf, ANY_RECORD, keyNeedle, textNeedle, type Needle } from './needle.js';
import { principalStrings, readOnlyOf, recordedAccountOf, stringField, type CloudTrailRecord, type RecordContext } from './record.js';
import { parseEventTime } from './time-spec.js';

/**
 * What `grep` and `tail` filter on. Plain data (strings and numbers) so it can be handed to a
 * worker thread and compiled there. Different fields combine with AND; the values of one field
 * with OR.
 */
export interface FilterSpec {
  eventNames?: string[];
  eventSources?: string[];
  users?: string[];
  accounts?: string[];
  regions?: string[];
  sourceIps?: string[];
  errorCodes?: string[];
  errorsOnly?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, inclusive. */
  until?: number;
  eventIds?: string[];
  patterns?: string[];
  presets?: string[];
}

export interface CompiledFilter {
  /** A literal condition the raw record text must meet for `test` to be able to pass. */
  readonly needle: Needle;
  /** The needle for records read in `context` (a delivery file of an --account may hold events without recipientAccountId). */
  needleFor(context: RecordContext | undefined): Needle;
  /** Whether any condition is set at all. */
  readonly isEmpty: boolean;
  /** Whether the record matches; `context` says where it was read from (for --account). */
  test(record: CloudTrailRecord, raw: string, context?: RecordContext): boolean;
}

type Predicate = (record: CloudTrailRecord, raw: string, context: RecordContext | undefined) => boolean;

/** `ec2` means `ec2.amazonaws.com` (SPEC section 7b); a name with a dot is taken as it is. */
export function expandEventSource(name: string): string {
  return name.includes('.') ? name : `${name}.amazonaws.com`;
}

/** A glob with `*` (any run) and `?` (one character), case-sensitive like AWS API names. */
export function compileGlob(glob: string): (value: string) => boolean {
  if (!/[*?]/.test(glob)) return (value) => value === glob;
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  const re = new RegExp(`^${body}$`);
  return (value) => re.test(value);
}

function globNeedle(glob: string): Needle {
  let best = '';
  for (const part of glob.split(/[*?]+/)) if (part.length > best.length) best = part;
  return textNeedle(best);
}

function oneOf<T>(values: readonly T[] | undefined): values is readonly T[] {
  return values !== undefined && values.length > 0;
}

function compilePattern(source: string, label: string): { pattern: FilterPattern; needle: Needle } {
  try {
    const pattern = parseFilterPattern(source);
    return { pattern, needle: patternNeedle(pattern) };
  } catch (error) {
    if (error instanceof PatternSyntaxError) {
      throw usageError(`${label}: ${error.message}`, `see 'trailkit grep --help' for the filter-pattern syntax`);
    }
    throw error;
  }
}

/**
 * What the user should know about filters that are valid but may not mean what they look like:
 * the `?` terms of a text pattern that also has plain terms, which CloudWatch ignores.
 */
export function filterWarnings(spec: FilterSpec): string[] {
  const warnings: string[] = [];
  for (const source of spec.patterns ?? []) {
    let pattern: FilterPattern;
    try {
      pattern = parseFilterPattern(source);
    } catch {
      continue;
    }
    if (pattern.kind === 'terms' && pattern.ignored !== undefined) {
      warnings.push(
        `--pattern: ${pattern.ignored.join(' ')} ${pattern.ignored.length === 1 ? 'is' : 'are'} ignored, as CloudWatch ignores ?-terms next to plain terms; the pattern means '${formatFilterPattern(pattern)}' (put a ? before every term for "any of them")`,
      );
    }
  }
  return warnings;
}

export function compileFilter(spec: FilterSpec): CompiledFilter {
  const predicates: Predicate[] = [];
  const needles: Needle[] = [];
  let accountNeedle: Needle | undefined;
  let accountSet: ReadonlySet<string> = new Set();

  if (oneOf(spec.eventNames)) {
    const globs = spec.eventNames.map(compileGlob);
    predicates.push((r) => {
      const name = stringField(r, 'eventName');
      return name !== undefined && globs.some((g) => g(name));
    });
    needles.push(anyOf(spec.eventNames.map(globNeedle)));
  }
  if (oneOf(spec.eventSources)) {
    const sources = new Set(spec.eventSources.map(expandEventSource));
    predicates.push((r) => sources.has(stringField(r, 'eventSource') ?? ''));
    needles.push(anyOf([...sources].map(textNeedle)));
  }
  if (oneOf(spec.users)) {
    const wanted = spec.users.map((u) => u.toLowerCase());
    predicates.push((r) => principalStrings(r).some((s) => {
      const lower = s.toLowerCase();
      return wanted.some((w) => lower.includes(w));
    }));
    needles.push(keyNeedle('userIdentity'));
  }
  if (oneOf(spec.accounts)) {
    const accounts = new Set(spec.accounts);
    predicates.push((r, _raw, context) => accounts.has(recordedAccountOf(r, context) ?? ''));
    accountNeedle = anyOf(spec.accounts.map(textNeedle));
    accountSet = accounts;
  }
  if (oneOf(spec.regions)) {
    const regions = new Set(spec.regions);
    predicates.push((r) => regions.has(stringField(r, 'awsRegion') ?? ''));
    needles.push(anyOf(spec.regions.map(textNeedle)));
  }
  if (oneOf(spec.sourceIps)) {
    let matchers: ((address: string) => boolean)[];
    try {
      matchers = spec.sourceIps.map(parseIpMatcher);
    } catch (error) {
      if (error instanceof InvalidCidrError) throw usageError(`--source-ip ${error.message}`, 'give an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32');
      throw error;
    }
    predicates.push((r) => {
      const ip = stringField(r, 'sourceIPAddress');
      return ip !== undefined && matchers.some((m) => m(ip));
    });
    needles.push(keyNeedle('sourceIPAddress'));
  }
  if (oneOf(spec.errorCodes)) {
    const globs = spec.errorCodes.map(compileGlob);
    predicates.push((r) => {
      const code = stringField(r, 'errorCode');
      return code !== undefined && globs.some((g) => g(code));
    });
    needles.push(keyNeedle('errorCode'), anyOf(spec.errorCodes.map(globNeedle)));
  }
  if (spec.errorsOnly === true) {
    predicates.push((r) => {
      const code = r['errorCode'];
      return typeof code === 'string' && code.length > 0;
    });
    needles.push(keyNeedle('errorCode'));
  }
  if (spec.readOnly === true) {
    predicates.push((r) => readOnlyOf(r) === true);
    needles.push(keyNeedle('readOnly'));
  }
  if (spec.writeOnly === true) {
    predicates.push((r) => readOnlyOf(r) === false);
    needles.push(keyNeedle('readOnly'));
  }
  if (spec.since !== undefined || spec.until !== undefined) {
    const since = spec.since ?? -Infinity;
    const until = spec.until ?? Infinity;
    predicates.push((r) => {
      const t = parseEventTime(r['eventTime']);
      return t !== undefined && t >= since && t <= until;
    });
  }
  if (oneOf(spec.eventIds)) {
    const ids = new Set(spec.eventIds);
    predicates.push((r) => ids.has(stringField(r, 'eventID') ?? ''));
    needles.push(anyOf(spec.eventIds.map(textNeedle)));
  }
  if (oneOf(spec.patterns)) {
    const compiled = spec.patterns.map((p) => compilePattern(p, '--pattern'));
    predicates.push((r, raw) => compiled.some((c) => matchesPattern(c.pattern, r, raw)));
    needles.push(anyOf(compiled.map((c) => c.needle)));
  }
  if (oneOf(spec.presets)) {
    const compiled = spec.presets.map((name) => {
      const preset = findPreset(name);
      if (preset === undefined) {
        throw usageError(`--preset '${name}' is not a known preset`, `known: ${CIS_PRESETS.map((p) => p.name).join(', ')} (trailkit grep --list-presets)`);
      }
      return compilePattern(preset.pattern, `preset ${preset.id}`);
    });
    predicates.push((r, raw) => compiled.some((c) => matchesPattern(c.pattern, r, raw)));
    needles.push(anyOf(compiled.map((c) => c.needle)));
  }

  const isEmpty = predicates.length === 0;
  const test: Predicate = isEmpty
    ? () => true
    : predicates.length === 1
      ? (predicates[0] as Predicate)
      : (r, raw, context) => {
          for (const p of predicates) if (!p(r, raw, context)) return false;
          return true;
        };
  const needle = isEmpty ? ANY_RECORD : allOf(accountNeedle === undefined ? needles : [...needles, accountNeedle]);
  const withoutAccount = allOf(needles);
  return {
    needle,
    // In a delivery file of a wanted account, an event without recipientAccountId matches by the file's account.
    needleFor: (context) => (context?.deliveryAccount !== undefined && accountSet.has(context.deliveryAccount) ? withoutAccount : needle),
    isEmpty,
    test,
  };
}
