import { Command, Option } from 'commander';
import { concurrency, wholeNumber } from '../number-options.js';
import { runCommand } from '../run-command.js';

export interface IndexFlags {
  to?: string;
  workDir?: string;
  bucket?: string;
  prefix?: string;
  organizationId?: string;
  trail?: string;
  account: string[];
  eventRegion: string[];
  since?: string;
  until?: string;
  validate?: boolean;
  trailArn?: string;
  publicKeys?: string[];
  allowUnverifiable?: boolean;
  concurrency: number;
  compressionLevel: number;
  memoryLimit: string;
}

function collectList(value: string, previous: string[]): string[] {
  return previous.concat(value.split(',').map((v) => v.trim()).filter((v) => v !== ''));
}

const EXAMPLES = `
Examples:
  $ trailkit index ./AWSLogs --to ./trail-index
  $ trailkit index --bucket my-trail-bucket --since 30d --to ./trail-index
  $ trailkit index --trail main --since 7d --to ./trail-index --validate
  $ trailkit index --trail main --since 1d --to s3://my-index-bucket/trail-index
  $ trailkit index ./trail-download --to ./trail-index --validate --trail-arn arn:aws:cloudtrail:us-east-1:111111111111:trail/main --public-keys keys.json
  $ trailkit query "SELECT eventname, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC" --index ./trail-index
  $ trailkit grep --index ./trail-index --event-name 'Delete*'

Writes the events as zstd Parquet under DIR/data/account=A/region=R/date=YYYY-MM-DD/ (partitioned by
the event's account, region and day), with the columns of AWS's Athena DDL for CloudTrail, each
record's exact JSON text (so 'grep --index --output json' prints the same bytes as grep on the
files) and its source file. Files are read as grep reads them (a folder walk, or with --bucket the
day folders of the --since/--until window, as 'grep --bucket' lists them); the window picks files,
and every event of a file read is indexed.
Incremental: DIR/batches/ records every source file (key, size, ETag or modification time) and the
files written for it; a re-run reads only new or changed files (a changed file's old events are
removed). Every batch is committed atomically: a run that is interrupted leaves the index as the
last committed batch left it, and the next run carries on.
--validate first runs validate-digest over the same window (the trail's digests: --trail, or
--trail-arn) and stores each file's verdict (valid, invalid, unverifiable, unreferenced) with its
events in the 'verdict' column.
A file that cannot be read to its end (gzip or JSON cut short, a decompression bomb) is reported
like grep reports it; the events grep prints from it, those before the failure, are indexed, and
the next run reads it again and replaces them.
Exit status: 0 when every file was indexed, 2 when some could not be read (each is reported), 130
when stopped by Ctrl-C (after the batch being written is committed; the locks are released).
--to s3://bucket/prefix keeps the index in S3 for 'athena ddl --parquet': it is built in a local
working folder (--work-dir; by default ~/.cache/trailkit/index/BUCKET/PREFIX), downloaded from S3
first when S3 holds batches the folder lacks (another machine's run), then synced: new and changed
files are uploaded (part files, then manifests), and only then are the objects under data/ and
batches/ that the index no longer has deleted. One run at a time per prefix: a run holds the lock
PREFIX/.lock (S3 conditional writes) from before it reads the prefix to the end of the sync; a second
run stops at once, and a lock not rewritten for 10 minutes (its run died) is taken over.`;

export function makeIndexCommand(): Command {
  return new Command('index')
    .description('build or extend a Parquet index of CloudTrail events (files, an S3 bucket or a trail) for SQL with DuckDB')
    .argument('[path...]', 'files or folders to index')
    .addOption(new Option('--to <dir|s3-url>', 'the index folder (created when missing), or s3://bucket/prefix for Athena'))
    .addOption(new Option('--work-dir <dir>', 'with --to s3://...: the local working folder (default: under the cache folder, per bucket and prefix)'))
    .addOption(new Option('--bucket <name>', 'index the trail in this S3 bucket'))
    .addOption(new Option('--prefix <prefix>', "the trail's S3 key prefix (the part before AWSLogs/)"))
    .addOption(new Option('--organization-id <o-id>', 'only this organization trail folder (AWSLogs/o-.../)'))
    .addOption(new Option('--trail <name|arn>', 'the trail: its bucket, prefix and ARN from GetTrail'))
    .addOption(new Option('--account <id>', "only these accounts' folders (repeat or comma-separate)").argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', "only these regions' folders (repeat or comma-separate)").argParser(collectList).default([]))
    .addOption(new Option('--since <time>', 'files that can hold events at or after TIME (ISO 8601, epoch seconds, 2h, 7d, today, yesterday)'))
    .addOption(new Option('--until <time>', 'files that can hold events at or before TIME'))
    .addOption(new Option('--validate', "store each file's integrity verdict (validate-digest over the same window)"))
    .addOption(new Option('--trail-arn <arn>', 'the trail whose digests --validate checks (default: from --trail)'))
    .addOption(new Option('--public-keys <file>', '[REGION=]FILE of list-public-keys JSON for --validate (repeatable); default ListPublicKeys').argParser((v: string, prev: string[] = []) => prev.concat(v)))
    .addOption(new Option('--allow-unverifiable', 'with --validate: accept digests whose signature cannot be checked offline'))
    .addOption(new Option('--concurrency <n>', 'S3 objects read at once').argParser(concurrency).default(16))
    .addOption(new Option('--compression-level <n>', 'zstd level of the Parquet files (1-22)').argParser(wholeNumber(1, 22)).default(3))
    .addOption(new Option('--memory-limit <size>', "DuckDB's memory limit while writing (it spills to disk beyond it)").default('256MB'))
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], flags: IndexFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('../index-run.js')).runIndex(ctx, paths, flags));
    });
}
