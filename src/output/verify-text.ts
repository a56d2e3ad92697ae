import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { CheckResult, CheckStatus, CheckSummary } from '../core/verify-checks.js';
import { safeText } from './terminal-safe.js';

/** Words of `text` in lines of at most `width` characters, the lines after the first indented by `indent` (a word longer than a line is cut). */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const room = width - (lines.length === 0 ? 0 : indent.length);
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.flatMap((l, i) => {
    const room = width - (i === 0 ? 0 : indent.length);
    const parts: string[] = [];
    for (let rest = l; rest.length > 0; rest = rest.slice(room)) parts.push(rest.slice(0, room));
    return parts;
  }).map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/** verify's text: the table is 80 columns wide unless the terminal (or COLUMNS) says otherwise; the fixes below it wrap to the same width. */
export function renderVerifyText(chalk: ChalkInstance, terminalColumns: number | undefined, trail: string, results: readonly CheckResult[], summary: CheckSummary): string {
  const c = chalk;
  const width = Math.max(60, Math.min(terminalColumns ?? 80, 200));
  const paint: Record<CheckStatus, (s: string) => string> = { pass: c.green, warn: c.yellow, fail: c.red.bold, skip: c.dim };
  // Borders (4) + STATUS (6 + padding) + CHECK (the longest id, 24, + padding) + MESSAGE (the rest).
  const statusWidth = 8;
  const checkWidth = 26;
  const messageWidth = width - 4 - statusWidth - checkWidth;
  const table = new Table({ head: ['STATUS', 'CHECK', 'MESSAGE'].map((h) => c.bold(h)), style: { head: [], border: [], compact: true }, colWidths: [statusWidth, checkWidth, messageWidth] });
  // Wrapped here (long ARNs are broken, not cut off), so every cell fits its column.
  for (const r of results) table.push([paint[r.status](r.status.toUpperCase()), r.id, wrap(safeText(r.message), messageWidth - 2, '').join('\n')]);
  const fixes = results.filter((r) => r.remediation !== undefined && (r.status === 'fail' || r.status === 'warn')).flatMap((r) => {
    const [first = '', ...rest] = wrap(`${r.id}: ${safeText(r.remediation as string)}`, width - 2, '    ');
    return [`  ${paint[r.status](r.id)}${first.slice(r.id.length)}`, ...rest.map((l) => `  ${l}`)];
  });
  const verdict = summary.failed ? c.red.bold('FAILED') : c.green.bold('OK');
  return [
    `trailkit verify ${safeText(trail)}`,
    table.toString(),
    ...(fixes.length === 0 ? [] : ['To fix:', ...fixes]),
    `${verdict}: ${summary.pass} pass, ${summary.warn} warn, ${summary.fail} fail, ${summary.skip} skip`,
    '',
  ].join('\n');
}
