import { Command, Option } from 'commander';
import { CHAIN_DEPTH, MAX_CHAIN_DEPTH } from '../../core/query-model.js';
import { wholeNumber } from '../number-options.js';
import { runCommand } from '../run-command.js';

/** Flags shared by `query` and `athena query`: the named questions and their scope. */
export interface QuestionFlags {
  accessKey?: string;
  timeline?: string;
  chainDepth?: number;
  resource?: string;
  summary?: boolean;
  top: number;
  baseline: string;
  since?: string;
  until?: string;
  account: string[];
  eventRegion: string[];
  showSql?: boolean;
}

export interface QueryFlags extends QuestionFlags {
  index?: string;
  file?: string;
  limit?: number;
  verified?: boolean;
}

export function collectList(value: string, previous: string[]): string[] {
  return previous.concat(value.split(',').map((v) => v.trim()).filter((v) => v !== ''));
}

/** The named questions' flags, shared by query and athena query. */
export function addQuestionFlags(command: Command): Command {
  return command
    .addOption(new Option('--access-key <id>', 'question: every event made with this access key, and the calls that issued it'))
    .addOption(new Option('--timeline <principal>', "question: a principal's or role session's events (ARN or name), following AssumeRole chains to the source identity and to the sessions it created"))
    .addOption(new Option('--chain-depth <n>', `--timeline: AssumeRole hops followed each way (default ${CHAIN_DEPTH}); a chain that goes on past them is flagged`).argParser(wholeNumber(1, MAX_CHAIN_DEPTH)))
    .addOption(new Option('--resource <arn>', 'question: every event touching this resource (in resources[], or named in the request or response)'))
    .addOption(new Option('--summary', 'question: top principals, actions, errors, source IPs and regions; principals and IPs first seen in the window'))
    .addOption(new Option('--top <n>', 'rows per --summary table').argParser(wholeNumber(1, 10000)).default(10))
    .addOption(new Option('--baseline <duration>', '--summary: how far before --since a principal or IP counts as already seen (e.g. 30d)').default('30d'));
}

export function addQuestionOptions(command: Command): Command {
  return addQuestionFlags(command)
    .addOption(new Option('--since <time>', 'events at or after TIME (ISO 8601, epoch seconds, 2h, 7d, today, yesterday); prunes the day partitions'))
    .addOption(new Option('--until <time>', 'events at or before TIME'))
    .addOption(new Option('--account <id>', 'events of these accounts (recipientAccountId); prunes the account partitions').argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', 'events of these regions (awsRegion); prunes the region partitions').argParser(collectList).default([]))
    .addOption(new Option('--show-sql', 'print the SQL each question runs (on stderr)'));
}

const EXAMPLES = `
Examples:
  $ trailkit query "SELECT eventsource, eventname, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC LIMIT 10" --index ./trail-index
  $ trailkit query "SELECT raw FROM events WHERE useridentity.accesskeyid = 'AKIAEXAMPLE'" --index ./trail-index > events.jsonl
  $ trailkit query --access-key AKIAIOSFODNN7EXAMPLE --index ./trail-index
  $ trailkit query --timeline arn:aws:iam::111111111111:user/alice --since 7d --index ./trail-index --show-sql
  $ trailkit query --resource arn:aws:s3:::my-bucket --index ./trail-index --output table
  $ trailkit query --summary --since 1d --index ./trail-index
  $ trailkit query "SELECT count(*) FROM events" ./AWSLogs
  $ trailkit query --index ./trail-index --file questions.sql
  $ trailkit query --access-key AKIAIOSFODNN7EXAMPLE --index ./trail-index --show-sql 2> key.sql; trailkit query --index ./trail-index --file key.sql

SQL runs with DuckDB on a table 'events': the columns of AWS's Athena DDL for CloudTrail (lower-case:
eventtime, eventsource, eventname, awsregion, sourceipaddress, useragent, errorcode, errormessage,
requestparameters, responseelements, additionaleventdata (JSON), eventid, readonly,
useridentity (a struct: useridentity.arn, useridentity.accesskeyid,
useridentity.sessioncontext.sessionissuer.arn ...), resources (a list of structs), recipientaccountid,
...), plus raw (the record's exact JSON text), source (its file), record_index, event_ms (eventTime in
epoch ms), verdict (index --validate) and the partitions account, region, date (YYYY-MM-DD).
Quote reserved words used as names ("first", "last", "role").
With PATHs instead of --index the files are read directly (indexed into a temporary folder).
The named questions run the same SQL on Athena ('trailkit athena query'); --show-sql prints it.
--file FILE (- for standard input) runs every statement of the file in order on one DuckDB session
(the index is opened once), each result printed under a title: the '-- name: title' comment before
a statement (as --show-sql prints it), or the statement's number and first line. Statements are
separated by ';' outside strings, quoted names, comments and dollar-quoted text; an empty one is
skipped. A statement that fails stops the run with one line naming its number and first line
(exit 2); the results before it are printed. --limit applies to each statement that reads rows.
Output: pretty (default on a terminal), table, text (tab-separated), json (one object per line; a row
with a 'raw' column prints that text, byte-faithful to the log files), csv.
Exit status: 0 when a row was returned, 1 when none was, 2 on an error or when a file read directly
could not be read (each is reported, as grep reports it; the rows of the others are printed).`;

export function makeQueryCommand(): Command {
  const command = new Command('query')
    .description('SQL over CloudTrail events with DuckDB (a Parquet index, or log files), and the named investigations')
    .argument('[sql-and-paths...]', 'the SQL (unless --file or a question flag is given), then files or folders when there is no --index');
  addQuestionOptions(command)
    .addOption(new Option('--index <dir>', 'the Parquet index made by trailkit index'))
    .addOption(new Option('--file <file>', 'run every SQL statement of FILE (- for standard input) in order, on one DuckDB session'))
    .addOption(new Option('--verified', "questions: only events of files whose integrity verdict is valid (index --validate)"))
    .addOption(new Option('--limit <n>', 'at most N rows per result').argParser(wholeNumber(1)))
    .addHelpText('after', EXAMPLES)
    .action(async (args: string[], flags: QueryFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('../query-run.js')).runQuery(ctx, args, flags));
    });
  return command;
}
