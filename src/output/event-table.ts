import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { CloudTrailRecord } from '../core/record.js';
import { cellText, type Column } from './event-format.js';

/** `--output table`: a bordered table of the events (built whole, so it suits bounded results). */
export function renderEventTable(records: readonly CloudTrailRecord[], columns: readonly Column[], chalk: ChalkInstance): string {
  const table = new Table({
    head: columns.map((c) => chalk.bold(c.header)),
    style: { head: [], border: [], compact: true },
    wordWrap: false,
  });
  for (const record of records) {
    table.push(columns.map((column) => cellText(column, record)));
  }
  return table.toString();
}
