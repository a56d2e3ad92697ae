import type { ChalkInstance } from 'chalk';
import { accountOf, fieldAt, principalOf, stringField, type CloudTrailRecord } from '../core/record.js';
import { safeText, truncateDisplay } from './terminal-safe.js';

/** A column of the human-readable outputs: a header and how to get its text from a record. */
export interface Column {
  readonly header: string;
  readonly width: number;
  readonly value: (record: CloudTrailRecord) => string | undefined;
  readonly style?: (chalk: ChalkInstance, text: string) => string;
  /** Cut from the start, keeping the end: for principals, whose session name ends them. */
  readonly keepEnd?: boolean;
}

function shortSource(record: CloudTrailRecord): string | undefined {
  const source = stringField(record, 'eventSource');
  return source?.endsWith('.amazonaws.com') ? source.slice(0, -'.amazonaws.com'.length) : source;
}

/** The default columns: time, account, region, principal, source, event name, error, source IP. */
export const DEFAULT_COLUMNS: readonly Column[] = [
  { header: 'TIME', width: 20, value: (r) => stringField(r, 'eventTime'), style: (c, t) => c.dim(t) },
  { header: 'ACCOUNT', width: 12, value: accountOf },
  { header: 'REGION', width: 14, value: (r) => stringField(r, 'awsRegion') },
  { header: 'PRINCIPAL', width: 28, value: principalOf, style: (c, t) => c.cyan(t), keepEnd: true },
  { header: 'SOURCE', width: 16, value: shortSource },
  { header: 'EVENT', width: 34, value: (r) => stringField(r, 'eventName'), style: (c, t) => c.bold(t) },
  { header: 'ERROR', width: 24, value: (r) => stringField(r, 'errorCode'), style: (c, t) => c.red(t) },
  { header: 'SOURCE IP', width: 39, value: (r) => stringField(r, 'sourceIPAddress') },
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

/** Columns for `--fields a,b.c`: each a dotted path into the record. */
export function fieldColumns(fields: readonly string[]): Column[] {
  return fields.map((path) => ({
    header: path,
    width: 40,
    value: (record: CloudTrailRecord) => {
      const value = fieldAt(record, path);
      if (value === undefined || value === null) return undefined;
      return typeof value === 'string' ? value : boundedJson(value);
    },
  }));
}

/** A cell's display text: hostile characters escaped, cut to the column width. */
export function cellText(column: Column, record: CloudTrailRecord, width = column.width): string {
  const value = column.value(record);
  if (value === undefined || value === '') return '-';
  if (column.keepEnd === true) {
    const text = safeText(value);
    const chars = Array.from(text);
    return chars.length <= width ? text : `…${chars.slice(chars.length - width + 1).join('')}`;
  }
  return truncateDisplay(value, width);
}

/** One aligned line per event (`--output pretty`); the last column is not padded. */
export function prettyLine(record: CloudTrailRecord, columns: readonly Column[], chalk: ChalkInstance): string {
  const cells: string[] = [];
  columns.forEach((column, index) => {
    const text = cellText(column, record);
    const padded = index === columns.length - 1 ? text : text.padEnd(column.width);
    cells.push(column.style !== undefined && text !== '-' ? column.style(chalk, padded) : padded);
  });
  return cells.join('  ').trimEnd();
}

export function prettyHeader(columns: readonly Column[], chalk: ChalkInstance): string {
  return chalk.dim(columns.map((c, i) => (i === columns.length - 1 ? c.header : c.header.padEnd(c.width))).join('  '));
}
