import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_ERROR, TrailkitError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
import { addGlobalOptions } from './global-options.js';
import { makeGrepCommand } from './grep.js';
import { makeTailCommand } from './tail.js';
import { makeVerifyCommand } from './verify.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const PROGRAM_HELP = `
Commands built so far: grep, tail (local files and folders).
Planned and not built yet: setup, create-log-group, create-role, put-role-policy, update-trail,
put-event-selectors, policy, download, validate-digest, verify; grep/tail over S3 and CloudWatch Logs.

Exit status: 0 success, 1 a negative result (no match), 2 a usage, input or AWS error.`;

function configure(command: Command): Command {
  command.exitOverride().showSuggestionAfterError(true);
  for (const sub of command.commands) configure(sub);
  return command;
}

export function buildProgram(): Command {
  const program = new Command('trailkit')
    .description('AWS CloudTrail toolkit: search and tail trail logs (setup, integrity and verify to come)')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .addHelpText('after', PROGRAM_HELP);
  addGlobalOptions(program, { aws: true });
  program.addCommand(addGlobalOptions(makeGrepCommand(), { aws: false }));
  program.addCommand(addGlobalOptions(makeTailCommand(), { aws: false }));
  program.addCommand(addGlobalOptions(makeVerifyCommand(), { aws: true }));
  return configure(program);
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander has printed its message already; help and --version end here too.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return EXIT_ERROR;
  }
  if (error instanceof TrailkitError) {
    const hint = error.hint === undefined ? '' : ` (${error.hint})`;
    process.stderr.write(`trailkit: ${safeText(error.message)}${safeText(hint)}\n`);
    if (debug && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'EPIPE') return process.exitCode === undefined ? 0 : Number(process.exitCode);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`trailkit: unexpected error: ${safeText(message)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  return EXIT_ERROR;
}

export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // A closed pipe (`trailkit grep ... | head`) ends the output, not the process with a trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    await buildProgram().parseAsync(argv as string[]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return reportError(error, debug);
  }
}

process.exitCode = await main(process.argv);
