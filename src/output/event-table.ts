import type { ChalkInstance } from 'chalk';
import type { CloudTrailRecord } from '../core/record.js';
import { cellText, type Column, type Layout } from './event-format.js';

/**
 * `--output table`, drawn a row at a time: the top border and the header when the first event
 * comes, one line per event, the bottom border at the end. Column widths are fixed before the
 * first row (fitted to the terminal, or the columns' preferred widths), so nothing is held
 * back: memory stays flat whatever the number of events, and `| head` sees rows at once.
 */

/** Borders and one space of padding on each side of every cell. */
export const TABLE_OVERHEAD = (n: number): number => 3 * n + 1;

function rule(widths: readonly number[], left: string, mid: string, right: string): string {
  return `${left}${widths.map((w) => '─'.repeat(w + 2)).join(mid)}${right}`;
}

function pad(text: string, width: number): string {
  const length = text.length <= width ? text.length : Array.from(text).length;
  return length >= width ? text : text + ' '.repeat(width - length);
}

export function tableTop(layout: Layout, chalk: ChalkInstance): string {
  const head = layout.columns.map((c, i) => {
    const width = layout.widths[i] as number;
    return chalk.bold(pad(cellText({ ...c, value: () => c.header, keepEnd: false }, {}, width), width));
  });
  return [rule(layout.widths, '┌', '┬', '┐'), `│ ${head.join(' │ ')} │`, rule(layout.widths, '├', '┼', '┤')].join('\n');
}

export function tableRow(record: CloudTrailRecord, layout: Layout, chalk: ChalkInstance): string {
  let line = '│';
  for (let i = 0; i < layout.columns.length; i++) {
    const column = layout.columns[i] as Column;
    const width = layout.widths[i] as number;
    const text = cellText(column, record, width);
    const padded = pad(text, width);
    line += ` ${column.style !== undefined && text !== '-' ? column.style(chalk, padded) : padded} │`;
  }
  return line;
}

export function tableBottom(layout: Layout): string {
  return rule(layout.widths, '└', '┴', '┘');
}
