import { usageError } from '../core/errors.js';
import type { CloudTrailRecord } from '../core/record.js';
import {
  boundedJson, DEFAULT_COLUMNS, fieldColumns, fitColumns, PRETTY_OVERHEAD, prettyHeader, prettyLine, projectRecord, textHeader, textLine, type Column, type Layout,
} from '../output/event-format.js';
import { TABLE_OVERHEAD, tableBottom, tableRow, tableTop } from '../output/event-table.js';
import { safeText } from '../output/terminal-safe.js';
import type { WireMatch } from '../sources/file-search.js';
import type { CliContext } from './context.js';
import { terminalWidth } from './terminal.js';

import { EVENT_OUTPUTS } from './output-formats.js';

export type EventFormat = (typeof EVENT_OUTPUTS)[number];

/** `--output` for event commands: pretty on a terminal, JSON lines when piped (so `| jq` works). */
export function resolveEventFormat(output: string | undefined, stdoutIsTTY: boolean): EventFormat {
  if (output === undefined) return stdoutIsTTY ? 'pretty' : 'json';
  if ((EVENT_OUTPUTS as readonly string[]).includes(output)) return output as EventFormat;
  throw usageError(`--output '${output}': not a format of events`, 'use pretty, table, text or json');
}

/** `--fields a,b.c` as a list, or undefined for the default columns. */
export function fieldList(fields: string | undefined): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = fields.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (list.length === 0) throw usageError('--fields: needs at least one field name', 'e.g. --fields eventTime,eventName,userIdentity.arn');
  return list;
}

/** The printer settings of grep and tail: `--fields` and `--headers`/`--no-headers`. */
export function printerOptions(flags: { fields?: string; headers?: boolean }): EventPrinterOptions {
  const fields = fieldList(flags.fields);
  return { ...(fields === undefined ? {} : { fields }), ...(flags.headers === undefined ? {} : { headers: flags.headers }) };
}

export interface EventPrinterOptions {
  /** `--fields`, or undefined for the default columns. */
  readonly fields?: readonly string[];
  /** `--headers` / `--no-headers`; default: on a terminal. */
  readonly headers?: boolean;
}

/**
 * Prints events in the chosen format, as they come (no format holds events back). JSON lines are
 * the record text as found in the input, so the output is faithful to it (with `--fields`, one
 * projected object per event); the human formats escape hostile characters.
 */
export class EventPrinter {
  printed = 0;
  private readonly columns: readonly Column[];
  private readonly layout: Layout;
  private readonly headers: boolean;
  private started = false;

  constructor(
    private readonly ctx: CliContext,
    private readonly format: EventFormat,
    private readonly options: EventPrinterOptions = {},
  ) {
    // Text never cuts a value, so an object or array field is its whole JSON there.
    this.columns = options.fields === undefined ? DEFAULT_COLUMNS : fieldColumns(options.fields, format === 'text' ? Infinity : undefined);
    const width = terminalWidth(ctx);
    this.layout = format === 'table'
      ? fitColumns(this.columns, width, TABLE_OVERHEAD)
      : fitColumns(this.columns, width, PRETTY_OVERHEAD, { full: true });
    this.headers = options.headers ?? ctx.stdoutIsTTY;
  }

  /** Whether it prints the records' fields (every format but JSON lines without --fields): the search may keep them parsed. */
  get readsRecords(): boolean {
    return this.format !== 'json' || this.options.fields !== undefined;
  }

  private opening(): string {
    if (this.started) return '';
    this.started = true;
    if (this.format === 'table') return `${tableTop(this.layout, this.ctx.chalk)}\n`;
    if (!this.headers) return '';
    if (this.format === 'pretty') return `${prettyHeader(this.layout, this.ctx.chalk)}\n`;
    if (this.format === 'text') return `${textHeader(this.columns)}\n`;
    return '';
  }

  async print(matches: readonly WireMatch[]): Promise<void> {
    if (matches.length === 0) return;
    this.printed += matches.length;
    let chunk = this.opening();
    if (this.format === 'json') {
      const fields = this.options.fields;
      if (fields === undefined) for (const m of matches) chunk += `${m.raw}\n`;
      // Written without recursion: a field nested a million levels deep cannot exhaust the stack.
      else for (const m of matches) chunk += `${boundedJson(projectRecord(recordOf(m), fields), Infinity)}\n`;
    } else if (this.format === 'pretty') {
      for (const m of matches) chunk += `${prettyLine(recordOf(m), this.layout, this.ctx.chalk)}\n`;
    } else if (this.format === 'table') {
      for (const m of matches) chunk += `${tableRow(recordOf(m), this.layout, this.ctx.chalk)}\n`;
    } else {
      for (const m of matches) chunk += `${textLine(recordOf(m), this.columns)}\n`;
    }
    await this.ctx.write(chunk);
  }

  /** Closes the table; the other formats have nothing left to print. */
  async finish(): Promise<void> {
    if (this.format === 'table' && this.started) await this.ctx.write(`${tableBottom(this.layout)}\n`);
  }
}

/** The match's record: as the search parsed it when it kept it, else parsed from its text. */
function recordOf(match: WireMatch): CloudTrailRecord {
  return match.record ?? (JSON.parse(match.raw) as CloudTrailRecord);
}

/** Reports one input that could not be (fully) read: `trailkit: PATH: reason`. */
export function reportInputError(ctx: CliContext, path: string, message: string): void {
  ctx.stderr.write(`${ctx.errChalk.red('trailkit:')} ${safeText(path)}: ${safeText(message)}\n`);
}
