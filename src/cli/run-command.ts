import type { Command } from 'commander';
import { usageError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
import { makeContext, type CliContext, type GlobalOptions } from './context.js';

/** How strongly a value was given: typed on the command line beats the environment beats a default. */
function rank(source: string | undefined): number {
  if (source === 'cli') return 3;
  if (source === 'env' || source === 'config' || source === 'implied') return 2;
  if (source === 'default') return 1;
  return 0;
}

/**
 * The options in effect for a command: the global ones may be given before the command name
 * (read by the program) or after it (read by the command). A value typed on the command line
 * wins wherever it was typed, then one from the environment, then a default; between two of the
 * same strength the one after the command name wins. (commander's optsWithGlobals lets the
 * program's value win, whatever its source.)
 */
export function effectiveOptions(cmd: Command): Record<string, unknown> {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) chain.unshift(c);
  const out: Record<string, unknown> = {};
  const strength = new Map<string, number>();
  for (const command of chain) {
    for (const [key, value] of Object.entries(command.opts())) {
      const r = rank(command.getOptionValueSource(key));
      if (r >= (strength.get(key) ?? -1)) {
        out[key] = value;
        strength.set(key, r);
      }
    }
  }
  return out;
}

/**
 * Checks the global options every command shares. An empty --endpoint-url would otherwise be
 * dropped and the calls would go to AWS itself, not to the emulator the user meant; an empty
 * --region or --profile would silently give way to the environment's.
 */
export function checkGlobalOptions(globals: GlobalOptions): void {
  for (const [flag, value, example] of [['--region', globals.region, 'us-east-1'], ['--profile', globals.profile, 'dev']] as const) {
    if (value !== undefined && value.trim() === '') {
      throw usageError(`${flag} was given an empty value, so another one (the environment's or the profile's) would be used`, `give a value, e.g. ${flag} ${example}, or leave the flag out`);
    }
  }
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

/** The command's name as typed: `grep`, `policy`, `trailkit` for the program itself. */
export function commandName(cmd: Command): string {
  return cmd.parent === null ? 'trailkit' : cmd.name();
}

/**
 * `--output` checked against the formats a command prints, with one wording everywhere:
 * `trailkit: --output 'yaml': not a format of grep (use pretty, table, text or json)`.
 */
export function checkOutputFormat(command: string, value: string | undefined, accepted: readonly string[]): void {
  if (value === undefined || accepted.includes(value)) return;
  const list = accepted.length === 1 ? (accepted[0] as string) : `${accepted.slice(0, -1).join(', ')} or ${accepted[accepted.length - 1] as string}`;
  throw usageError(`--output '${value}': not a format of ${command}`, `use ${list}`);
}

export interface RunOptions {
  /** The `--output` values the command accepts; anything else is a usage error before the body runs. */
  readonly outputs?: readonly string[];
}

/** Runs a command body with the context built from the global options; sets the exit code. */
export async function runCommand(cmd: Command, body: (ctx: CliContext) => Promise<number>, options: RunOptions = {}): Promise<void> {
  const globals = effectiveOptions(cmd) as unknown as GlobalOptions;
  checkGlobalOptions(globals);
  if (options.outputs !== undefined) checkOutputFormat(commandName(cmd), globals.output, options.outputs);
  const ctx = makeContext(globals);
  process.exitCode = await body(ctx);
}
