import { Command, CommanderError, type Option } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_ERROR, TrailkitError, usageError } from '../core/errors.js';
import { safeLines, safeText } from '../output/terminal-safe.js';
import { addGlobalOptions } from './global-options.js';
import { makeGrepCommand } from './commands/grep.js';
import { makeIndexCommand } from './commands/index.js';
import { makeQueryCommand } from './commands/query.js';
import { makeAthenaCommand } from './commands/athena.js';
import { makeCreateLogGroupCommand } from './commands/create-log-group.js';
import { makeCreateRoleCommand } from './commands/create-role.js';
import { makePolicyCommand } from './commands/policy.js';
import { makePutEventSelectorsCommand } from './commands/put-event-selectors.js';
import { makePutInsightSelectorsCommand } from './commands/put-insight-selectors.js';
import { makePutRolePolicyCommand } from './commands/put-role-policy.js';
import { makeSetupCommand } from './commands/setup.js';
import { makeUpdateTrailCommand } from './commands/update-trail.js';
import { makeDownloadCommand } from './commands/download.js';
import { makeTailCommand } from './commands/tail.js';
import { makeValidateDigestCommand } from './commands/validate-digest.js';
import { makeVerifyCommand } from './commands/verify.js';
import { formatUsageError } from './usage-errors.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const PROGRAM_HELP = `
Search and tail:   grep, tail (files and folders; a trail with --trail, an S3 bucket with --bucket,
                   a CloudWatch Logs group with --log-group, the event history with --lookup),
                   download (mirror a trail's S3 objects to a folder).
Integrity:         validate-digest (from S3 or a downloaded folder).
SQL:               index (a Parquet index of the events), query (SQL and named questions with DuckDB),
                   grep/tail --index, athena ddl / athena query (the same questions on Athena).
Set a trail up:    setup, and the AWS CLI workflow: create-log-group, create-role, put-role-policy,
                   update-trail, put-event-selectors, put-insight-selectors; policy (offline).
CI gate:           verify.

--profile, --region (the AWS region to call) and --endpoint-url go before or after the command
name; a flag beats AWS_PROFILE/AWS_REGION/AWS_ENDPOINT_URL, which beat the profile's config.
Exit status: 0 success, 1 a negative result (no match, something invalid or failing), 2 a usage,
input or AWS error.`;

/** The command whose input commander refused, for the help hint of the error line. */
let refusedBy: Command | undefined;

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.parent === null ? 'trailkit' : c.name());
  return names.join(' ');
}

/**
 * `--x` and `--no-x` on one command line contradict each other: refused, rather than letting the
 * last one win silently.
 */
function refuseContradictions(command: Command): void {
  const options = command.options as readonly Option[];
  for (const negative of options.filter((o) => o.negate)) {
    const positive = options.find((o) => !o.negate && o.attributeName() === negative.attributeName());
    if (positive === undefined) continue;
    const seen = new Set<string>();
    for (const option of [positive, negative]) {
      command.on(`option:${option.name()}`, () => {
        seen.add(option.long ?? option.flags);
        if (seen.size === 2) throw usageError(`${positive.long ?? ''} and ${negative.long ?? ''}: they contradict each other`, 'give one of them');
      });
    }
  }
}

function configure(command: Command): Command {
  // commander's own error line is replaced by trailkit's, escaped like everything else (see
  // reportError); what else it writes to stderr (the usage when no command is given) is escaped too.
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (text) => process.stderr.write(safeLines(text)), outputError: () => { refusedBy ??= command; } });
  refuseContradictions(command);
  for (const sub of command.commands) configure(sub);
  return command;
}

/** Each command by its name, made with its global options. */
const COMMANDS: readonly (readonly [string, () => Command])[] = [
  ['grep', () => addGlobalOptions(makeGrepCommand(), { aws: true })],
  ['tail', () => addGlobalOptions(makeTailCommand(), { aws: true })],
  ['setup', () => addGlobalOptions(makeSetupCommand(), { aws: true })],
  ['create-log-group', () => addGlobalOptions(makeCreateLogGroupCommand(), { aws: true })],
  ['create-role', () => addGlobalOptions(makeCreateRoleCommand(), { aws: true })],
  ['put-role-policy', () => addGlobalOptions(makePutRolePolicyCommand(), { aws: true })],
  ['update-trail', () => addGlobalOptions(makeUpdateTrailCommand(), { aws: true })],
  ['put-event-selectors', () => addGlobalOptions(makePutEventSelectorsCommand(), { aws: true })],
  ['put-insight-selectors', () => addGlobalOptions(makePutInsightSelectorsCommand(), { aws: true })],
  ['policy', () => addGlobalOptions(makePolicyCommand(), { aws: false })],
  ['download', () => addGlobalOptions(makeDownloadCommand(), { aws: true })],
  ['verify', () => addGlobalOptions(makeVerifyCommand(), { aws: true })],
  ['validate-digest', () => addGlobalOptions(makeValidateDigestCommand(), { aws: true })],
  ['index', () => addGlobalOptions(makeIndexCommand(), { aws: true })],
  ['query', () => addGlobalOptions(makeQueryCommand(), { aws: false })],
  [
    'athena',
    () => {
      const athena = makeAthenaCommand();
      for (const sub of athena.commands) addGlobalOptions(sub, { aws: true });
      return athena;
    },
  ],
];

/**
 * The program and its commands. With `argv` whose first argument names a command, only that one
 * is made: making the other fifteen, with their options and help texts, was 10-15 ms of every
 * start, and a command's parsing, help and errors do not depend on its siblings. Anything else
 * (no command, global options first, `help`, a misspelt name) gets them all.
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = new Command('trailkit')
    .description('AWS CloudTrail toolkit: set a trail up, search and tail its logs, prove their integrity, gate CI on it')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .addHelpText('after', PROGRAM_HELP);
  addGlobalOptions(program, { aws: true });
  const named = COMMANDS.find(([name]) => name === argv?.[2]);
  for (const [, make] of named === undefined ? COMMANDS : [named]) program.addCommand(make());
  return configure(program);
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // --help, --version and `help` end here with exit code 0.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    if (error.code === 'commander.help') {
      if (error.exitCode === 0) return 0;
      // No command: commander printed the usage on stderr.
      process.stderr.write('trailkit: no command given (see trailkit --help; e.g. trailkit grep ./AWSLogs --errors)\n');
      return EXIT_ERROR;
    }
    const { message, hint } = formatUsageError(error.code, error.message, commandPath(refusedBy ?? new Command('trailkit')));
    process.stderr.write(`trailkit: ${safeText(message)} (${safeText(hint)})\n`);
    return EXIT_ERROR;
  }
  if (error instanceof TrailkitError) {
    const hint = error.hint === undefined ? '' : ` (${error.hint})`;
    process.stderr.write(`trailkit: ${safeText(error.message)}${safeText(hint)}\n`);
    if (debug && error.stack !== undefined) process.stderr.write(`${safeLines(error.stack)}\n`);
    return error.exitCode;
  }
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'EPIPE') return process.exitCode === undefined ? 0 : Number(process.exitCode);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`trailkit: unexpected error: ${safeText(message)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${safeLines(error.stack)}\n`);
  return EXIT_ERROR;
}

export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // A closed pipe (`trailkit grep ... | head`) ends the output, not the process with a trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    await buildProgram(argv).parseAsync(argv as string[]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return reportError(error, debug);
  }
}

// Not a top-level await: the command line is bundled as CommonJS (scripts/bundle-cli.mjs).
void main(process.argv).then((code) => {
  process.exitCode = code;
});
