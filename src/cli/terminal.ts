import type { CliContext } from './context.js';

/**
 * The width human-readable output fits: COLUMNS when it is set (so a script or a test can ask
 * for a width), else the terminal's; undefined when stdout is not a terminal.
 */
export function terminalWidth(ctx: Pick<CliContext, 'env' | 'stdout' | 'stdoutIsTTY'>): number | undefined {
  const columns = ctx.env['COLUMNS'];
  if (columns !== undefined && /^\d+$/.test(columns) && Number(columns) > 0) return Number(columns);
  if (!ctx.stdoutIsTTY) return undefined;
  return ctx.stdout.columns !== undefined && ctx.stdout.columns > 0 ? ctx.stdout.columns : 80;
}
