/**
 * `trailkit index`: the flags checked and turned into an IndexRequest, the job run with a progress
 * bar on stderr, its summary printed.
 */
import { parsePublicKeysArgument } from '../core/digest-public-keys.js';
import { EXIT_ERROR, EXIT_OK, usageError } from '../core/errors.js';
import { parseS3Location } from '../core/index-sync.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { buildIndex, type IndexRequest } from '../jobs/index-events.js';
import { parseTimeFlagMs } from './time-flags.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';
import type { IndexFlags } from './commands/index.js';
import { withInterrupt } from './event-batches.js';
import { jobOptionsOf } from './job-options.js';
import { formatBytes, ProgressBar } from './progress.js';
import { validateBucket } from './remote-source.js';

export async function runIndex(ctx: CliContext, paths: readonly string[], flags: IndexFlags): Promise<number> {
  if (flags.to === undefined) throw usageError('index needs --to DIR, the index folder (or s3://bucket/prefix)', 'e.g. trailkit index ./AWSLogs --to ./trail-index');
  const target = /^s3:/i.test(flags.to) ? parseS3Location(flags.to) : undefined;
  if (/^s3:/i.test(flags.to) && target === undefined) throw usageError(`--to '${flags.to}' is not an S3 location`, 'e.g. --to s3://my-index-bucket/trail-index');
  if (flags.workDir !== undefined && target === undefined) throw usageError('--work-dir goes with --to s3://bucket/prefix', 'with a local --to, the index is built in that folder');
  if (flags.workDir === '') throw usageError('--work-dir is empty', 'give a folder, or leave it out for the default under the cache folder');
  const remote = flags.bucket !== undefined || flags.trail !== undefined;
  if (remote && paths.length > 0) throw usageError(`index reads either files or ${flags.bucket !== undefined ? '--bucket' : '--trail'}, not both`, 'drop the paths, or the remote flag');
  if (!remote && paths.length === 0) throw usageError('index needs files or folders, --bucket or --trail', 'e.g. trailkit index ./AWSLogs --to ./trail-index');
  if (flags.bucket !== undefined && flags.trail !== undefined) throw usageError('give --bucket or --trail, not both', '--trail reads the bucket from GetTrail');
  if (flags.bucket !== undefined) validateBucket(flags.bucket);
  for (const account of flags.account) if (!/^\d{12}$/.test(account)) throw usageError(`--account '${account}' is not an AWS account id`, 'an account id is 12 digits');
  for (const region of flags.eventRegion) if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region)) throw usageError(`--event-region '${region}' is not a region name`, 'e.g. us-east-1');
  if (flags.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(flags.organizationId)) throw usageError(`--organization-id '${flags.organizationId}' is not an organization id`, 'it looks like o-a1b2c3d4e5');
  if (!remote && (flags.prefix !== undefined || flags.organizationId !== undefined)) throw usageError('--prefix and --organization-id need --bucket or --trail');
  if (flags.trailArn !== undefined && parseTrailArn(flags.trailArn) === undefined) throw usageError(`--trail-arn '${flags.trailArn}' is not a trail ARN`, 'expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME');
  if (flags.validate === true && flags.trailArn === undefined && flags.trail === undefined) {
    throw usageError('--validate needs the trail whose digests to check: --trail NAME|ARN or --trail-arn ARN');
  }
  if (flags.validate !== true && (flags.publicKeys !== undefined || flags.allowUnverifiable === true)) throw usageError('--public-keys and --allow-unverifiable go with --validate');
  const output = ctx.globals.output ?? 'text';
  if (!['text', 'pretty', 'json'].includes(output)) throw usageError(`--output '${output}' is not a format for index`, 'use text or json');
  const now = ctx.now();
  const since = parseTimeFlagMs('--since', flags.since, now);
  let until = parseTimeFlagMs('--until', flags.until, now);
  if (since !== undefined && until === undefined) until = now.getTime();
  if (since !== undefined && until !== undefined && since > until) throw usageError(`--since ${flags.since} is after --until ${flags.until}`, 'swap them, or widen the window');


  const remoteSource = { kind: 'bucket' as const, ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }), ...(flags.trail === undefined ? {} : { trail: flags.trail }), ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }), ...(flags.organizationId === undefined ? {} : { organizationId: flags.organizationId }), accounts: flags.account, regions: flags.eventRegion };
  // JSON bytes per committed batch; smaller batches commit more often (the tests use it to stop a run mid-way).
  const batchEnv = ctx.env['TRAILKIT_INDEX_BATCH_BYTES'];
  const batchBytes = batchEnv !== undefined && /^\d+$/.test(batchEnv) ? Number(batchEnv) : undefined;
  const request: IndexRequest = {
    source: remote ? remoteSource : { kind: 'files', paths },
    to: flags.to,
    ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(flags.validate === true ? {
      validate: {
        ...(flags.trailArn === undefined ? {} : { trailArn: flags.trailArn }),
        publicKeyFiles: (flags.publicKeys ?? []).map(parsePublicKeysArgument),
        allowUnverifiable: flags.allowUnverifiable === true,
        ...(flags.account.length === 0 ? {} : { accounts: flags.account }),
        ...(flags.eventRegion.length === 0 ? {} : { regions: flags.eventRegion }),
      },
    } : {}),
    concurrency: flags.concurrency,
    compressionLevel: flags.compressionLevel,
    memoryLimit: flags.memoryLimit,
    ...(batchBytes === undefined ? {} : { batchBytes }),
  };

  const progress = new ProgressBar(ctx.stderr);
  // Ctrl-C (or SIGTERM) stops the run between batches: the batch being written is committed, and
  // the locks (DIR/.lock, and PREFIX/.lock in S3) are released, so the next run need not wait
  // for a stale one; exit 130. A second Ctrl-C ends the process at once.
  const { value: summary } = await withInterrupt((signal) => buildIndex(request, {
    ...jobOptionsOf(ctx, signal),
    onWarning: (m) => {
      progress.clear();
      ctx.warn(m);
    },
    onNotice: (m) => {
      progress.clear();
      ctx.notice(m);
    },
    onListed: (bytes) => progress.listed(bytes),
    onListingDone: () => {
      progress.listing = false;
    },
    onRead: (_id, bytes) => progress.update(1, bytes),
    onSource: (o) => {
      if (o.status === 'same') progress.update(1, o.bytes);
    },
    onProblem: (source, message) => {
      progress.clear();
      reportInputError(ctx, source, message);
    },
  }).finally(() => progress.clear()));
  const seconds = summary.seconds;
  const sync = summary.sync;
  const printed = {
    to: summary.to,
    files: summary.files,
    indexed: summary.indexed,
    unchanged: summary.unchanged,
    failed: summary.failed,
    events: summary.events,
    failedEvents: summary.failedEvents,
    bytes: summary.bytes,
    seconds: Math.round(seconds * 10) / 10,
    ...(sync === undefined ? {} : { workDir: summary.dir, downloaded: sync.downloaded, uploaded: sync.uploaded, uploadedBytes: sync.uploadedBytes, deleted: sync.deleted }),
  };
  const synced = sync === undefined ? '' : `; ${flags.to}: ${sync.uploaded} files uploaded (${formatBytes(sync.uploadedBytes)}), ${sync.unchanged} unchanged, ${sync.deleted} deleted`;
  await ctx.write(output === 'json'
    ? `${JSON.stringify(printed)}\n`
    : `indexed ${printed.indexed} files (${printed.events - printed.failedEvents} events, ${formatBytes(printed.bytes)}), ${printed.unchanged} unchanged, ${printed.failed} failed${printed.failedEvents > 0 ? ` (their ${printed.failedEvents} events before the failure indexed)` : ''}: ${summary.dir} in ${seconds.toFixed(1)} s${synced}\n`);
  return summary.problems > 0 ? EXIT_ERROR : EXIT_OK;
}
