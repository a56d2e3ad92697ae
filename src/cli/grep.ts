import { Command, Option } from 'commander';
import { addFilterOptions, type FilterFlags } from './filter-options.js';
import { addAwsConnectionOptions, addBucketOptions, addLogGroupOptions, type RemoteFlags } from './remote-options.js';
import { runCommand } from './run-command.js';
import { wholeNumber } from './number-options.js';

export interface GrepFlags extends FilterFlags, RemoteFlags {
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
  $ trailkit grep --bucket my-trail-bucket --since 2h --event-name ConsoleLogin
  $ trailkit grep --bucket my-trail-bucket --prefix org --organization-id o-a1b2c3d4e5 --account 111111111111 --region eu-west-1 --since 2026-11-20 --until 2026-11-21 --errors
  $ trailkit grep --log-group aws-cloudtrail-logs-111111111111 --since 1h --preset root-usage

Inputs: .json.gz delivery files, .json, NDJSON, 'aws cloudtrail lookup-events' output, folders
(searched recursively; digest files are skipped) and - for standard input. The format is read from
the content.
--bucket reads the trail where CloudTrail delivers it ([prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/
YYYY/MM/DD/): only the day folders of the window are listed, --account/--region also pick the folders,
and the objects are searched in memory, 16 at once (--concurrency). --log-group reads a CloudWatch
Logs group with FilterLogEvents (the filters become a filter pattern where they can). Without
--since both search the last 24 h, and say which window on stderr. The AWS region is AWS_REGION or
the profile's (--region filters events).

Filter patterns (--pattern), read as CloudWatch Logs reads them:
  { $.eventName = "Delete*" && ($.errorCode = "AccessDenied" || $.readOnly IS FALSE) }
  Selectors $.a.b, $.list[0], $.list[*].id, $.*, $.['a.b']; = and != with * at either end; < > <= >=
  on numbers; IS NULL, IS TRUE, IS FALSE, NOT EXISTS; %regex% (no parentheses, \\xhh escapes). A number
  against a string field compares text, and < > never hold for strings. { $.v = null } is refused.
  Text: terms (all must occur), "phrases", -term (must not), ?a ?b (any of them; ?-terms next to plain
  terms are ignored, as CloudWatch ignores them). Space-delimited patterns ([...]) are for non-JSON logs.
Empty values (--account=, --pattern '') are refused: they would match every event.

Output: pretty (one line per event, the default on a terminal), table, or json (one record per
line, exactly as in the input; the default when piped).
Exit status: 0 when something matched, 1 when nothing did, 2 on an error (other files are still searched).`;

export function makeGrepCommand(): Command {
  const command = new Command('grep')
    .description('search CloudTrail events in log files and folders, an S3 bucket or a CloudWatch Logs group')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command);
  addBucketOptions(command);
  addLogGroupOptions(command);
  addAwsConnectionOptions(command)
    .addOption(new Option('--count', 'print the number of matching events only'))
    .addOption(new Option('--limit <n>', 'stop after N matching events').argParser(wholeNumber(1)))
    .addOption(new Option('--fields <list>', 'columns for pretty/table output, e.g. eventTime,eventName,userIdentity.arn'))
    .addOption(new Option('--list-presets', 'print the CIS 4.x presets and their patterns, then exit'))
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: GrepFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./grep-run.js')).runGrep(ctx, paths, flags));
    });
  return command;
}
