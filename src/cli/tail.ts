import { Command, Option } from 'commander';
import { addFilterOptions, type FilterFlags } from './filter-options.js';
import { addAwsConnectionOptions, addBucketOptions, addLogGroupOptions, type RemoteFlags } from './remote-options.js';
import { runCommand } from './run-command.js';
import { seconds, wholeNumber } from './number-options.js';

export interface TailFlags extends FilterFlags, RemoteFlags {
  lines: number;
  follow?: boolean;
  /** Seconds between polls; default 1 for files, 30 for --bucket and --log-group. */
  interval?: number;
  fields?: string;
  index?: string;
  verified?: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit tail fixtures/sample-archive
  $ trailkit tail ./AWSLogs -n 50 --errors
  $ trailkit tail ./AWSLogs -f --event-source iam --write-only
  $ trailkit tail --bucket my-trail-bucket -f --errors
  $ trailkit tail --bucket my-trail-bucket --prefix org --account 111111111111 --region us-east-1 -n 50
  $ trailkit tail --log-group aws-cloudtrail-logs-111111111111 -f --event-name ConsoleLogin

Prints the N newest events (by eventTime) across all inputs, oldest first. With -f it then keeps
watching the folders and files for new or grown log files and prints new matching events as they
arrive, never printing an event twice, until interrupted (Ctrl-C).
--bucket reads the trail's S3 bucket and --log-group its CloudWatch Logs group: the newest events
of the last hour (or --since/--until, said on stderr); with -f they are polled every 30 s
(--interval) for new deliveries, including files that arrive late. A failed poll is reported and
retried.
Exit status: 0 when something was printed, 1 when nothing matched, 2 on an error.`;

export function makeTailCommand(): Command {
  const command = new Command('tail')
    .description('print the newest CloudTrail events (files, an S3 bucket or a log group), and follow new ones with -f')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command);
  addBucketOptions(command);
  addLogGroupOptions(command);
  addAwsConnectionOptions(command)
    .addOption(new Option('-n, --lines <n>', 'how many of the newest events to print').argParser(wholeNumber(0)).default(20))
    .addOption(new Option('-f, --follow', 'keep watching for new events'))
    .addOption(new Option('--interval <seconds>', 'how often -f looks for new events (default: 1 for files, 30 for --bucket/--log-group)').argParser(seconds(3600)))
    .addOption(new Option('--fields <list>', 'columns for pretty/table output, e.g. eventTime,eventName,userIdentity.arn'))
    .addOption(new Option('--index <dir>', 'search a Parquet index made by trailkit index (same events, order and bytes as on the files)'))
    .addOption(new Option('--verified', "with --index: only events of files whose integrity verdict is valid (index --validate)"))
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: TailFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./tail-run.js')).runTail(ctx, paths, flags));
    });
  return command;
}
