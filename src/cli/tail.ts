import { Command, Option } from 'commander';
import { addFilterOptions, type FilterFlags } from './filter-options.js';
import { runCommand } from './run-command.js';

export interface TailFlags extends FilterFlags {
  lines: number;
  follow?: boolean;
  interval: number;
  fields?: string;
}

const EXAMPLES = `
Examples:
  $ trailkit tail fixtures/sample-archive
  $ trailkit tail ./AWSLogs -n 50 --errors
  $ trailkit tail ./AWSLogs -f --event-source iam --write-only

Prints the N newest events (by eventTime) across all inputs, oldest first. With -f it then keeps
watching the folders and files for new or grown log files and prints new matching events as they
arrive, never printing an event twice, until interrupted (Ctrl-C). Following an S3 bucket or a
CloudWatch Logs group is not built yet.
Exit status: 0 when something was printed, 1 when nothing matched, 2 on an error.`;

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`'${value}' is not a whole number`);
  return Number(value);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new Error(`'${value}' is not a number of seconds between 0 and 3600`);
  return n;
}

export function makeTailCommand(): Command {
  const command = new Command('tail')
    .description('print the newest CloudTrail events, and follow new ones with -f')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command)
    .addOption(new Option('-n, --lines <n>', 'how many of the newest events to print').argParser(count).default(20))
    .addOption(new Option('-f, --follow', 'keep watching for new events'))
    .addOption(new Option('--interval <seconds>', 'how often -f looks for new files').argParser(seconds).default(1))
    .addOption(new Option('--fields <list>', 'columns for pretty/table output, e.g. eventTime,eventName,userIdentity.arn'))
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: TailFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./tail-run.js')).runTail(ctx, paths, flags));
    });
  return command;
}
