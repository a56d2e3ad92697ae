import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { addFilterOptions, type FilterFlags } from '../filter-options.js';
import { addEventPrintOptions, addIndexSourceOptions } from '../event-options.js';
import { EVENT_OUTPUTS } from '../output-formats.js';
import { addBucketOptions, addLogGroupOptions, addLookupOption, addTrailOption, type RemoteFlags } from '../remote-options.js';
import { runCommand } from '../run-command.js';
import { seconds, wholeNumber } from '../number-options.js';

export interface TailFlags extends FilterFlags, RemoteFlags {
  lines: number;
  follow?: boolean;
  /** Seconds between polls; default 1 for files, 30 for --bucket and --log-group. */
  interval?: number;
  fields?: string;
  headers?: boolean;
  index?: string;
  verified?: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit tail fixtures/sample-archive
  $ trailkit tail ./AWSLogs -n 50 --errors
  $ trailkit tail ./AWSLogs -f --event-source iam --write-only
  $ trailkit tail --trail main -f --errors
  $ trailkit tail --trail main --log-group -f --event-name ConsoleLogin
  $ trailkit tail --lookup -f --region eu-west-1 --event-name ConsoleLogin
  $ trailkit tail --bucket my-trail-bucket --prefix org --account 111111111111 --event-region us-east-1 -n 50

Prints the N newest events (by eventTime) across all inputs, oldest first. With -f it then keeps
watching the folders and files for new or grown log files and prints new matching events as they
arrive, never printing an event twice, until interrupted (Ctrl-C).
--trail reads the trail's bucket (or with --log-group, its log group); --bucket a bucket and
--log-group a CloudWatch Logs group: the newest events of the last hour (or --since/--until, said
on stderr); with -f they are polled every 30 s (--interval) for new deliveries, including files
that arrive late. --lookup reads the region's event history (LookupEvents, management events of
the last 90 days, at most 2 requests a second); with -f it polls it. A failed poll is reported and
retried. --region is the region to call; --event-region filters events by their own region.
Exit status: 0 when something was printed, 1 when nothing matched, 2 on an error.`;

export function makeTailCommand(): Command {
  const command = new Command('tail')
    .description('print the newest CloudTrail events (files, a trail, a bucket, a log group or the event history); -f follows')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command);
  addTrailOption(command);
  addBucketOptions(command);
  addLogGroupOptions(command);
  addLookupOption(command)
    .addOption(new Option('-n, --lines <n>', 'how many of the newest events to print').argParser(wholeNumber(0)).default(20))
    .addOption(new Option('-f, --follow', 'keep watching for new events'))
    .addOption(new Option('--interval <seconds>', 'how often -f looks for new events (default: 1 for files, 30 for --trail, --bucket, --log-group and --lookup)').argParser(seconds(3600)));
  addEventPrintOptions(command);
  addIndexSourceOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: TailFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runTail(ctx, paths, flags), { outputs: EVENT_OUTPUTS });
    });
  return command;
}

async function runTail(ctx: CliContext, paths: readonly string[], flags: TailFlags): Promise<number> {
  const [{ EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK }, { EXIT_INTERRUPTED, openEventSearch, printBatches, withInterrupt }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../event-batches.js'),
    import('../job-options.js'),
  ]);
  const { spec, printer, kind, source } = openEventSearch(ctx, paths, flags, 'tail');
  const { tailEventBatches } = await import('../../jobs/search.js');
  const follow = flags.follow === true;
  const request = { source, filter: spec, lines: flags.lines, follow, keepRecords: printer.readsRecords, ...(flags.interval === undefined ? {} : { intervalSeconds: flags.interval }) };
  const run = (signal?: AbortSignal) => printBatches(ctx, tailEventBatches(request, jobOptionsOf(ctx, signal)), printer);
  // -f runs until Ctrl-C (exit 0); on the event history Ctrl-C stops between pages (exit 130).
  const { value: tally, interrupted } = follow || kind === 'lookup' ? await withInterrupt(run) : { value: await run(), interrupted: false };
  await printer.finish();
  if (follow) return EXIT_OK;
  if (interrupted) return EXIT_INTERRUPTED;
  if (tally.hadError) return EXIT_ERROR;
  return tally.matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}
