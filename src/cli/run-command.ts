import type { Command } from 'commander';
import { makeContext, type CliContext, type GlobalOptions } from './context.js';

/**
 * The options in effect for a command: the global ones may be given before the command name
 * (read by the program) or after it (read by the command). A value the user gave wins over a
 * default wherever it was given; commander's optsWithGlobals lets the program's defaults win.
 */
export function effectiveOptions(cmd: Command): Record<string, unknown> {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) chain.unshift(c);
  const out: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const command of chain) {
    for (const [key, value] of Object.entries(command.opts())) {
      const source = command.getOptionValueSource(key);
      const isGiven = source !== undefined && source !== 'default';
      if (isGiven || !given.has(key)) out[key] = value;
      if (isGiven) given.add(key);
    }
  }
  return out;
}

/** Runs a command body with the context built from the global options; sets the exit code. */
export async function runCommand(cmd: Command, body: (ctx: CliContext) => Promise<number>): Promise<void> {
  const ctx = makeContext(effectiveOptions(cmd) as unknown as GlobalOptions);
  process.exitCode = await body(ctx);
}
