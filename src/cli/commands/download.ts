/** `trailkit download`: flags -> downloadTrail (src/jobs/download.ts) with a progress bar -> a summary line. */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { collectList } from '../filter-options.js';
import { runCommand } from '../run-command.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { addBucketOptions, addTrailOption, type RemoteFlags } from '../remote-options.js';

export interface DownloadFlags extends Pick<RemoteFlags, 'bucket' | 'prefix' | 'organizationId' | 'concurrency' | 'trail'> {
  to?: string;
  account: string[];
  eventRegion: string[];
  since?: string;
  until?: string;
  digests: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit download --bucket my-trail-bucket --to ./trail --since 2d
  $ trailkit download --trail main --to ./trail --since 2d --event-region eu-west-1
  $ trailkit download --bucket my-trail-bucket --prefix org --organization-id o-a1b2c3d4e5 --account 111111111111 --to ./trail
  $ trailkit download --bucket my-trail-bucket --to ./trail --since 2026-11-20 --until 2026-11-21 --no-digests
  $ trailkit grep ./trail --errors            # then search the copy offline

Mirrors the trail's objects (log files, CloudTrail-Digest files, CloudTrail-Insight files) under DIR
with the same relative paths as in the bucket, and keeps each digest's S3 signature metadata beside it
(<digest>.meta.json) for offline integrity validation. With --since/--until only the day folders that
can hold the window are listed (one day of margin); without them, everything under the trail's folders.
--trail NAME|ARN reads the trail's bucket, prefix and organization (GetTrail). --region is the
region to call; --event-region picks the region folders. Run it again to resume: objects already present with the same size and ETag are skipped, and a file
only gets its final name once it is complete. A progress bar on a terminal, a one-line summary on stdout.
Exit status: 0 when every object is present, 2 when some could not be downloaded (each is reported).`;

export function makeDownloadCommand(): Command {
  const command = new Command('download')
    .description("mirror a trail's S3 objects (logs, digests and their signatures, Insights) to a local folder");
  addTrailOption(command);
  addBucketOptions(command)
    .addOption(new Option('--to <dir>', 'the folder to mirror into (created when missing)'))
    .addOption(new Option('--account <id>', 'only these accounts\' folders (repeat or comma-separate)').argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', 'only these regions\' folders (repeat or comma-separate)').argParser(collectList).default([]))
    .addOption(new Option('--since <time>', 'objects that can hold events at or after TIME: ISO 8601 (extended or basic), epoch seconds, relative (2h, 7d), today, yesterday'))
    .addOption(new Option('--until <time>', 'objects that can hold events at or before TIME'))
    .addOption(new Option('--no-digests', 'skip the CloudTrail-Digest files'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: DownloadFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runDownload(ctx, flags), { outputs: TEXT_OR_JSON });
    });
  return command;
}

async function runDownload(ctx: CliContext, flags: DownloadFlags): Promise<number> {
  const [{ EXIT_ERROR, EXIT_OK, usageError }, { parseTrailRef }, { safeJson, safeText }, { downloadTrail }, { requireValues }, { reportInputError }, { formatBytes, ProgressBar }, { checkGivenRegion }, { validateBucket }, { parseTimeFlagMs }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/resource-refs.js'),
    import('../../output/terminal-safe.js'),
    import('../../jobs/download.js'),
    import('../filter-options.js'),
    import('../event-output.js'),
    import('../progress.js'),
    import('../region-check.js'),
    import('../remote-source.js'),
    import('../time-flags.js'),
    import('../job-options.js'),
  ]);
  if (flags.bucket === undefined && flags.trail === undefined) throw usageError('download: needs --bucket or --trail', 'e.g. trailkit download --trail main --to ./trail --since 1d');
  if (flags.trail !== undefined) {
    for (const [flag, value] of [['--bucket', flags.bucket], ['--prefix', flags.prefix], ['--organization-id', flags.organizationId]] as const) {
      if (value !== undefined) throw usageError(`--trail and ${flag}: cannot be used together`, 'the trail names its bucket, prefix and organization; drop one of them');
    }
    parseTrailRef(flags.trail);
  }
  const source = flags.bucket === undefined ? `--trail ${flags.trail ?? ''}` : `--bucket ${flags.bucket}`;
  if (flags.to === undefined) throw usageError('download: needs --to DIR, the folder to mirror into', `e.g. trailkit download ${source} --to ./trail`);
  if (flags.to.trim() === '') throw usageError('--to was given an empty folder name', `e.g. trailkit download ${source} --to ./trail`);
  if (flags.bucket !== undefined) validateBucket(flags.bucket);
  requireValues('--account', flags.account, '123456789012', 'select every account');
  requireValues('--event-region', flags.eventRegion, 'us-east-1', 'select every region');
  for (const account of flags.account) {
    if (!/^\d{12}$/.test(account)) throw usageError(`--account '${account}': not an AWS account id`, 'an account id is 12 digits, e.g. 123456789012');
  }
  if (flags.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(flags.organizationId)) {
    throw usageError(`--organization-id '${flags.organizationId}': not an organization id`, 'it looks like o-a1b2c3d4e5');
  }
  const now = ctx.now();
  const since = parseTimeFlagMs('--since', flags.since, now);
  let until = parseTimeFlagMs('--until', flags.until, now);
  if (since !== undefined && until === undefined) until = now.getTime();
  if (since !== undefined && until !== undefined && since > until) throw usageError(`--since ${flags.since ?? ''}: after --until ${flags.until ?? ''}`, 'swap them, or widen the window');
  checkGivenRegion(ctx);
  // The listing streams into the downloads; the progress bar's total grows with it and shows '+' until it is done.
  const progress = new ProgressBar(ctx.stderr);
  const summary = await downloadTrail({
    ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }),
    ...(flags.trail === undefined ? {} : { trail: flags.trail }),
    ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
    ...(flags.organizationId === undefined ? {} : { organizationId: flags.organizationId }),
    accounts: flags.account,
    regions: flags.eventRegion,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    to: flags.to,
    digests: flags.digests,
    concurrency: flags.concurrency,
  }, {
    ...jobOptionsOf(ctx),
    onListed: (object) => progress.listed(object.size),
    onListingDone: () => {
      progress.listing = false;
    },
    onObject: (outcome) => {
      if (outcome.status === 'failed') {
        progress.clear();
        reportInputError(ctx, `s3://${outcome.bucket}/${outcome.key}`, outcome.message ?? 'failed');
      }
      if (outcome.warning !== undefined) {
        progress.clear();
        ctx.warn(`s3://${outcome.bucket}/${outcome.key}: ${outcome.warning}`);
      }
      progress.update(1, outcome.bytes);
    },
  }).finally(() => progress.clear());
  const rate = summary.seconds > 0 ? ` (${formatBytes(summary.bytes / summary.seconds)}/s)` : '';
  const line = `downloaded ${summary.downloaded} objects, ${formatBytes(summary.bytes)}, skipped ${summary.skipped} already present, ${summary.failed} failed: s3://${summary.bucket} -> ${safeText(summary.to)} in ${summary.seconds.toFixed(1)} s${rate}`;
  await ctx.write((ctx.globals.output ?? 'text') === 'json' ? `${safeJson(summary)}\n` : `${line}\n`);
  return summary.failed > 0 ? EXIT_ERROR : EXIT_OK;
}
