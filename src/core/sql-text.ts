/**
 * SQL text helpers shared by the DuckDB and the Trino (Athena) dialects. Every value that comes
 * from a flag goes through `literal`, every generated name through `ident`; nothing a user typed
 * is ever pasted into SQL as it is.
 */

export type Dialect = 'duckdb' | 'trino';

/** A string literal: single quotes doubled. NUL cannot be in a SQL literal, so it is refused. */
export function literal(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('a NUL character cannot be used in a SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted identifier (both dialects quote with double quotes). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A LIKE pattern that matches `text` literally, with `\` as the escape character. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `expr LIKE pattern ESCAPE '\'`, written the same way in both dialects. */
export function like(expr: string, pattern: string): string {
  return `${expr} LIKE ${literal(pattern)} ESCAPE '\\'`;
}

/** A glob with `*` and `?` (grep's `--event-name`) as a LIKE pattern. */
export function globToLike(glob: string): string {
  let out = '';
  for (const c of glob) {
    if (c === '*') out += '%';
    else if (c === '?') out += '_';
    else out += likeEscape(c);
  }
  return out;
}

export function inList(expr: string, values: readonly string[]): string {
  if (values.length === 1) return `${expr} = ${literal(values[0] as string)}`;
  return `${expr} IN (${values.map(literal).join(', ')})`;
}

export function or(parts: readonly string[]): string {
  if (parts.length === 0) return 'FALSE';
  if (parts.length === 1) return parts[0] as string;
  return `(${parts.join(' OR ')})`;
}

export function and(parts: readonly string[]): string {
  if (parts.length === 0) return 'TRUE';
  if (parts.length === 1) return parts[0] as string;
  return `(${parts.join(' AND ')})`;
}

/** `YYYY-MM-DDTHH:MM:SSZ` of an epoch-seconds value, as CloudTrail writes eventTime. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYY-MM-DD` (or with another separator) of the UTC day holding `ms`. */
export function utcDay(ms: number, separator = '-'): string {
  const d = new Date(ms);
  return [d.getUTCFullYear(), String(d.getUTCMonth() + 1).padStart(2, '0'), String(d.getUTCDate()).padStart(2, '0')].join(separator);
}
