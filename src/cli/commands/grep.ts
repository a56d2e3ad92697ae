import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { addFilterOptions, type FilterFlags } from '../filter-options.js';
import { addEventPrintOptions, addIndexSourceOptions } from '../event-options.js';
import { EVENT_OUTPUTS } from '../output-formats.js';
import { addBucketOptions, addLogGroupOptions, addLookupOption, addTrailOption, type RemoteFlags } from '../remote-options.js';
import { runCommand } from '../run-command.js';
import { wholeNumber } from '../number-options.js';

export interface GrepFlags extends FilterFlags, RemoteFlags {
  count?: boolean;
  limit?: number;
  fields?: string;
  headers?: boolean;
  listPresets?: boolean;
  index?: string;
  verified?: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit grep fixtures/sample-archive --event-name 'Delete*'
  $ trailkit grep ./AWSLogs --errors --since 2h --output table
  $ trailkit grep ./AWSLogs --user alice --event-source iam --write-only --event-region eu-west-1
  $ trailkit grep ./AWSLogs --source-ip 203.0.113.0/24 --source-ip 2001:db8::/32
  $ trailkit grep ./AWSLogs --pattern '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
  $ trailkit grep ./AWSLogs --preset root-usage --count
  $ trailkit grep ./AWSLogs --event-name ConsoleLogin --fields eventTime,sourceIPAddress --output text | cut -f2
  $ zcat 123456789012_CloudTrail_us-east-1_*.json.gz | trailkit grep - --event-name ConsoleLogin
  $ trailkit grep --trail main --since 2h --event-name ConsoleLogin
  $ trailkit grep --trail main --log-group --since 1h --preset root-usage
  $ trailkit grep --lookup --region eu-west-1 --since 7d --event-name DeleteTrail
  $ trailkit grep --bucket my-trail-bucket --prefix org --organization-id o-a1b2c3d4e5 --account 111111111111 --event-region eu-west-1 --since 2026-11-20 --until 2026-11-21 --errors
  $ trailkit grep --log-group arn:aws:logs:eu-west-1:111111111111:log-group:aws-cloudtrail-logs-111111111111 --since 1h

Inputs: .json.gz delivery files, .json, NDJSON, 'aws cloudtrail lookup-events' output, folders
(searched recursively; digest files are skipped) and - for standard input. The format is read from
the content.
--trail NAME|ARN reads the trail's settings (GetTrail) and searches its bucket, or with --log-group
(no value) its CloudWatch Logs group. --bucket reads the trail where CloudTrail delivers it
([prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/): only the day folders of the window
are listed, --account/--event-region also pick the folders, and the objects are searched in memory,
16 at once (--concurrency). --log-group reads a CloudWatch Logs group with FilterLogEvents (the
filters become a filter pattern where they can). --lookup reads CloudTrail's event history
(LookupEvents: management events of the last 90 days in one region, no trail needed; one filter
goes to the service, the rest is applied here; newest first). Without --since they search the last
24 h, and say which window on stderr.
--region is the AWS region to call (default: AWS_REGION, then the profile's); --event-region
filters events by their own region. A log group ARN names its own region.

Filter patterns (--pattern), read as CloudWatch Logs reads them:
  { $.eventName = "Delete*" && ($.errorCode = "AccessDenied" || $.readOnly IS FALSE) }
  Selectors $.a.b, $.list[0], $.list[*].id, $.*, $.['a.b']; = and != with * at either end; < > <= >=
  on numbers; IS NULL, IS TRUE, IS FALSE, NOT EXISTS; %regex% (no parentheses, \\xhh escapes). A number
  against a string field compares text, and < > never hold for strings. { $.v = null } is refused.
  Text: terms (all must occur), "phrases", -term (must not), ?a ?b (any of them; ?-terms next to plain
  terms are ignored, as CloudWatch ignores them). Space-delimited patterns ([...]) are for non-JSON logs.
Empty values (--account=, --pattern '') are refused: they would match every event.

Output: pretty (aligned columns fitted to the terminal, the default on a terminal), table, text
(tab-separated values for cut and awk), or json (one record per line, exactly as in the input;
the default when piped). --fields picks and labels the columns; with json it prints one object
per event with only those fields. A header line on a terminal (--headers/--no-headers).
Exit status: 0 when something matched, 1 when nothing did, 2 on an error (other files are still searched).`;

export function makeGrepCommand(): Command {
  const command = new Command('grep')
    .description('search CloudTrail events in files and folders, a trail (its S3 bucket or log group), or the event history')
    .argument('[path...]', 'files, folders or - (standard input)');
  addFilterOptions(command);
  addTrailOption(command);
  addBucketOptions(command);
  addLogGroupOptions(command);
  addLookupOption(command)
    .addOption(new Option('--count', 'print the number of matching events only'))
    .addOption(new Option('--limit <n>', 'stop after N matching events').argParser(wholeNumber(1)));
  addEventPrintOptions(command).addOption(new Option('--list-presets', 'print the CIS 4.x presets and their patterns, then exit'));
  addIndexSourceOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: GrepFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runGrep(ctx, paths, flags), { outputs: EVENT_OUTPUTS });
    });
  return command;
}

export async function runGrep(ctx: CliContext, paths: readonly string[], flags: GrepFlags): Promise<number> {
  const [{ EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK }, { EXIT_INTERRUPTED, openEventSearch, printBatches, withInterrupt }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../event-batches.js'),
    import('../job-options.js'),
  ]);
  if (flags.listPresets === true) {
    await ctx.write(await formatPresets(ctx));
    return EXIT_OK;
  }
  // Date.now, not performance.now: the global `performance` loads nine of Node's modules (5 ms).
  const started = Date.now();
  const { spec, printer, kind, source } = openEventSearch(ctx, paths, flags, 'grep');
  const { searchEventBatches } = await import('../../jobs/search.js');
  const request = { source, filter: spec, ...(flags.limit === undefined ? {} : { limit: flags.limit }), countOnly: flags.count === true, keepRecords: printer.readsRecords };
  const search = (signal?: AbortSignal) => printBatches(ctx, searchEventBatches(request, jobOptionsOf(ctx, signal)), printer, { count: flags.count === true });
  // Ctrl-C on the event history stops between pages: what was found is printed, exit 130.
  const { value: tally, interrupted } = kind === 'lookup' ? await withInterrupt(search) : { value: await search(), interrupted: false };
  await printer.finish();
  if (flags.count === true) await ctx.write(`${tally.matched}\n`);
  ctx.debug(`grep: ${tally.files} ${kind === 'files' || kind === 'index' ? 'files' : kind === 'bucket' ? 'objects' : 'pages'}, ${tally.records} records, ${tally.parsed} parsed, ${tally.matched} matched in ${Date.now() - started} ms`);
  if (interrupted) return EXIT_INTERRUPTED;
  if (tally.hadError) return EXIT_ERROR;
  return tally.matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

async function formatPresets(ctx: CliContext): Promise<string> {
  const { CIS_PRESETS } = await import('../../core/cis-presets.js');
  if (ctx.globals.output === 'json') return `${JSON.stringify(CIS_PRESETS, null, 2)}\n`;
  return CIS_PRESETS.map((p) => `${ctx.chalk.bold(p.id)}  ${p.name}  ${p.title}\n    ${p.pattern}\n`).join('');
}
