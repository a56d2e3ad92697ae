import type { Command } from 'commander';
import { makeContext, type CliContext, type GlobalOptions } from './context.js';

/** Runs a command body with the context built from the global options; sets the exit code. */
export async function runCommand(cmd: Command, body: (ctx: CliContext) => Promise<number>): Promise<void> {
  const ctx = makeContext(cmd.optsWithGlobals() as GlobalOptions);
  process.exitCode = await body(ctx);
}
