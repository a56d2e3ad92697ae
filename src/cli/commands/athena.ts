import { Command, Option } from 'commander';
import { addFilterOptions, type FilterFlags } from '../filter-options.js';
import { wholeNumber } from '../number-options.js';
import { runCommand } from '../run-command.js';
import { addQuestionFlags, collectList } from './query.js';

export interface AthenaDdlFlags {
  trail?: string;
  bucket?: string;
  prefix?: string;
  organizationId?: string;
  account: string[];
  eventRegion: string[];
  database?: string;
  table?: string;
  rangeStart: string;
  parquet?: string;
}

export interface AthenaQueryFlags extends Omit<FilterFlags, 'region'> {
  eventRegion: string[];
  accessKey?: string;
  timeline?: string;
  resource?: string;
  summary?: boolean;
  top: number;
  baseline: string;
  showSql?: boolean;
  workgroup: string;
  outputLocation?: string;
  database?: string;
  table?: string;
  layout: string;
  pricePerTb: string;
  limit?: number;
}

const DDL_EXAMPLES = `
Examples:
  $ trailkit athena ddl --bucket my-trail-bucket --account 111111111111 --event-region us-east-1
  $ trailkit athena ddl --trail main --database security --table cloudtrail_logs_pp
  $ trailkit athena ddl --bucket org-trail-bucket --organization-id o-a1b2c3d4e5 --event-region us-east-1,eu-west-1
  $ trailkit athena ddl --parquet s3://my-index-bucket/trail-index/ --event-region us-east-1,eu-west-1

Prints the CREATE TABLE that AWS documents for CloudTrail logs ("Create the table for CloudTrail logs
in Athena using partition projection": JsonSerDe, CloudTrailInputFormat, lower-case columns), for one
account and region as AWS's example does. With --organization-id: an organization trail's table,
partitioned by account (injected: every query names its accounts with --account; or an enum of the
--account values), region (an enum of --event-region, default every commercial region) and day.
With --parquet: a table over a Parquet index that 'trailkit index --to s3://bucket/prefix' keeps in S3
(its data/ folder), and a view TABLE_events with every column of AWS's DDL. Before printing, the
DDL is checked for what makes Athena return no rows without an error: a space in an enum list, a
LOCATION without its trailing '/', a template that does not name the partition columns, a date
range in another format.
Fields newer than AWS's DDL (eventContext, insightDetails, network activity and aggregated events) are
not in the table. A day folder holds events of the previous day near midnight: the questions prune
with a day of margin and filter on eventtime.`;

const QUERY_EXAMPLES = `
Examples:
  $ trailkit athena query "SELECT eventname, count(*) FROM cloudtrail_logs_pp GROUP BY 1" --workgroup primary --database default
  $ trailkit athena query --table cloudtrail_logs_pp --database default --event-name 'Delete*' --since 2d
  $ trailkit athena query --table cloudtrail_org_logs --layout organization --account 111111111111 --access-key AKIAIOSFODNN7EXAMPLE --since 30d
  $ trailkit athena query --table trailkit_index --layout parquet --account 111111111111 --summary --since 1d --show-sql

Runs SQL, grep's filters or a named question on Athena (StartQueryExecution, polled with backoff;
results paginated and streamed to the same renderers as 'trailkit query'). The filters and questions
compile to the same SQL model as on the index, in Trino's dialect, with partition predicates from
--since/--until/--account/--event-region so Athena reads only those folders (a day of margin for
deliveries after midnight). --layout says how the table is partitioned: single (AWS's example,
'timestamp'), organization ('account', 'region', 'timestamp') or parquet (the index: 'account',
'region', 'date'). A filter Athena cannot evaluate exactly is refused on the log-file tables, and
checked locally on the record text on the parquet table. Bytes scanned and the estimated cost go to
stderr. Ctrl-C stops the query (StopQueryExecution).`;

export function makeAthenaCommand(): Command {
  const athena = new Command('athena').description('Athena: the CREATE TABLE AWS documents for CloudTrail, and queries (SQL, grep filters, named questions)');
  athena.addHelpText('after', '\nExamples:\n  $ trailkit athena ddl --trail main\n  $ trailkit athena query --table cloudtrail_logs_pp --event-name ConsoleLogin --since 7d');

  const ddl = new Command('ddl')
    .description("print the CREATE TABLE for a trail's logs (partition projection), or for a Parquet index in S3")
    .addOption(new Option('--trail <name|arn>', "the trail: bucket, prefix and account from GetTrail"))
    .addOption(new Option('--bucket <name>', "the trail's S3 bucket"))
    .addOption(new Option('--prefix <prefix>', "the trail's S3 key prefix (the part before AWSLogs/)"))
    .addOption(new Option('--organization-id <o-id>', 'an organization trail (AWSLogs/o-.../ACCOUNT/...)'))
    .addOption(new Option('--account <id>', 'the account (AWS example), or the accounts of an enum projection').argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', 'the region (AWS example), or the regions of the enum projection').argParser(collectList).default([]))
    .addOption(new Option('--database <name>', 'the Glue database to create the table in'))
    .addOption(new Option('--table <name>', 'the table name (default cloudtrail_logs_pp, cloudtrail_org_logs or trailkit_index)'))
    .addOption(new Option('--range-start <yyyy/MM/dd>', 'first day of the date projection').default('2020/01/01'))
    .addOption(new Option('--parquet <s3-url>', 'define a table over the Parquet index that index --to s3://bucket/prefix/ uploaded, instead'))
    .addHelpText('after', DDL_EXAMPLES)
    .action(async (flags: AthenaDdlFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('../athena-run.js')).runAthenaDdl(ctx, flags));
    });

  const query = new Command('query')
    .description('run SQL, grep filters or a named question on Athena')
    .argument('[sql]', 'the SQL to run (or give filters or a question)');
  const filters = addFilterOptions(new Command());
  for (const option of filters.options) if (option.long !== '--event-region') query.addOption(option);
  query
    .addOption(new Option('--event-region <region>', 'awsRegion of the event (repeat or comma-separate); also prunes the region partitions').argParser(collectList).default([]));
  addQuestionFlags(query)
    .addOption(new Option('--show-sql', 'print the SQL that runs (on stderr)'))
    .addOption(new Option('--workgroup <name>', 'the Athena workgroup').default('primary'))
    .addOption(new Option('--output-location <s3-url>', "where Athena writes results (default: the workgroup's)"))
    .addOption(new Option('--database <name>', 'the Glue database of the table'))
    .addOption(new Option('--table <name>', 'the table that filters and questions read (made with athena ddl)'))
    .addOption(new Option('--layout <kind>', 'how --table is partitioned: single, organization or parquet').choices(['single', 'organization', 'parquet']).default('single'))
    .addOption(new Option('--price-per-tb <usd>', 'Athena price per TB scanned for the estimate').default('5'))
    .addOption(new Option('--limit <n>', 'at most N rows per result').argParser(wholeNumber(1)))
    .addHelpText('after', QUERY_EXAMPLES)
    .action(async (sql: string | undefined, flags: AthenaQueryFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('../athena-run.js')).runAthenaQuery(ctx, sql, flags));
    });
  athena.addCommand(ddl);
  athena.addCommand(query);
  return athena;
}
