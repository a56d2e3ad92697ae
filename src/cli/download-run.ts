import { mkdir, stat } from 'node:fs/promises';
import { EXIT_ERROR, EXIT_OK, usageError } from '../core/errors.js';
import { InvalidTimeError, parseTimeSpec } from '../core/time-spec.js';
import { formatInstant } from '../core/trail-window.js';
import { mapOrdered } from '../sources/ordered-map.js';
import { downloadObject, DownloadState, sweepTemporaryFiles } from '../sources/s3-download.js';
import { describeFsError } from '../sources/local-files.js';
import { safeJson, safeText } from '../output/terminal-safe.js';
import { ALL_KINDS, EVENT_KINDS, noTrailError, s3Url, trailFolders, windowObjects, type TrailObject } from '../sources/s3-trail-objects.js';
import type { CliContext } from './context.js';
import type { DownloadFlags } from './download.js';
import { requireValues } from './filter-options.js';
import { reportInputError } from './event-output.js';
import { formatBytes, ProgressBar } from './progress.js';
import { parseTrailRef } from '../core/resource-refs.js';
import { checkGivenRegion } from './region-check.js';
import { validateBucket } from './remote-source.js';
import { bucketLabel, bucketTarget, withRemote } from './remote-run.js';

function parseTime(flag: string, value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTimeSpec(value, now).getTime();
  } catch (error) {
    if (error instanceof InvalidTimeError) throw usageError(`${flag} ${error.message}`);
    throw error;
  }
}

async function prepareTarget(dir: string): Promise<void> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw usageError(`--to ${safeText(dir)}: a file, not a folder`, 'give a folder to download into');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    try {
      await mkdir(dir, { recursive: true });
    } catch (made) {
      throw usageError(`--to ${safeText(dir)}: cannot create the folder (${describeFsError(made)})`, 'give a folder you can write to');
    }
  }
  await sweepTemporaryFiles(dir);
}

export interface DownloadSummary {
  bucket: string;
  to: string;
  objects: number;
  downloaded: number;
  skipped: number;
  failed: number;
  bytes: number;
  seconds: number;
}

export function summaryLine(s: DownloadSummary): string {
  const rate = s.seconds > 0 ? ` (${formatBytes(s.bytes / s.seconds)}/s)` : '';
  return `downloaded ${s.downloaded} objects, ${formatBytes(s.bytes)}, skipped ${s.skipped} already present, ${s.failed} failed: s3://${s.bucket} -> ${safeText(s.to)} in ${s.seconds.toFixed(1)} s${rate}`;
}

export async function runDownload(ctx: CliContext, flags: DownloadFlags): Promise<number> {
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
  const since = parseTime('--since', flags.since, now);
  let until = parseTime('--until', flags.until, now);
  if (since !== undefined && until === undefined) until = now.getTime();
  if (since !== undefined && until !== undefined && since > until) throw usageError(`--since ${flags.since}: after --until ${flags.until}`, 'swap them, or widen the window');
  const output = ctx.globals.output ?? 'text';
  checkGivenRegion(ctx);
  const dir = flags.to;
  await prepareTarget(dir);

  const window = since === undefined ? (until === undefined ? {} : { until }) : { since, until: until as number };
  const what = since === undefined ? (until === undefined ? 'everything' : `up to ${formatInstant(until)}`) : `${formatInstant(since)} to ${formatInstant(until as number)}`;

  const started = performance.now();
  const summary: DownloadSummary = { bucket: flags.bucket ?? '', to: dir, objects: 0, downloaded: 0, skipped: 0, failed: 0, bytes: 0, seconds: 0 };
  let state: DownloadState | undefined;
  try {
    await withRemote(ctx, 's3:GetObject', async (clients) => {
      const { query, region } = await bucketTarget(ctx, clients, { ...flags, eventRegion: flags.eventRegion });
      summary.bucket = query.bucket;
      ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: downloading ${safeText(bucketLabel(query))} (${what}) to ${safeText(dir)}`)}\n`);
      const opened = await DownloadState.load(dir, query.bucket);
      state = opened;
      const s3 = await clients.s3(region);
      const folders = await trailFolders(s3, query, flags.digests ? ALL_KINDS : EVENT_KINDS);
      if (folders.length === 0) throw await noTrailError(s3, query);
      // The listing streams into the downloads (a bucket can hold millions of keys); the progress
      // bar's total grows with it and shows '+' until the listing is done.
      const progress = new ProgressBar(ctx.stderr);
      async function* listed(): AsyncGenerator<TrailObject> {
        for await (const object of windowObjects(s3, query.bucket, folders, window)) {
          progress.listed(object.size);
          summary.objects++;
          yield object;
        }
        progress.listing = false;
      }
      const outcomes = mapOrdered(listed(), flags.concurrency, (object, signal) => downloadObject(s3, query.bucket, object, dir, opened, signal), { ordered: false });
      for await (const outcome of outcomes) {
        if (outcome.status === 'failed') {
          progress.clear();
          reportInputError(ctx, s3Url(query.bucket, outcome.key), outcome.message ?? 'failed');
          summary.failed++;
        } else if (outcome.status === 'skipped') {
          summary.skipped++;
        } else {
          summary.downloaded++;
          summary.bytes += outcome.bytes;
        }
        if (outcome.warning !== undefined) {
          progress.clear();
          ctx.warn(`${s3Url(query.bucket, outcome.key)}: ${outcome.warning}`);
        }
        progress.update(1, outcome.bytes);
      }
      progress.clear();
    });
  } finally {
    await state?.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  await ctx.write(output === 'json' ? `${safeJson(summary)}\n` : `${summaryLine(summary)}\n`);
  return summary.failed > 0 ? EXIT_ERROR : EXIT_OK;
}
