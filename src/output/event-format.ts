import type { ChalkInstance } from 'chalk';
import { accountOf, fieldAt, isObject, principalOf, stringField, type CloudTrailRecord } from '../core/record.js';
import { safeText, truncateDisplay } from './terminal-safe.js';

/** A column of the human-readable outputs: a header and how to get its text from a record. */
export interface Column {
  readonly header: string;
  /** The width it gets when there is room. */
  readonly width: number;
  /** The narrowest it may be shortened to before it is dropped instead. */
  readonly minWidth: number;
  /** Which columns stay when the terminal is narrow: lower first. */
  readonly priority: number;
  readonly value: (record: CloudTrailRecord) => string | undefined;
  readonly style?: (chalk: ChalkInstance, text: string) => string;
  /** Cut from the start, keeping the end, when the value has a `/`: for role sessions, whose session name ends them. */
  readonly keepEnd?: boolean;
}

function shortSource(record: CloudTrailRecord): string | undefined {
  const source = stringField(record, 'eventSource');
  return source?.endsWith('.amazonaws.com') ? source.slice(0, -'.amazonaws.com'.length) : source;
}

/**
 * The default columns, in display order. At 80 columns time, event, principal and error stay;
 * source IP, region, account and service are added as the terminal widens.
 */
export const DEFAULT_COLUMNS: readonly Column[] = [
  { header: 'TIME', width: 20, minWidth: 20, priority: 1, value: (r) => stringField(r, 'eventTime'), style: (c, t) => c.dim(t) },
  { header: 'ACCOUNT', width: 12, minWidth: 12, priority: 7, value: accountOf },
  { header: 'REGION', width: 14, minWidth: 9, priority: 6, value: (r) => stringField(r, 'awsRegion') },
  { header: 'PRINCIPAL', width: 28, minWidth: 14, priority: 3, value: principalOf, style: (c, t) => c.cyan(t), keepEnd: true },
  { header: 'SOURCE', width: 16, minWidth: 8, priority: 8, value: shortSource },
  { header: 'EVENT', width: 34, minWidth: 18, priority: 2, value: (r) => stringField(r, 'eventName'), style: (c, t) => c.bold(t) },
  { header: 'ERROR', width: 24, minWidth: 12, priority: 4, value: (r) => stringField(r, 'errorCode'), style: (c, t) => c.red(t) },
  { header: 'SOURCE IP', width: 39, minWidth: 15, priority: 5, value: (r) => stringField(r, 'sourceIPAddress') },
];

/** What a cell may show of an object or array: a column is far narrower, the rest is cut anyway. */
const MAX_CELL_JSON = 4096;

/**
 * JSON text of `value`, at most about `max` characters (longer text ends early and is cut by the
 * column). Written without recursion: a record nested a million levels deep is as fine as a flat
 * one (JSON.stringify would run out of stack).
 */
export function boundedJson(value: unknown, max = MAX_CELL_JSON): string {
  type Frame = { readonly items: readonly unknown[]; readonly keys?: readonly string[]; i: number };
  const frames: Frame[] = [];
  let out = '';
  const open = (v: unknown): void => {
    if (Array.isArray(v)) {
      out += '[';
      frames.push({ items: v, i: 0 });
    } else if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record).filter((k) => record[k] !== undefined);
      out += '{';
      frames.push({ items: keys.map((k) => record[k]), keys, i: 0 });
    } else {
      out += JSON.stringify(v) ?? 'null';
    }
  };
  open(value);
  while (frames.length > 0 && out.length <= max) {
    const frame = frames[frames.length - 1] as Frame;
    if (frame.i >= frame.items.length) {
      out += frame.keys === undefined ? ']' : '}';
      frames.pop();
      continue;
    }
    if (frame.i > 0) out += ',';
    if (frame.keys !== undefined) out += `${JSON.stringify(frame.keys[frame.i])}:`;
    const item = frame.items[frame.i];
    frame.i++;
    open(item === undefined ? null : item);
  }
  return out;
}

/** The text of a field for display: a string as it is, anything else as JSON of at most about `maxJson` characters. */
export function fieldText(record: CloudTrailRecord, path: string, maxJson = MAX_CELL_JSON): string | undefined {
  const value = fieldAt(record, path);
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : boundedJson(value, maxJson);
}

/**
 * Columns for `--fields a,b.c`: each a dotted path into the record, labelled with it, kept in the
 * order given. An object or array is shown as JSON, cut at `maxJson` characters (the text output,
 * which never cuts, passes Infinity).
 */
export function fieldColumns(fields: readonly string[], maxJson = MAX_CELL_JSON): Column[] {
  return fields.map((path, index) => ({
    header: path,
    width: Math.max(24, Math.min(path.length, 40)),
    minWidth: Math.min(Math.max(path.length, 8), 16),
    priority: index + 1,
    value: (record: CloudTrailRecord) => fieldText(record, path, maxJson),
  }));
}

/** The columns shown and the width of each; `full`: values are never cut (output that is not a terminal). */
export interface Layout {
  readonly columns: readonly Column[];
  readonly widths: readonly number[];
  readonly full: boolean;
}

/**
 * Fits the columns to `width` characters, of which `overhead(n)` go to what separates n columns
 * (two spaces between pretty columns; borders and padding in a table). Columns are taken in
 * priority order at their narrowest while they fit, then widened towards their preferred widths
 * in the same order; the ones that do not fit are dropped. At least one column is always kept.
 * Without a width (not a terminal), every column is kept at its preferred width.
 */
export function fitColumns(columns: readonly Column[], width: number | undefined, overhead: (n: number) => number, options: { full?: boolean } = {}): Layout {
  if (width === undefined) return { columns, widths: columns.map((c) => c.width), full: options.full ?? false };
  const byPriority = columns.map((column, index) => ({ column, index })).sort((a, b) => a.column.priority - b.column.priority || a.index - b.index);
  const chosen: { column: Column; index: number; width: number }[] = [];
  let used = 0;
  for (const entry of byPriority) {
    const next = used + entry.column.minWidth + overhead(chosen.length + 1) - (chosen.length === 0 ? 0 : overhead(chosen.length));
    if (next > width && chosen.length > 0) break;
    chosen.push({ ...entry, width: entry.column.minWidth });
    used = next;
  }
  let room = width - used;
  // A lone first column on a very narrow terminal shrinks to what there is.
  if (room < 0 && chosen.length === 1) (chosen[0] as { width: number }).width = Math.max(4, (chosen[0] as { width: number }).width + room);
  // The room left is shared a character at a time, in priority order, up to each preferred width.
  while (room > 0) {
    let grew = false;
    for (const entry of chosen) {
      if (room <= 0) break;
      if (entry.width < entry.column.width) {
        entry.width++;
        room--;
        grew = true;
      }
    }
    if (!grew) break;
  }
  chosen.sort((a, b) => a.index - b.index);
  return { columns: chosen.map((c) => c.column), widths: chosen.map((c) => c.width), full: false };
}

/** Two spaces between pretty columns. */
export const PRETTY_OVERHEAD = (n: number): number => Math.max(0, 2 * (n - 1));

/** A cell's display text: hostile characters escaped, cut to `width` (not cut when `width` is undefined). */
export function cellText(column: Column, record: CloudTrailRecord, width: number | undefined): string {
  const value = column.value(record);
  if (value === undefined || value === '') return '-';
  if (width === undefined) return safeText(value);
  // A role session (ROLE/SESSION) is cut at its start, keeping the session name; anything else at its end.
  if (column.keepEnd === true && value.includes('/')) {
    const text = safeText(value);
    const chars = Array.from(text);
    return chars.length <= width ? text : `…${chars.slice(chars.length - width + 1).join('')}`;
  }
  return truncateDisplay(value, width);
}

function pad(text: string, width: number): string {
  // Code points, as truncateDisplay counts them.
  const length = text.length <= width ? text.length : Array.from(text).length;
  return length >= width ? text : text + ' '.repeat(width - length);
}

/** One aligned line per event (`--output pretty`); the last column is not padded. */
export function prettyLine(record: CloudTrailRecord, layout: Layout, chalk: ChalkInstance): string {
  const { columns, widths } = layout;
  const last = columns.length - 1;
  let line = '';
  for (let i = 0; i <= last; i++) {
    const column = columns[i] as Column;
    const width = widths[i] as number;
    const text = cellText(column, record, layout.full ? undefined : width);
    const padded = i === last ? text : pad(text, width);
    if (i > 0) line += '  ';
    line += column.style !== undefined && text !== '-' ? column.style(chalk, padded) : padded;
  }
  return line.trimEnd();
}

/** The header line of pretty output: the column labels, aligned like the values. */
export function prettyHeader(layout: Layout, chalk: ChalkInstance): string {
  const last = layout.columns.length - 1;
  const cells = layout.columns.map((c, i) => {
    const label = truncateDisplay(c.header, layout.widths[i] as number);
    return i === last ? label : pad(label, layout.widths[i] as number);
  });
  return chalk.dim(cells.join('  ').trimEnd());
}

/**
 * `--output text`: the values separated by tabs, one event per line, as the AWS CLI's `text`
 * output, for `cut` and `awk`. Values are never cut; a missing one is `-`. Tabs, newlines and
 * every other control character inside a value are escaped (`\x09`), so a line is always one
 * event and a field never spills into the next.
 */
export function textLine(record: CloudTrailRecord, columns: readonly Column[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const value = (columns[i] as Column).value(record);
    if (i > 0) line += '\t';
    line += value === undefined || value === '' ? '-' : safeText(value);
  }
  return line;
}

export function textHeader(columns: readonly Column[]): string {
  return columns.map((c) => safeText(c.header)).join('\t');
}

/**
 * `--fields` with `--output json`: the record cut down to the fields asked for, nested as in the
 * record (`userIdentity.arn` stays under `userIdentity`), in the order given; a field the record
 * lacks is `null`, so every line has every field.
 */
export function projectRecord(record: CloudTrailRecord, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const path of paths) {
    const parts = path.split('.');
    const value = fieldAt(record, path);
    let target: Record<string, unknown> | unknown[] = out;
    let source: unknown = record;
    let placed = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next: unknown = Array.isArray(source) && /^\d+$/.test(part) ? source[Number(part)] : isObject(source) ? source[part] : undefined;
      if (Array.isArray(target) && !/^\d+$/.test(part)) {
        placed = false;
        break;
      }
      const key: string | number = Array.isArray(target) ? Number(part) : part;
      let child = (target as Record<string | number, unknown>)[key];
      if (child === undefined || child === null || typeof child !== 'object') {
        const index = /^\d+$/.test(parts[i + 1] as string);
        child = Array.isArray(next) || (next === undefined && index) ? [] : (Object.create(null) as Record<string, unknown>);
        (target as Record<string | number, unknown>)[key] = child;
      }
      target = child as Record<string, unknown> | unknown[];
      source = next;
    }
    const last = parts[parts.length - 1] as string;
    if (!placed || (Array.isArray(target) && !/^\d+$/.test(last))) continue;
    (target as Record<string | number, unknown>)[Array.isArray(target) ? Number(last) : last] = value === undefined ? null : value;
  }
  return out;
}
