/**
 * `download` as a job: a trail's objects of a window mirrored into a folder (keys kept), resumable,
 * with no partial file ever under a final name. Progress and per-object problems go to callbacks.
 */
import { mkdir, stat } from 'node:fs/promises';
import { usageError } from '../core/errors.js';
import { formatInstant } from '../core/trail-window.js';
import { describeFsError } from '../sources/local-files.js';
import { jobContext, throwIfAborted, withAwsClients, type JobOptions } from './job-options.js';

/** A trail's log files in S3: the bucket, or the trail whose bucket, prefix and organization are read with GetTrail; narrowed to accounts and regions. */
export interface TrailBucketScope {
  readonly bucket?: string;
  readonly trail?: string;
  readonly prefix?: string;
  readonly organizationId?: string;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
}

export interface DownloadRequest extends TrailBucketScope {
  /** The window of delivery days (epoch ms); none: everything. */
  readonly since?: number;
  readonly until?: number;
  /** The folder to mirror into. */
  readonly to: string;
  /** Digest files too (for validating offline). */
  readonly digests?: boolean;
  /** Objects fetched at once (default 16). */
  readonly concurrency?: number;
}

export interface DownloadObjectOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly status: 'downloaded' | 'skipped' | 'failed';
  readonly bytes: number;
  readonly message?: string;
  readonly warning?: string;
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

export interface DownloadOptions extends JobOptions {
  /** An object listed (the total grows while the listing streams). */
  readonly onListed?: (object: { key: string; size: number }) => void;
  /** The listing is complete. */
  readonly onListingDone?: () => void;
  /** An object downloaded, skipped (already present) or failed. */
  readonly onObject?: (outcome: DownloadObjectOutcome) => void;
}

async function prepareTarget(dir: string): Promise<void> {
  const { sweepTemporaryFiles } = await import('../sources/s3-download.js');
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw usageError(`--to ${dir}: a file, not a folder`, 'give a folder to download into');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    try {
      await mkdir(dir, { recursive: true });
    } catch (made) {
      throw usageError(`--to ${dir}: cannot create the folder (${describeFsError(made)})`, 'give a folder you can write to');
    }
  }
  await sweepTemporaryFiles(dir);
}

/** Downloads the window's objects; resolves with the counts (failed objects are counted, not thrown). */
export async function downloadTrail(request: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadSummary> {
  const job = jobContext(options);
  if (request.bucket === undefined && request.trail === undefined) throw usageError('download: needs a bucket or a trail');
  if (request.to.trim() === '') throw usageError('--to was given an empty folder name');
  const { since, until } = request;
  if (since !== undefined && until !== undefined && since > until) throw usageError(`--since ${formatInstant(since)}: after --until ${formatInstant(until)}`, 'swap them, or widen the window');
  const dir = request.to;
  await prepareTarget(dir);
  const [{ mapOrdered }, { downloadObject, DownloadState }, { ALL_KINDS, EVENT_KINDS, noTrailError, trailFolders, windowObjects }, { readTrail }, { parseTrailRef }] = await Promise.all([
    import('../sources/ordered-map.js'),
    import('../sources/s3-download.js'),
    import('../sources/s3-trail-objects.js'),
    import('../aws/trail-lookup.js'),
    import('../core/resource-refs.js'),
  ]);
  const window = since === undefined ? (until === undefined ? {} : { until }) : { since, until: until ?? job.now().getTime() };
  const what = since === undefined ? (until === undefined ? 'everything' : `up to ${formatInstant(until)}`) : `${formatInstant(since)} to ${formatInstant(window.until as number)}`;
  const started = performance.now();
  const summary: DownloadSummary = { bucket: request.bucket ?? '', to: dir, objects: 0, downloaded: 0, skipped: 0, failed: 0, bytes: 0, seconds: 0 };
  let state: { close(): Promise<void> } | undefined;
  try {
    await withAwsClients(job, 's3:GetObject', async (clients) => {
      const filters = {
        ...(request.accounts === undefined || request.accounts.length === 0 ? {} : { accounts: request.accounts }),
        ...(request.regions === undefined || request.regions.length === 0 ? {} : { regions: request.regions }),
      };
      let query;
      let region = job.aws.region;
      if (request.trail !== undefined) {
        const trail = await readTrail(clients, parseTrailRef(request.trail), (m) => job.debug(m));
        if (trail.bucket === undefined) throw usageError(`trail ${trail.arn}: it names no S3 bucket`, 'give --bucket');
        query = { bucket: trail.bucket, ...(trail.prefix === '' ? {} : { prefix: trail.prefix }), ...(trail.organizationId === undefined ? {} : { orgId: trail.organizationId }), ...filters };
        region ??= trail.homeRegion === '' ? undefined : trail.homeRegion;
      } else {
        query = { bucket: request.bucket as string, ...(request.prefix === undefined ? {} : { prefix: request.prefix }), ...(request.organizationId === undefined ? {} : { orgId: request.organizationId }), ...filters };
      }
      summary.bucket = query.bucket;
      job.notice(`downloading s3://${query.bucket}/${query.prefix === undefined ? '' : `${query.prefix.replace(/^\/+|\/+$/g, '')}/`} (${what}) to ${dir}`);
      const opened = await DownloadState.load(dir, query.bucket);
      state = opened;
      const s3 = await clients.s3(region);
      const folders = await trailFolders(s3, query, request.digests === true ? ALL_KINDS : EVENT_KINDS);
      if (folders.length === 0) throw await noTrailError(s3, query);
      const bucket = query.bucket;
      // The listing streams into the downloads (a bucket can hold millions of keys).
      async function* listed() {
        for await (const object of windowObjects(s3, bucket, folders, window)) {
          throwIfAborted(job.signal);
          options.onListed?.({ key: object.key, size: object.size });
          summary.objects++;
          yield object;
        }
        options.onListingDone?.();
      }
      const outcomes = mapOrdered(listed(), request.concurrency ?? 16, (object, signal) => downloadObject(s3, bucket, object, dir, opened, signal), { ordered: false });
      for await (const outcome of outcomes) {
        if (outcome.status === 'failed') summary.failed++;
        else if (outcome.status === 'skipped') summary.skipped++;
        else {
          summary.downloaded++;
          summary.bytes += outcome.bytes;
        }
        options.onObject?.({ bucket, key: outcome.key, status: outcome.status, bytes: outcome.bytes, ...(outcome.message === undefined ? {} : { message: outcome.message }), ...(outcome.warning === undefined ? {} : { warning: outcome.warning }) });
        throwIfAborted(job.signal);
      }
    });
  } finally {
    await state?.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
