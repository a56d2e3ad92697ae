import type { Command } from 'commander';
import { usageError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
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

/**
 * Checks the global options every command shares. An empty --endpoint-url would otherwise be
 * dropped and the calls would go to AWS itself, not to the emulator the user meant.
 */
export function checkGlobalOptions(globals: GlobalOptions): void {
  const endpoint = globals.endpointUrl;
  if (endpoint === undefined) return;
  if (endpoint.trim() === '') {
    throw usageError('--endpoint-url was given an empty URL, so the AWS calls would go to AWS itself', 'give the endpoint, e.g. --endpoint-url http://127.0.0.1:5000, or leave the flag out');
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw usageError(`--endpoint-url '${safeText(endpoint)}' is not an http:// or https:// URL`, 'e.g. --endpoint-url http://127.0.0.1:5000');
  }
}

/** Runs a command body with the context built from the global options; sets the exit code. */
export async function runCommand(cmd: Command, body: (ctx: CliContext) => Promise<number>): Promise<void> {
  const globals = effectiveOptions(cmd) as unknown as GlobalOptions;
  checkGlobalOptions(globals);
  const ctx = makeContext(globals);
  process.exitCode = await body(ctx);
}
