/**
 * One query model for the Parquet index (DuckDB) and Athena (Trino): grep's filters and the named
 * investigations compile here to SQL text for either dialect, from the same code, so a question
 * means the same on one machine and in Athena. The DuckDB session defines the few Trino functions
 * the generated SQL uses (`json_extract_scalar`, `json_format`, `regexp_like`), which makes most of
 * the text identical in both dialects and lets the tests run the Trino text's DuckDB twin on the
 * same data.
 *
 * A filter compiles to a WHERE clause plus a flag per part saying whether the SQL means exactly
 * what grep's matcher means. Where it cannot (a regular expression, an IPv6 network, a selector
 * the table has no column for), the SQL is a superset and the candidates are checked with grep's
 * own matcher; on Athena's raw-JSON table, which has no record text to check, such a filter is
 * refused with the reason.
 */
import { findPreset } from './cis-presets.js';
import { USER_IDENTITY, RESOURCES, CLOUDTRAIL_COLUMNS, STORED_COLUMN_NAMES, type Field } from './event-schema.js';
import { parseFilterPattern, type FilterPattern, type JsonCondition, type JsonExpression, type PathStep, type WildcardValue } from './filter-pattern.js';
import { expandEventSource, type FilterSpec } from './record-filter.js';
import { and, globToLike, ident, inList, isoSeconds, like, likeEscape, literal, or, utcDay, type Dialect } from './sql-text.js';

export type { Dialect } from './sql-text.js';

/** How the table a query runs on is partitioned, so the window and the scope prune what is read. */
export type PartitionScheme =
  | { readonly kind: 'none' }
  /** The Parquet index: `account`, `region`, `date` (`YYYY-MM-DD` of eventTime). */
  | { readonly kind: 'index' }
  /** AWS's example: one account and region per table, a `yyyy/MM/dd` delivery-day column. */
  | { readonly kind: 'day'; readonly day: string }
  /** An organization trail: account, region and `yyyy/MM/dd` delivery-day columns. */
  | { readonly kind: 'organization'; readonly account: string; readonly region: string; readonly day: string };

export interface SqlTarget {
  readonly dialect: Dialect;
  /**
   * `index`: the `events` view of the Parquet index (every DDL column, plus `raw`, `source`,
   * `record_index`, `event_ms`, `verdict`). `cloudtrail`: Athena's table over the log files,
   * with AWS's DDL columns only.
   */
  readonly table: 'index' | 'cloudtrail';
  /** The table name as it goes after FROM (already quoted where needed). */
  readonly from: string;
  readonly partitions: PartitionScheme;
}

export interface CompiledWhere {
  /** The WHERE condition (without the keyword). */
  readonly sql: string;
  /** The filters whose SQL is a superset of what grep matches (to be checked on the candidates). */
  readonly inexact: readonly string[];
  /** Filters that need the record's JSON text, which the table does not have. */
  readonly unsupported: readonly string[];
  /**
   * With `superset` on the index: `sql` is `filter OR unread`. Kept apart, a query can ask them as
   * two (one OR across them keeps DuckDB from pruning row groups by the filter: 2.5 times slower).
   */
  readonly filter?: string;
  readonly unread?: string;
}

export class SqlCompileError extends Error {
  override name = 'SqlCompileError';
}

interface Part {
  sql: string;
  exact: boolean;
  /** Why this part cannot run on this table at all. */
  unsupported?: string;
}

/** The record's JSON text, when the table has it. */
function rawText(target: SqlTarget): string | undefined {
  return target.table === 'index' ? 'raw' : undefined;
}

const PRINCIPAL_FIELDS = ['arn', 'username', 'principalid', 'invokedby', 'sessioncontext.sessionissuer.username', 'sessioncontext.sessionissuer.arn'];

/** `accountOf` of core/record.ts: recipientAccountId, else the caller's account. */
export const ACCOUNT_EXPR = 'coalesce(recipientaccountid, useridentity.accountid)';

// ------------------------------------------------------------------------------------------------
// Partitions and the time window

export interface Scope {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  readonly until?: number;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
}

const DAY_MS = 86_400_000;

/**
 * Partition predicates for a scope. Day folders hold the events delivered that day, and a file
 * delivered after midnight holds events of the day before (SPEC section 10): the day range has a
 * day of margin either side, and the event time itself is filtered too.
 */
export function partitionPredicates(scope: Scope, target: SqlTarget): string[] {
  const p = target.partitions;
  const out: string[] = [];
  const days = (separator: string, column: string) => {
    if (scope.since !== undefined) out.push(`${ident(column)} >= ${literal(utcDay(scope.since - DAY_MS, separator))}`);
    if (scope.until !== undefined) out.push(`${ident(column)} <= ${literal(utcDay(scope.until + DAY_MS, separator))}`);
  };
  switch (p.kind) {
    case 'none':
      break;
    case 'index':
      if (scope.accounts !== undefined && scope.accounts.length > 0) out.push(inList(ident('account'), scope.accounts));
      if (scope.regions !== undefined && scope.regions.length > 0) out.push(inList(ident('region'), scope.regions));
      days('-', 'date');
      break;
    case 'day':
      days('/', p.day);
      break;
    case 'organization':
      if (scope.accounts !== undefined && scope.accounts.length > 0) out.push(inList(ident(p.account), scope.accounts));
      if (scope.regions !== undefined && scope.regions.length > 0) out.push(inList(ident(p.region), scope.regions));
      days('/', p.day);
      break;
  }
  return out;
}

/**
 * The event-time condition, exact for CloudTrail's canonical `YYYY-MM-DDTHH:MM:SSZ`: on the index
 * through `event_ms`, elsewhere by comparing the text (which sorts like the time in that form).
 * `superset` also lets through records whose eventTime has another form, for grep's matcher to decide.
 */
function timePart(since: number | undefined, until: number | undefined, target: SqlTarget, superset: boolean): Part {
  const parts: string[] = [];
  if (target.table === 'index') {
    if (since !== undefined) parts.push(`event_ms >= ${Math.ceil(since)}`);
    if (until !== undefined) parts.push(`event_ms <= ${Math.floor(until)}`);
    const exact = and(parts);
    return superset ? { sql: or([exact, '(event_ms IS NULL AND eventtime IS NOT NULL)']), exact: false } : { sql: exact, exact: true };
  }
  // eventTime has whole seconds: t >= since <=> t >= ceil(since) s; t <= until <=> t <= floor(until) s.
  if (since !== undefined) parts.push(`eventtime >= ${literal(isoSeconds(Math.ceil(since / 1000)))}`);
  if (until !== undefined) parts.push(`eventtime <= ${literal(isoSeconds(Math.floor(until / 1000)))}`);
  return { sql: and(parts), exact: true };
}

export function scopePredicates(scope: Scope, target: SqlTarget, options: { superset?: boolean } = {}): string[] {
  const out = partitionPredicates(scope, target);
  if (scope.since !== undefined || scope.until !== undefined) out.push(timePart(scope.since, scope.until, target, options.superset === true).sql);
  if (scope.accounts !== undefined && scope.accounts.length > 0) out.push(inList(ACCOUNT_EXPR, scope.accounts));
  if (scope.regions !== undefined && scope.regions.length > 0) out.push(inList('awsregion', scope.regions));
  return out;
}

// ------------------------------------------------------------------------------------------------
// grep's filters

/** An IPv4 address or CIDR as [low, high] of its addresses, or undefined for anything else. */
export function ipv4Range(spec: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(spec);
  if (m === null) return undefined;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) return undefined;
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const low = Math.floor(value / size) * size;
  return [low, low + size - 1];
}

const DOTTED_QUAD = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';

/** The numeric value of a dotted quad in SQL (the text must be one: check with DOTTED_QUAD first). */
function ipv4Number(expr: string): string {
  return `(CAST(split_part(${expr}, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(${expr}, '.', 2) AS BIGINT) * 65536 + CAST(split_part(${expr}, '.', 3) AS BIGINT) * 256 + CAST(split_part(${expr}, '.', 4) AS BIGINT))`;
}

function sourceIpPart(specs: readonly string[]): Part {
  // IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address, as grep treats it.
  const ip = `regexp_replace(sourceipaddress, '^::[fF]{4}:', '')`;
  const ranges: string[] = [];
  let exact = true;
  let anyV6 = false;
  for (const spec of specs) {
    const range = ipv4Range(spec);
    if (range === undefined) {
      anyV6 = true;
      exact = false;
      continue;
    }
    ranges.push(`${ipv4Number(ip)} BETWEEN ${range[0]} AND ${range[1]}`);
  }
  const v4 = ranges.length === 0 ? [] : [and([`regexp_like(${ip}, ${literal(DOTTED_QUAD)})`, or(ranges)])];
  // IPv6 networks: any address with a colon is a candidate; grep's matcher decides.
  const v6 = anyV6 ? ['strpos(sourceipaddress, \':\') > 0'] : [];
  return { sql: or([...v4, ...v6]), exact };
}

function principalPart(users: readonly string[]): Part {
  const exact = users.every((u) => /^[\x20-\x7e]*$/.test(u));
  const fields = PRINCIPAL_FIELDS.map((f) => `lower(useridentity.${f})`);
  const parts: string[] = [];
  for (const user of users) {
    // lower() agrees with JavaScript's toLowerCase on ASCII; other text is checked by grep's matcher.
    const pattern = /^[\x20-\x7e]*$/.test(user) ? `%${likeEscape(user.toLowerCase())}%` : '%';
    for (const f of fields) parts.push(like(f, pattern));
  }
  return { sql: or(parts), exact };
}

// --- filter patterns ---------------------------------------------------------------------------

function jsonPath(path: readonly (string | number)[]): string | undefined {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += `.${part}`;
    else return undefined;
  }
  return out;
}

/** A string-valued SQL expression for a selector, and whether it reads the value as grep does. */
interface Resolved {
  readonly expr: string;
  /** The JSON text of the value, when the table has it (for IS TRUE/FALSE/NULL and NOT EXISTS). */
  readonly jsonText?: string;
}

function findField(fields: readonly Field[], key: string): Field | undefined {
  return fields.find((f) => f.key === key);
}

/**
 * A selector as SQL. On the index every selector reads the record's JSON text (exact JSON
 * semantics), except the stored top-level string columns, which are faster. On Athena's table a
 * selector maps onto the DDL's columns: struct fields by name, JSON-text columns through
 * json_extract_scalar; a key the DDL lacks cannot be read there.
 */
function resolveSelector(path: readonly PathStep[], target: SqlTarget): Resolved | undefined {
  // `[*]` (any element) has no single SQL expression: the candidates are checked by grep's matcher.
  if (!path.every((step): step is string | number => typeof step === 'string' || typeof step === 'number')) return undefined;
  return resolvePlainSelector(path, target);
}

function resolvePlainSelector(path: readonly (string | number)[], target: SqlTarget): Resolved | undefined {
  const first = path[0];
  if (typeof first !== 'string') return undefined;
  const raw = rawText(target);
  const column = findField(CLOUDTRAIL_COLUMNS, first);
  if (raw !== undefined) {
    const p = jsonPath(path);
    if (p === undefined) return undefined;
    if (path.length === 1 && column !== undefined && column.type.kind === 'string' && STORED_COLUMN_NAMES.has(column.name)) {
      return { expr: column.name, jsonText: `json_format(try(json_extract(${raw}, ${literal(p)})))` };
    }
    return { expr: `json_extract_scalar(${raw}, ${literal(p)})`, jsonText: `json_format(try(json_extract(${raw}, ${literal(p)})))` };
  }
  if (column === undefined) return undefined;
  let expr = column.name;
  let type = column.type;
  for (let i = 1; i < path.length; i++) {
    const part = path[i] as string | number;
    if (type.kind === 'json') {
      const rest = jsonPath(path.slice(i));
      return rest === undefined ? undefined : { expr: `json_extract_scalar(${expr}, ${literal(rest)})` };
    }
    if (type.kind === 'struct' && typeof part === 'string') {
      const field = findField(type.fields, part);
      if (field === undefined) return undefined;
      expr = `${expr}.${field.name}`;
      type = field.type;
      continue;
    }
    if (type.kind === 'array' && typeof part === 'number') {
      expr = target.dialect === 'trino' ? `element_at(${expr}, ${part + 1})` : `${expr}[${part + 1}]`;
      type = type.of;
      continue;
    }
    if (type.kind === 'map' && typeof part === 'string') {
      expr = target.dialect === 'trino' ? `element_at(${expr}, ${literal(part)})` : `${expr}[${literal(part)}]`;
      type = { kind: 'string' };
      continue;
    }
    return undefined;
  }
  if (type.kind !== 'string' && type.kind !== 'json') return undefined;
  return type.kind === 'json' ? { expr: `json_extract_scalar(${expr}, '$')` } : { expr };
}

function wildcardLike(value: WildcardValue): string | undefined {
  const lit = likeEscape(value.literal);
  switch (value.mode) {
    case 'exact':
      return lit;
    case 'prefix':
      return `${lit}%`;
    case 'suffix':
      return `%${lit}`;
    case 'contains':
      return `%${lit}%`;
    case 'any':
      return undefined;
  }
}

function conditionPart(c: JsonCondition, target: SqlTarget, label: string): Part {
  const resolved = resolveSelector(c.selector.path, target);
  if (resolved === undefined) {
    if (rawText(target) === undefined) {
      return { sql: 'TRUE', exact: false, unsupported: `${label}: the table has no column for ${c.selector.source} (fields newer than AWS's DDL are not in it)` };
    }
    return { sql: 'TRUE', exact: false };
  }
  switch (c.kind) {
    case 'string': {
      const pattern = wildcardLike(c.value);
      const matches = pattern === undefined ? `${resolved.expr} IS NOT NULL` : like(resolved.expr, pattern);
      // A missing field (or an object or array) is false for = and != alike.
      const sql = c.op === '=' ? matches : and([`${resolved.expr} IS NOT NULL`, `NOT (${matches})`]);
      // Numbers compare as their text in grep; JSON-typed columns read them the same way.
      return { sql, exact: true };
    }
    case 'is': {
      if (resolved.jsonText === undefined) {
        const sql = c.value === null ? `${resolved.expr} IS NULL` : `${resolved.expr} = ${literal(String(c.value))}`;
        return { sql, exact: false };
      }
      if (c.value === null) return { sql: `${resolved.jsonText} = 'null'`, exact: false };
      return { sql: `${resolved.jsonText} = ${literal(String(c.value))}`, exact: true };
    }
    case 'not-exists':
      if (resolved.jsonText === undefined) return { sql: 'TRUE', exact: false };
      return { sql: `${resolved.jsonText} IS NULL`, exact: true };
    case 'number':
    case 'regex':
      // grep's typing rules for numbers and its regular-expression engine are not SQL's.
      return { sql: c.op === '!=' || c.kind === 'number' ? 'TRUE' : `${resolved.expr} IS NOT NULL`, exact: false };
  }
}

function expressionPart(e: JsonExpression, target: SqlTarget, label: string): Part {
  if (e.kind === 'and' || e.kind === 'or') {
    const parts = e.of.map((x) => expressionPart(x, target, label));
    const unsupported = parts.find((p) => p.unsupported !== undefined)?.unsupported;
    return {
      sql: e.kind === 'and' ? and(parts.map((p) => p.sql)) : or(parts.map((p) => p.sql)),
      exact: parts.every((p) => p.exact),
      ...(unsupported === undefined ? {} : { unsupported }),
    };
  }
  if (['string', 'regex', 'number', 'is', 'not-exists'].includes((e as JsonCondition).kind)) return conditionPart(e as JsonCondition, target, label);
  // A kind of condition this compiler does not know: every record is a candidate.
  return { sql: 'TRUE', exact: false };
}

function patternPart(pattern: FilterPattern, target: SqlTarget, label: string): Part {
  const raw = rawText(target);
  switch (pattern.kind) {
    case 'match-all':
      return { sql: 'TRUE', exact: true };
    case 'terms': {
      if (raw === undefined) return { sql: 'TRUE', exact: false, unsupported: `${label}: a plain-text pattern matches the record's JSON text, which this table does not have` };
      const groups = pattern.groups.map((g) => and([
        ...g.include.map((t) => `strpos(${raw}, ${literal(t)}) > 0`),
        ...g.exclude.map((t) => `strpos(${raw}, ${literal(t)}) = 0`),
      ]));
      return { sql: or(groups), exact: true };
    }
    case 'text-regex':
      if (raw === undefined) return { sql: 'TRUE', exact: false, unsupported: `${label}: a regular expression over the record's JSON text needs that text, which this table does not have` };
      return { sql: 'TRUE', exact: false };
    case 'json':
      return expressionPart(pattern.expression, target, label);
    default:
      return { sql: 'TRUE', exact: false };
  }
}

/**
 * Compiles grep's filters. `superset` (grep/tail --index) lets through the records whose eventTime
 * is not in CloudTrail's canonical form, for grep's matcher to judge.
 */
export function compileFilterSql(spec: FilterSpec, target: SqlTarget, options: { superset?: boolean } = {}): CompiledWhere {
  const parts: { name: string; part: Part }[] = [];
  const add = (name: string, part: Part) => parts.push({ name, part });
  const some = <T>(values: readonly T[] | undefined): values is readonly T[] => values !== undefined && values.length > 0;

  parts.push(...partitionPredicates(spec, target).map((sql) => ({ name: 'partitions', part: { sql, exact: true } })));
  if (some(spec.eventNames)) add('--event-name', { sql: or(spec.eventNames.map((g) => like('eventname', globToLike(g)))), exact: true });
  if (some(spec.eventSources)) add('--event-source', { sql: inList('eventsource', [...new Set(spec.eventSources.map(expandEventSource))]), exact: true });
  if (some(spec.users)) add('--user', principalPart(spec.users));
  if (some(spec.accounts)) {
    // The columns read numbers as their text; grep's accountOf falls back to userIdentity.accountId
    // when recipientAccountId is not a string. Either column matching is a candidate.
    const sql = options.superset === true ? or([inList('recipientaccountid', spec.accounts), inList('useridentity.accountid', spec.accounts)]) : inList(ACCOUNT_EXPR, spec.accounts);
    add('--account', { sql, exact: options.superset !== true });
  }
  if (some(spec.regions)) add('--region', { sql: inList('awsregion', spec.regions), exact: true });
  if (some(spec.sourceIps)) add('--source-ip', sourceIpPart(spec.sourceIps));
  if (some(spec.errorCodes)) add('--error-code', { sql: or(spec.errorCodes.map((g) => like('errorcode', globToLike(g)))), exact: true });
  if (spec.errorsOnly === true) add('--errors', { sql: `(errorcode IS NOT NULL AND errorcode <> '')`, exact: true });
  if (spec.readOnly === true) add('--read-only', { sql: `readonly = 'true'`, exact: true });
  if (spec.writeOnly === true) add('--write-only', { sql: `readonly = 'false'`, exact: true });
  if (spec.since !== undefined || spec.until !== undefined) add('--since/--until', timePart(spec.since, spec.until, target, options.superset === true));
  if (some(spec.eventIds)) {
    const raw = rawText(target);
    const sql = raw === undefined
      ? inList('eventid', spec.eventIds)
      : and([or(spec.eventIds.map((id) => `strpos(${raw}, ${literal(id)}) > 0`)), inList(`json_extract_scalar(${raw}, '$.eventID')`, spec.eventIds)]);
    add('--event-id', { sql, exact: true });
  }
  const patternGroup = (name: string, sources: { label: string; text: string }[]) => {
    const compiled = sources.map((s) => patternPart(parseFilterPattern(s.text), target, s.label));
    const unsupported = compiled.find((c) => c.unsupported !== undefined)?.unsupported;
    add(name, { sql: or(compiled.map((c) => c.sql)), exact: compiled.every((c) => c.exact), ...(unsupported === undefined ? {} : { unsupported }) });
  };
  if (some(spec.patterns)) patternGroup('--pattern', spec.patterns.map((p) => ({ label: '--pattern', text: p })));
  if (some(spec.presets)) {
    patternGroup('--preset', spec.presets.map((name) => {
      const preset = findPreset(name);
      if (preset === undefined) throw new SqlCompileError(`--preset '${name}' is not a known preset`);
      return { label: `--preset ${preset.name}`, text: preset.pattern };
    }));
  }
  // Records DuckDB could not read into columns (JSON it does not take, such as a lone surrogate
  // escape, that JSON.parse does) have none: they are always candidates, for grep's matcher.
  const where = and(parts.map((p) => p.part.sql));
  const unread = `${ident('account')} = 'none' AND ${ident('region')} = 'none' AND eventtime IS NULL AND eventname IS NULL AND eventsource IS NULL AND useridentity IS NULL`;
  const withUnread = options.superset === true && target.table === 'index' && parts.length > 0;
  return {
    sql: withUnread ? or([where, `(${unread})`]) : where,
    inexact: [...new Set(parts.filter((p) => !p.part.exact).map((p) => p.name))],
    unsupported: parts.flatMap((p) => (p.part.unsupported === undefined ? [] : [p.part.unsupported])),
    ...(withUnread ? { filter: where, unread } : {}),
  };
}

// ------------------------------------------------------------------------------------------------
// Named questions

export type Question =
  | { readonly kind: 'access-key'; readonly accessKeyId: string }
  | { readonly kind: 'timeline'; readonly principal: string; readonly depth?: number }
  | { readonly kind: 'resource'; readonly arn: string }
  | { readonly kind: 'summary'; readonly top: number; readonly baselineMs: number };

export interface QuestionQuery {
  /** A stable name for the result set (`events`, `top-principals`, ...). */
  readonly name: string;
  readonly title: string;
  readonly sql: string;
  /** The rows are events (one per record; `raw` among the columns on the index). */
  readonly events: boolean;
}

/**
 * How many AssumeRole hops a timeline follows each way, unless asked for more: role chaining
 * rarely goes past a few, but "role juggling" (a session assuming role after role to outlive each
 * session's hour) makes long chains, and the chain's end rows say when it went on (`more`).
 */
export const CHAIN_DEPTH = 4;
/** The most hops a timeline follows each way: two CTEs a hop, and each joins the one before. */
export const MAX_CHAIN_DEPTH = 32;

function eventColumns(target: SqlTarget, alias = ''): string {
  const a = alias === '' ? '' : `${alias}.`;
  const columns = [
    `${a}eventtime`,
    `${a}useridentity.arn AS principal`,
    `${a}eventsource`,
    `${a}eventname`,
    `${a}awsregion`,
    `${a}sourceipaddress`,
    `${a}errorcode`,
    `coalesce(${a}recipientaccountid, ${a}useridentity.accountid) AS account`,
  ];
  if (target.table === 'index') columns.push(`${a}raw`, `${a}source`, `${a}record_index`, `${a}verdict`);
  return columns.join(', ');
}

function orderEvents(target: SqlTarget, alias = ''): string {
  const a = alias === '' ? '' : `${alias}.`;
  return target.table === 'index' ? `ORDER BY ${a}eventtime, ${a}source, ${a}record_index` : `ORDER BY ${a}eventtime, ${a}eventid`;
}

function where(parts: readonly string[]): string {
  const kept = parts.filter((p) => p !== 'TRUE');
  return kept.length === 0 ? '' : `WHERE ${kept.join('\n  AND ')}`;
}

/** The text searched for an identifier in a record's responses: the whole record on the index. */
function responseText(target: SqlTarget): string {
  return target.table === 'index' ? 'raw' : 'responseelements';
}

function anyResource(target: SqlTarget, predicate: (r: string) => string): string {
  return target.dialect === 'trino'
    ? `any_match(resources, r -> ${predicate('r')})`
    : `len(list_filter(resources, lambda r: ${predicate('r')})) > 0`;
}

export const ACCESS_KEY_ID = /^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,124}$/;

/**
 * The SQL of a named investigation. Every result set is limited to the scope (window, accounts,
 * regions), with the partitions pruned.
 */
export function questionSql(question: Question, scope: Scope, target: SqlTarget): QuestionQuery[] {
  const scoped = scopePredicates(scope, target);
  const from = target.from;
  switch (question.kind) {
    case 'access-key': {
      const key = literal(question.accessKeyId);
      // The calls made with the key, and the calls whose response issued it (CreateAccessKey,
      // AssumeRole, GetSessionToken, GetFederationToken).
      const issued = and([
        `strpos(${responseText(target)}, ${key}) > 0`,
        or([
          `json_extract_scalar(${target.table === 'index' ? 'raw' : 'responseelements'}, ${literal(target.table === 'index' ? '$.responseElements.credentials.accessKeyId' : '$.credentials.accessKeyId')}) = ${key}`,
          `json_extract_scalar(${target.table === 'index' ? 'raw' : 'responseelements'}, ${literal(target.table === 'index' ? '$.responseElements.accessKey.accessKeyId' : '$.accessKey.accessKeyId')}) = ${key}`,
        ]),
      ]);
      const sql = `SELECT ${eventColumns(target)},\n  CASE WHEN useridentity.accesskeyid = ${key} THEN 'used' ELSE 'issued' END AS relation\nFROM ${from}\n${where([...scoped, or([`useridentity.accesskeyid = ${key}`, issued])])}\n${orderEvents(target)}`;
      return [{ name: 'events', title: `Activity of access key ${question.accessKeyId}`, sql, events: true }];
    }
    case 'timeline':
      return timelineSql(question.principal, question.depth ?? CHAIN_DEPTH, scoped, target);
    case 'resource': {
      const arn = literal(question.arn);
      const name = question.arn.includes(':') ? question.arn.slice(Math.max(question.arn.lastIndexOf(':'), question.arn.lastIndexOf('/')) + 1) : question.arn;
      const text = target.table === 'index' ? ['raw'] : ['requestparameters', 'responseelements'];
      // Named in the text as a whole name: not the start of a longer one (arn:aws:s3:::prod is not
      // arn:aws:s3:::prod-logs, role/Admin not role/AdminReadOnly), but a path under it, a
      // qualifier or the end of an escaped string may follow (prod/key.txt, function:f:1, \").
      const whole = literal(`(^|[^${NAME_CHARS}])${regexLiteral(question.arn)}([^${NAME_CHARS}]|$)`);
      const mentions = or(text.map((t) => and([`strpos(${t}, ${arn}) > 0`, `regexp_like(${t}, ${whole})`])));
      const s3Bucket = /^arn:aws[a-z-]*:s3:::[^/]+$/.test(question.arn)
        ? [`json_extract_scalar(${target.table === 'index' ? 'raw' : 'requestparameters'}, ${literal(target.table === 'index' ? '$.requestParameters.bucketName' : '$.bucketName')}) = ${literal(name)}`]
        : [];
      const touched = or([anyResource(target, (r) => `${r}.arn = ${arn}`), mentions, ...s3Bucket]);
      const sql = `SELECT ${eventColumns(target)}\nFROM ${from}\n${where([...scoped, touched])}\n${orderEvents(target)}`;
      return [{ name: 'events', title: `Events touching ${question.arn}`, sql, events: true }];
    }
    case 'summary':
      return summarySql(question, scope, scoped, target);
  }
}

const ASSUME_ROLE_EVENTS = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'];

/**
 * A principal's or role session's timeline. The chain is walked up to the source identity (the
 * AssumeRole calls whose response issued the session ARN, and who made them) and down to the
 * sessions it created, `depth` hops each way, in plain SQL (no recursion: Athena's engine caps a
 * recursive WITH at 10 steps): then every event of any identity on that chain, in time order. The
 * chain's rows say, in `more`, which identities at its ends have hops past `depth` to identities
 * not on it (a cycle back onto the chain, as when a session name is used again, is not more).
 */
function timelineSql(principal: string, depth: number, scoped: readonly string[], target: SqlTarget): QuestionQuery[] {
  const from = target.from;
  const text = target.table === 'index' ? 'raw' : 'responseelements';
  const issuedArn = `json_extract_scalar(${text}, ${literal(target.table === 'index' ? '$.responseElements.assumedRoleUser.arn' : '$.assumedRoleUser.arn')})`;
  const issuedKey = `json_extract_scalar(${text}, ${literal(target.table === 'index' ? '$.responseElements.credentials.accessKeyId' : '$.credentials.accessKeyId')})`;
  const p = literal(principal);
  const assumeRole = and([inList('eventname', ASSUME_ROLE_EVENTS), `errorcode IS NULL`]);
  const ctes: string[] = [];
  ctes.push(`assumed AS (\n  SELECT useridentity.arn AS caller, ${issuedArn} AS session_arn, ${issuedKey} AS session_key, eventtime\n  FROM ${from}\n  ${where([...scoped, assumeRole])}\n)`);
  // The identities the principal names: its ARN, a user or role name, or a role session's ARN.
  ctes.push(`seed AS (\n  SELECT DISTINCT useridentity.arn AS arn FROM ${from}\n  ${where([...scoped, or([`useridentity.arn = ${p}`, `useridentity.username = ${p}`, `useridentity.sessioncontext.sessionissuer.arn = ${p}`, `useridentity.sessioncontext.sessionissuer.username = ${p}`, `useridentity.principalid = ${p}`])])}\n  UNION SELECT ${p}\n)`);
  ctes.push(`up0 AS (SELECT arn, 0 AS depth FROM seed)`);
  for (let i = 1; i <= depth; i++) ctes.push(`up${i} AS (SELECT DISTINCT a.caller AS arn, ${-i} AS depth FROM assumed a JOIN up${i - 1} u ON a.session_arn = u.arn)`);
  ctes.push(`down0 AS (SELECT arn, 0 AS depth FROM seed)`);
  for (let i = 1; i <= depth; i++) ctes.push(`down${i} AS (SELECT DISTINCT a.session_arn AS arn, ${i} AS depth FROM assumed a JOIN down${i - 1} d ON a.caller = d.arn)`);
  const chainParts = [...Array(depth + 1).keys()].flatMap((i) => [`SELECT arn, depth FROM up${i}`, ...(i === 0 ? [] : [`SELECT arn, depth FROM down${i}`])]);
  // An identity reached more than once (a cycle, or both ways) is placed at its nearest hop, the
  // source side first: min(depth) put the principal itself at -2 when two sessions assume each other.
  ctes.push(`chain AS (\n  SELECT arn, min_by(depth, abs(depth) * 2 + CASE WHEN depth > 0 THEN 1 ELSE 0 END) AS depth FROM (\n    ${chainParts.join('\n    UNION ALL ')}\n  ) c WHERE arn IS NOT NULL GROUP BY arn\n)`);
  // One row per key: an AssumeRole seen twice (CloudTrail may deliver an event more than once)
  // would otherwise print every event made with its key twice.
  ctes.push(`session_keys AS (SELECT a.session_key AS access_key, min(c.depth) AS depth FROM assumed a JOIN chain c ON a.session_arn = c.arn WHERE a.session_key IS NOT NULL GROUP BY a.session_key)`);
  // One hop past each end: the identities there that are not on the chain. (Each hop is DISTINCT:
  // a session assumed again and again would otherwise multiply the rows at every hop.)
  const past = [
    `SELECT u.arn FROM up${depth} u JOIN assumed a ON a.session_arn = u.arn WHERE a.caller IS NOT NULL AND a.caller NOT IN (SELECT arn FROM chain)`,
    `SELECT d.arn FROM down${depth} d JOIN assumed a ON a.caller = d.arn WHERE a.session_arn IS NOT NULL AND a.session_arn NOT IN (SELECT arn FROM chain)`,
  ];
  const chainSql = `WITH ${ctes.join(',\n')},\npast AS (\n  ${past.join('\n  UNION\n  ')}\n)\nSELECT c.depth, c.arn, c.arn IN (SELECT arn FROM past) AS more FROM chain c ORDER BY c.depth, c.arn`;
  const eventsSql = `WITH ${ctes.join(',\n')}\nSELECT ${eventColumns(target, 'e')},\n  coalesce(c.depth, k.depth) AS depth\nFROM ${from} e\nLEFT JOIN chain c ON e.useridentity.arn = c.arn\nLEFT JOIN session_keys k ON e.useridentity.accesskeyid = k.access_key\n${where([...scoped.map((s) => prefixColumns(s, 'e')), '(c.arn IS NOT NULL OR k.access_key IS NOT NULL)'])}\n${orderEvents(target, 'e')}`;
  return [
    { name: 'chain', title: `Identities on ${principal}'s AssumeRole chain, ${depth} hops each way (negative depth: towards the source identity; positive: sessions it created; more: hops past the last one not followed)`, sql: chainSql, events: false },
    { name: 'events', title: `Timeline of ${principal} and its chain`, sql: eventsSql, events: true },
  ];
}

/** The characters of a name in an ARN (IAM's [\w+=,.@-] and S3's [a-z0-9.-], less the comma that also separates lists), as a regex class body. */
const NAME_CHARS = 'A-Za-z0-9_+=.@-';

/** Text as a regular expression that matches it literally, in RE2's syntax (DuckDB) and Java's (Trino) alike. */
function regexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Qualifies the bare column names of a scope predicate with a table alias. */
function prefixColumns(predicate: string, alias: string): string {
  return predicate.replace(/(^|[\s(,])(event_ms|eventtime|awsregion|recipientaccountid|useridentity|"account"|"region"|"date"|"timestamp")\b/g, `$1${alias}.$2`);
}

function summarySql(question: { top: number; baselineMs: number }, scope: Scope, scoped: readonly string[], target: SqlTarget): QuestionQuery[] {
  const from = target.from;
  const top = Math.max(1, Math.floor(question.top));
  const grouped = (name: string, title: string, columns: string, extra: string[] = []) => ({
    name,
    title,
    // Ties are ordered by every grouped column: with LIMIT, an order by the first alone would let
    // two runs return different rows (two errors of one code, as many events, different actions).
    sql: `SELECT ${columns}, count(*) AS events\nFROM ${from}\n${where([...scoped, ...extra])}\nGROUP BY ${columns.split(', ').map((_c, i) => i + 1).join(', ')}\nORDER BY events DESC, ${columns.split(', ').map((_c, i) => i + 1).join(', ')}\nLIMIT ${top}`,
    events: false,
  });
  const out: QuestionQuery[] = [
    grouped('top-principals', 'Top principals', 'useridentity.arn AS principal'),
    grouped('top-actions', 'Top actions', 'eventsource, eventname'),
    grouped('top-errors', 'Top errors', 'errorcode, eventname', [`errorcode IS NOT NULL`]),
    grouped('top-source-ips', 'Top source IPs', 'sourceipaddress'),
    grouped('regions', 'Regions', 'awsregion'),
  ];
  if (scope.since !== undefined) {
    // First seen: inside the window, and not in the baseline before it.
    const baseline = scopePredicates({ ...scope, since: scope.since - question.baselineMs, until: scope.until }, target);
    const since = target.table === 'index' ? `event_ms >= ${Math.ceil(scope.since)}` : `eventtime >= ${literal(isoSeconds(Math.ceil(scope.since / 1000)))}`;
    const firstSeen = (name: string, title: string, column: string) => ({
      name,
      title,
      sql: `SELECT ${column} AS value, min(eventtime) AS first_seen, count(*) AS events\nFROM ${from}\n${where([...baseline, `${column} IS NOT NULL`])}\nGROUP BY 1\nHAVING min(${target.table === 'index' ? 'event_ms' : 'eventtime'}) >= ${since.replace(/^\S+ >= /, '')}\nORDER BY first_seen, 1\nLIMIT ${top}`,
      events: false,
    });
    out.push(firstSeen('first-seen-principals', 'Principals first seen in the window', 'useridentity.arn'));
    out.push(firstSeen('first-seen-source-ips', 'Source IPs first seen in the window', 'sourceipaddress'));
  }
  return out;
}

/** The column list of AWS's DDL with the struct types, for describing the `events` table. */
export const TABLE_COLUMNS: readonly Field[] = CLOUDTRAIL_COLUMNS;
export { USER_IDENTITY, RESOURCES };
