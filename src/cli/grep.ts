import { Command, Option } from 'commander';
import { addFilterOptions, type FilterFlags } from './filter-options.js';
import { runCommand } from './run-command.js';

export interface GrepFlags extends FilterFlags {
  count?: boolean;
  limit?: number;
  fields?: string;
  listPresets?: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit grep fixtures/sample-archive --event-name 'Delete*'
  $ trailkit grep ./AWSLogs --errors --since 2h --output table
  $ trailkit grep ./AWSLogs --user alice --event-source iam --write-only
  $ trailkit grep ./AWSLogs --source-ip 203.0.113.0/24 --source-ip 2001:db8::/32
  $ trailkit grep ./AWSLogs --pattern '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
  $ trailkit grep ./AWSLogs --preset root-usage --count
  $ zcat 123456789012_CloudTrail_us-east-1_*.json.gz | trailkit grep - --event-name ConsoleLogin
  $ aws cloudtrail lookup-events --max-results 50 | trailkit grep - --errors

Inputs: .json.gz delivery files, .json, NDJSON, 'aws cloudtrail lookup-events' output, folders
(searched recursively; digest files are skipped) and - for standard input. The format is read from
the content. Searching an S3 bucket or a CloudWatch Logs group is not built yet.

Output: pretty (one line per event, the default on a terminal), table, or json (one record per
line, exactly as in the input; the default when piped).
Exit status: 0 when something matched, 1 when nothing did, 2 on an error (other files are still searched).`;

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`'${value}' is not a positive whole number`);
  return Number(value);
}

export function makeGrepCommand(): Command {
  const command = new Command('grep')
    .description('search CloudTrail events in log files and folders')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command)
    .addOption(new Option('--count', 'print the number of matching events only'))
    .addOption(new Option('--limit <n>', 'stop after N matching events').argParser(positiveInteger))
    .addOption(new Option('--fields <list>', 'columns for pretty/table output, e.g. eventTime,eventName,userIdentity.arn'))
    .addOption(new Option('--list-presets', 'print the CIS 4.x presets and their patterns, then exit'))
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: GrepFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./grep-run.js')).runGrep(ctx, paths, flags));
    });
  return command;
}
