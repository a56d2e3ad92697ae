import { usageError } from '../core/errors.js';
import type { CloudTrailRecord } from '../core/record.js';
import { DEFAULT_COLUMNS, fieldColumns, prettyLine, type Column } from '../output/event-format.js';
import { renderEventTable } from '../output/event-table.js';
import { safeText } from '../output/terminal-safe.js';
import type { WireMatch } from '../sources/file-search.js';
import type { CliContext } from './context.js';

export type EventFormat = 'pretty' | 'table' | 'json';

/** `--output` for event commands: pretty on a terminal, JSON lines when piped (so `| jq` works). */
export function resolveEventFormat(output: string | undefined, stdoutIsTTY: boolean): EventFormat {
  if (output === undefined) return stdoutIsTTY ? 'pretty' : 'json';
  if (output === 'pretty' || output === 'text') return 'pretty';
  if (output === 'table' || output === 'json') return output;
  throw usageError(`--output '${output}' is not a format for events`, 'use pretty, table or json');
}

export function columnsFor(fields: string | undefined): readonly Column[] {
  if (fields === undefined) return DEFAULT_COLUMNS;
  const list = fields.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (list.length === 0) throw usageError('--fields needs at least one field name', 'e.g. --fields eventTime,eventName,userIdentity.arn');
  return fieldColumns(list);
}

/**
 * Prints events in the chosen format. JSON lines are the record text as found in the input, so
 * the output is faithful to it; the human formats escape hostile characters.
 */
export class EventPrinter {
  private readonly tableRows: CloudTrailRecord[] = [];
  printed = 0;

  constructor(
    private readonly ctx: CliContext,
    private readonly format: EventFormat,
    private readonly columns: readonly Column[],
  ) {}

  async print(matches: readonly WireMatch[]): Promise<void> {
    if (matches.length === 0) return;
    this.printed += matches.length;
    if (this.format === 'json') {
      let chunk = '';
      for (const m of matches) chunk += `${m.raw}\n`;
      await this.ctx.write(chunk);
      return;
    }
    const records = matches.map((m) => JSON.parse(m.raw) as CloudTrailRecord);
    if (this.format === 'table') {
      this.tableRows.push(...records);
      return;
    }
    let chunk = '';
    for (const record of records) chunk += `${prettyLine(record, this.columns, this.ctx.chalk)}\n`;
    await this.ctx.write(chunk);
  }

  async finish(): Promise<void> {
    if (this.format === 'table' && this.tableRows.length > 0) {
      await this.ctx.write(`${renderEventTable(this.tableRows, this.columns, this.ctx.chalk)}\n`);
    }
  }
}

/** Reports one input that could not be (fully) read: `trailkit: PATH: reason`. */
export function reportInputError(ctx: CliContext, path: string, message: string): void {
  ctx.stderr.write(`${ctx.errChalk.red('trailkit:')} ${safeText(path)}: ${safeText(message)}\n`);
}
