/**
 * Renderers for SQL results (`trailkit query`, named questions, `athena query`): pretty (aligned
 * columns), table, text (tab-separated, as the AWS CLI's text output), json (one object per line)
 * and csv (RFC 4180). Human formats escape hostile characters; json and csv keep values as they are.
 * Result sets of events carry the record's JSON text in `raw`: json prints that text (byte-faithful
 * to the log files, as `grep --output json`), the other formats leave the column out.
 */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { safeText, truncateDisplay } from './terminal-safe.js';

export type RowFormat = 'pretty' | 'table' | 'text' | 'json' | 'csv';

export type Cell = string | number | boolean | null | bigint | Date | readonly unknown[] | { readonly [key: string]: unknown } | Uint8Array | undefined;

/** A value as JSON can hold it: BIGINTs as numbers when exact, else as strings. */
export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

/** A cell as text: scalars as they are, structs and lists as compact JSON, NULL as empty. */
export function cellString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(jsonValue(value));
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Text output never carries a tab or line break inside a field: they are escaped like other control characters. */
function textField(text: string): string {
  return safeText(text);
}

const MAX_PRETTY_WIDTH = 60;

export class RowPrinter {
  private readonly buffered: string[][] = [];
  private columns: string[] = [];
  private shown: number[] = [];
  private headerDone = false;
  rows = 0;

  constructor(
    private readonly format: RowFormat,
    private readonly write: (text: string) => Promise<void>,
    private readonly chalk: ChalkInstance,
    /** A heading printed before the result (human formats only). */
    private readonly title?: string,
  ) {}

  /** Starts a result set with these column names. */
  begin(columns: readonly string[]): void {
    this.columns = [...columns];
    const events = this.columns.includes('raw') && this.columns.length > 1;
    // Human formats and csv leave the record text (and where it was read) out when the event's columns are there.
    const hidden = new Set(events && this.format !== 'json' ? ['raw', 'source', 'record_index'] : []);
    this.shown = this.columns.map((_c, i) => i).filter((i) => !hidden.has(this.columns[i] as string));
  }

  async add(rows: readonly (readonly unknown[])[]): Promise<void> {
    if (rows.length === 0) return;
    this.rows += rows.length;
    const rawAt = this.columns.indexOf('raw');
    switch (this.format) {
      case 'json': {
        let out = '';
        for (const row of rows) {
          if (rawAt >= 0 && typeof row[rawAt] === 'string') out += `${row[rawAt] as string}\n`;
          else out += `${JSON.stringify(Object.fromEntries(this.columns.map((c, i) => [c, jsonValue(row[i])])))}\n`;
        }
        await this.write(out);
        return;
      }
      case 'csv': {
        let out = this.headerDone ? '' : `${this.shown.map((i) => csvField(this.columns[i] as string)).join(',')}\r\n`;
        this.headerDone = true;
        for (const row of rows) out += `${this.shown.map((i) => csvField(cellString(row[i]))).join(',')}\r\n`;
        await this.write(out);
        return;
      }
      case 'text': {
        let out = '';
        for (const row of rows) out += `${this.shown.map((i) => textField(cellString(row[i]))).join('\t')}\n`;
        await this.write(out);
        return;
      }
      case 'pretty':
      case 'table':
        for (const row of rows) this.buffered.push(this.shown.map((i) => cellString(row[i])));
        return;
    }
  }

  async finish(): Promise<void> {
    const title = this.title === undefined ? '' : `${this.chalk.bold(safeText(this.title))}\n`;
    if (this.format === 'csv' && !this.headerDone) {
      this.headerDone = true;
      await this.write(`${this.shown.map((i) => csvField(this.columns[i] as string)).join(',')}\r\n`);
      return;
    }
    if (this.format === 'table') {
      const table = new Table({ head: this.shown.map((i) => this.chalk.bold(safeText(this.columns[i] as string))), style: { head: [], border: [], compact: true }, wordWrap: false });
      for (const row of this.buffered) table.push(row.map(safeText));
      await this.write(`${title}${table.toString()}\n`);
      return;
    }
    if (this.format === 'pretty') {
      const headers = this.shown.map((i) => this.columns[i] as string);
      const widths = headers.map((h, k) => Math.min(MAX_PRETTY_WIDTH, this.buffered.reduce((w, r) => Math.max(w, safeText(r[k] ?? '').length), safeText(h).length)));
      const line = (cells: readonly string[]) => cells.map((c, k) => {
        const width = widths[k] as number;
        const cell = truncateDisplay(c, width);
        return k === cells.length - 1 ? cell : cell.padEnd(width);
      }).join('  ').trimEnd();
      let out = `${title}${this.chalk.bold(line(headers))}\n`;
      for (const row of this.buffered) out += `${line(row)}\n`;
      if (this.buffered.length === 0) out += `${this.chalk.dim('(no rows)')}\n`;
      await this.write(out);
    }
  }
}

export function parseRowFormat(output: string | undefined, stdoutIsTTY: boolean): RowFormat | undefined {
  if (output === undefined) return stdoutIsTTY ? 'pretty' : 'json';
  if (['pretty', 'table', 'text', 'json', 'csv'].includes(output)) return output as RowFormat;
  return undefined;
}
