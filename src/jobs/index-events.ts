/**
 * `index` as a job: CloudTrail log files (files and folders, or a trail's S3 bucket) written into
 * a Parquet index folder, or into S3 through a local working folder. Incremental and interrupt-safe
 * (sources/index-builder.ts); each source's outcome, the listing and the bytes read go to callbacks,
 * and the job returns what it added, left unchanged and could not read.
 */
import { mkdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { LogVerdict } from '../core/digest-chain.js';
import type { LocationReport } from '../core/digest-validation.js';
import { usageError } from '../core/errors.js';
import type { SourceVerdict } from '../core/index-manifest.js';
import { parseS3Location, type S3Location } from '../core/index-sync.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { inWindow, windowDays, type FileWindow } from '../core/trail-files.js';
import { formatInstant } from '../core/trail-window.js';
import type { IndexSource } from '../sources/index-sources.js';
import { describeFsError } from '../sources/local-files.js';
import { abortError, jobContext, openAwsClients, throwIfAborted, withAwsClients, type JobContext, type JobOptions } from './job-options.js';
import type { SourceOutcome } from '../sources/index-builder.js';
import type { TrailBucketScope } from './download.js';

/** Where the log files come from. */
export type IndexEventSource =
  /** Files and folders, walked as grep walks them. */
  | { readonly kind: 'files'; readonly paths: readonly string[] }
  /** A trail's S3 bucket, by its name or that of the trail (GetTrail gives bucket, prefix and ARN). */
  | ({ readonly kind: 'bucket' } & TrailBucketScope);

/** Digest validation before indexing (validate-digest over the same window). */
export interface IndexValidation {
  /** The trail whose digests are checked (default: the source's trail). */
  readonly trailArn?: string;
  /** Files of list-public-keys JSON (for a region, or every region when `region` is undefined); none: ListPublicKeys is called. */
  readonly publicKeyFiles?: readonly { readonly region: string | undefined; readonly path: string }[];
  readonly allowUnverifiable?: boolean;
  /** The accounts and regions whose digests are checked (default: the source's, or the trail's account). */
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
}

export interface IndexRequest {
  readonly source: IndexEventSource;
  /** The index folder (created when missing), or s3://bucket/prefix. */
  readonly to: string;
  /** With an S3 `to`: the local working folder (default: under the cache folder, per bucket and prefix). */
  readonly workDir?: string;
  /** The window of files to read (epoch ms): files that can hold events in it. None: every file. */
  readonly since?: number;
  readonly until?: number;
  /**
   * Runs digest validation over the same window first and stores each file's verdict with its
   * events. `trailArn` defaults to the source's trail.
   */
  readonly validate?: IndexValidation;
  /** S3 objects read at once (default 16). */
  readonly concurrency?: number;
  /** zstd level of the Parquet files (default 3). */
  readonly compressionLevel?: number;
  /** DuckDB's memory limit while writing (default 256MB). */
  readonly memoryLimit?: string;
  /** JSON bytes per committed batch (default 64 MB). */
  readonly batchBytes?: number;
}

/** One source file's outcome, once it is committed (or known to be unchanged). */
export type IndexSourceOutcome = SourceOutcome;

export interface IndexOptions extends JobOptions {
  /** A file or object to read was found (the total grows while the listing goes on). */
  readonly onListed?: (bytes: number) => void;
  /** The listing is complete. */
  readonly onListingDone?: () => void;
  /** A new or changed source was read, with its size. */
  readonly onRead?: (id: string, bytes: number) => void;
  readonly onSource?: (outcome: IndexSourceOutcome) => void;
  /** A path or a source that could not be read, or a part of one (default: onWarning). */
  readonly onProblem?: (source: string, message: string) => void;
}

export interface IndexSummary {
  readonly to: string;
  /** The folder the index was built in (`to`, or the working folder of an S3 `to`). */
  readonly dir: string;
  readonly files: number;
  readonly indexed: number;
  readonly unchanged: number;
  /** Files that could not be read to their end (read again on the next run). */
  readonly failed: number;
  /** Events added to the index, those of failed files (read before their failure) included. */
  readonly events: number;
  /** Of `events`, those of failed files. */
  readonly failedEvents: number;
  readonly bytes: number;
  /** Paths, files and records reported through onProblem. */
  readonly problems: number;
  readonly seconds: number;
  /** With --validate: how many files got each verdict. */
  readonly verdicts?: Readonly<Record<SourceVerdict, number>>;
  /** With an S3 `to`. */
  readonly sync?: { readonly downloaded: number; readonly downloadedBytes: number; readonly uploaded: number; readonly uploadedBytes: number; readonly unchanged: number; readonly deleted: number };
}

/**
 * The files of a local folder that a window reads, by the rule a bucket listing applies
 * (core/trail-files.ts): under a `CloudTrail/REGION/` or `CloudTrail-Insight/REGION/` folder, by
 * day folder and delivery time; anywhere else, every file.
 */
export function inLocalWindow(path: string, window: FileWindow | undefined, days: ReadonlySet<string> | undefined): boolean {
  if (window === undefined) return true;
  const parts = resolve(path).split(sep);
  for (let i = parts.length - 3; i >= 0; i--) {
    if ((parts[i] === 'CloudTrail' || parts[i] === 'CloudTrail-Insight') && /^\d{12}$/.test(parts[i - 1] ?? '')) {
      return inWindow(parts.slice(i + 2).join('/'), window, days);
    }
  }
  return true;
}

/** validate-digest's verdict of each file, in the index's four words. */
export function sourceVerdict(status: LogVerdict['status']): SourceVerdict | undefined {
  switch (status) {
    case 'valid':
    case 'other-trail':
      return 'valid';
    case 'unverifiable':
    case 'uncovered':
    case 'insight':
      return 'unverifiable';
    case 'unreferenced':
      return 'unreferenced';
    case 'hash-mismatch':
    case 'not-found':
    case 'invalid-format':
    case 'listed-by-invalid':
    case 'misplaced':
      return 'invalid';
    case 'outside':
      return undefined;
  }
}

/** Every file verdict of the reports, by source id (absolute path, or s3://bucket/key). */
export function verdictMap(reports: readonly LocationReport[], idOf: (verdict: LogVerdict) => string): Map<string, SourceVerdict> {
  const out = new Map<string, SourceVerdict>();
  const take = (v: LogVerdict) => {
    const verdict = sourceVerdict(v.status);
    if (verdict !== undefined) out.set(idOf(v), verdict);
  };
  for (const report of reports) {
    for (const event of report.events) if (event.type === 'digest') event.logFiles.forEach(take);
    report.files.forEach(take);
  }
  return out;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

function checkRequest(request: IndexRequest): void {
  if (typeof request.to !== 'string' || request.to === '') throw usageError('index needs `to`: the index folder, or s3://bucket/prefix');
  if (/^s3:/i.test(request.to) && parseS3Location(request.to) === undefined) throw usageError(`'${request.to}' is not an S3 location`, 'e.g. s3://my-index-bucket/trail-index');
  if (request.workDir !== undefined && !/^s3:/i.test(request.to)) throw usageError('a working folder goes with an S3 index (s3://bucket/prefix)', 'a local index is built in its own folder');
  if (request.workDir === '') throw usageError('the working folder is empty', 'give a folder, or leave it out for the default under the cache folder');
  const source = request.source;
  if (source.kind === 'files') {
    if (source.paths.length === 0) throw usageError('index needs files or folders, a bucket or a trail');
  } else {
    if ((source.bucket === undefined) === (source.trail === undefined)) throw usageError('index reads a bucket or a trail: give one of them');
    for (const account of source.accounts ?? []) if (!ACCOUNT_ID.test(account)) throw usageError(`account '${account}' is not an AWS account id`, 'an account id is 12 digits');
    for (const region of source.regions ?? []) if (!REGION_NAME.test(region)) throw usageError(`region '${region}' is not a region name`, 'e.g. us-east-1');
    if (source.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(source.organizationId)) throw usageError(`organization id '${source.organizationId}' is not an organization id`, 'it looks like o-a1b2c3d4e5');
  }
  if (request.since !== undefined && request.until !== undefined && request.since > request.until) throw usageError('the window starts after it ends', 'swap since and until');
  const validate = request.validate;
  if (validate !== undefined) {
    if (validate.trailArn !== undefined && parseTrailArn(validate.trailArn) === undefined) throw usageError(`'${validate.trailArn}' is not a trail ARN`, 'expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME');
    if (validate.trailArn === undefined && !(source.kind === 'bucket' && source.trail !== undefined)) throw usageError('validating needs the trail whose digests to check: its ARN, or a trail as the source');
    if (source.kind === 'files' && source.paths.length !== 1) throw usageError('validating checks one downloaded trail folder: give one path');
  }
}

/** Stops the sources at the next one once the job is aborted (what was committed stays). */
async function* untilAborted(sources: AsyncIterable<IndexSource> | Iterable<IndexSource>, signal: AbortSignal | undefined): AsyncGenerator<IndexSource> {
  for await (const source of sources) {
    throwIfAborted(signal);
    yield source;
  }
}

/** Builds or extends the index; see IndexRequest. */
export async function buildIndex(request: IndexRequest, options: IndexOptions = {}): Promise<IndexSummary> {
  checkRequest(request);
  const job = jobContext(options);
  throwIfAborted(job.signal);
  const problem = options.onProblem ?? ((source: string, message: string) => job.warn(`${source}: ${message}`));
  const [{ IndexBuilder, notCloudTrailWarning }, { LocalIndex }, { localSources }, { expandInputs }] = await Promise.all([
    import('../sources/index-builder.js'),
    import('../sources/index-store.js'),
    import('../sources/index-sources.js'),
    import('../sources/local-files.js'),
  ]);
  const started = performance.now();
  const counts = { files: 0, indexed: 0, skipped: 0, failed: 0, failedEvents: 0, events: 0, bytes: 0, problems: 0 };
  const report = (source: string, message: string) => {
    counts.problems++;
    problem(source, message);
  };
  const onOutcome = (o: IndexSourceOutcome) => {
    counts.files++;
    options.onSource?.(o);
    if (o.status === 'same') {
      counts.skipped++;
      return;
    }
    if (o.error !== undefined) {
      // Its events before the failure are in the index, as grep prints them.
      counts.failed++;
      counts.failedEvents += o.events;
      counts.events += o.events;
      report(o.id, o.error);
      for (const p of o.problems) report(o.id, p);
      return;
    }
    counts.indexed++;
    counts.events += o.events;
    counts.bytes += o.bytes;
    for (const p of o.problems) report(o.id, p);
    const notCloudTrail = notCloudTrailWarning(o);
    if (notCloudTrail !== undefined) job.warn(`${o.id}: ${notCloudTrail}`);
  };

  const target = /^s3:/i.test(request.to) ? parseS3Location(request.to) : undefined;
  const s3Sync = target === undefined ? undefined : await import('../sources/index-s3-sync.js');
  const dir = target === undefined || s3Sync === undefined ? request.to : request.workDir ?? s3Sync.defaultWorkFolder(target, job.env);
  // The working copy of an S3 index is read by its own runs only: replaced files go at once.
  const index = target === undefined ? new LocalIndex(dir) : new LocalIndex(dir, 0);
  const sync = target === undefined || s3Sync === undefined ? undefined : new s3Sync.S3IndexSync(target, index, { concurrency: Math.min(request.concurrency ?? 16, 16), debug: (m) => job.debug(m) });
  let release: (() => Promise<void>) | undefined;
  let leaseClients: AwsClients | undefined;
  let lease: import('../aws/index-s3-lease.js').S3IndexLease | undefined;
  let pulled: { downloaded: number; bytes: number } | undefined;
  let pushed: { uploaded: number; bytes: number; unchanged: number; deleted: number } | undefined;
  let verdicts: Map<string, SourceVerdict> | undefined;
  try {
    if (sync !== undefined) {
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw usageError(`working folder ${dir}: ${describeFsError(error)}`);
      });
      await index.create('--work-dir');
      release = await index.lock();
      // One run at a time per prefix, wherever it runs: the lock in S3 (PREFIX/.lock) is taken
      // before the prefix is read and kept until the sync is done.
      leaseClients = openAwsClients(job);
      const { S3IndexLease } = await import('../aws/index-s3-lease.js');
      lease = await S3IndexLease.acquire(await leaseClients.s3(), target as S3Location, { now: () => job.now(), debug: (m) => job.debug(m) });
      job.notice(`${request.to} is built in ${dir}`);
      pulled = await withAwsClients(job, 's3:ListBucket', async (clients) => {
        const s3 = await clients.s3();
        return sync.pull(s3, await sync.inspect(s3));
      });
      if (pulled.downloaded > 0) job.notice(`downloaded ${pulled.downloaded} files (${(pulled.bytes / 1e6).toFixed(1)} MB) of the index from ${request.to}`);
    }
    const builder = new IndexBuilder(index, {
      concurrency: request.concurrency ?? 16,
      compressionLevel: request.compressionLevel ?? 3,
      memoryLimit: request.memoryLimit ?? '256MB',
      onOutcome,
      onRead: (id, bytes) => options.onRead?.(id, bytes),
      onRetry: (message) => job.debug(message),
      ...(request.batchBytes === undefined ? {} : { batchBytes: request.batchBytes }),
    });
    const since = request.since;
    const until = since !== undefined && request.until === undefined ? job.now().getTime() : request.until;
    const window: FileWindow | undefined = since === undefined ? undefined : { since, until: until as number };
    const what = since === undefined ? 'every file' : `files for ${formatInstant(since)} to ${formatInstant(until as number)}`;
    const source = request.source;

    if (source.kind === 'files') {
      const { files, problems } = await expandInputs(source.paths);
      for (const p of problems) report(p.path, p.message);
      const days = window === undefined ? undefined : windowDays(window);
      const chosen = files.filter((f) => f.path !== '-' && inLocalWindow(f.path, window, days));
      for (const f of chosen) options.onListed?.(f.size);
      options.onListingDone?.();
      if (request.validate !== undefined) {
        const root = source.paths[0] as string;
        verdicts = await validate(job, request, { kind: 'local', path: root }, since, until, (v) => resolve(root, ...v.key.split('/')));
      }
      job.notice(`indexing ${what} of ${source.paths.join(' ')} into ${request.to}`);
      await builder.open();
      try {
        await builder.addAll(untilAborted(localSources(chosen, { hash: false, ...(verdicts === undefined ? {} : { verdicts }) }), job.signal));
      } finally {
        await builder.finish();
      }
    } else {
      await withAwsClients(job, 's3:GetObject', async (clients) => {
        let bucket = source.bucket;
        let prefix = source.prefix;
        let trailArn = request.validate?.trailArn;
        if (source.trail !== undefined) {
          const [{ readTrail }, { parseTrailRef }] = await Promise.all([import('../aws/trail-lookup.js'), import('../core/resource-refs.js')]);
          const trail = await readTrail(clients, parseTrailRef(source.trail), (m) => job.debug(m));
          if (trail.bucket === undefined) throw usageError(`trail ${trail.arn} delivers to no S3 bucket`, 'index its log files from a folder, or give the bucket');
          bucket = trail.bucket;
          prefix ??= trail.prefix === '' ? undefined : trail.prefix;
          trailArn ??= trail.arn;
        }
        const query = {
          bucket: bucket as string,
          ...(prefix === undefined ? {} : { prefix }),
          ...(source.accounts === undefined || source.accounts.length === 0 ? {} : { accounts: [...source.accounts] }),
          ...(source.regions === undefined || source.regions.length === 0 ? {} : { regions: [...source.regions] }),
          ...(source.organizationId === undefined ? {} : { orgId: source.organizationId }),
        };
        if (request.validate !== undefined) {
          const withTrail = { ...request, validate: { ...request.validate, ...(trailArn === undefined ? {} : { trailArn }) }, source: { ...source, ...(prefix === undefined ? {} : { prefix }) } };
          verdicts = await validate(job, withTrail, { kind: 's3', bucket: query.bucket }, since, until, (v) => `s3://${v.bucket}/${v.key}`, clients);
        }
        const [{ trailFolders, windowObjects, noTrailError, EVENT_KINDS }, { s3Sources }] = await Promise.all([import('../sources/s3-trail-objects.js'), import('../sources/index-s3-sources.js')]);
        const s3 = await clients.s3();
        const folders = await trailFolders(s3, query, EVENT_KINDS);
        if (folders.length === 0) throw await noTrailError(s3, query);
        job.notice(`indexing ${what} of s3://${query.bucket}/${prefix === undefined ? '' : `${prefix}/`} into ${request.to}`);
        const objects = windowObjects(s3, query.bucket, folders, window ?? (until === undefined ? {} : { until }), (o) => options.onListed?.(o.size));
        await builder.open();
        try {
          await builder.addAll(untilAborted(s3Sources(s3, query.bucket, objects, verdicts), job.signal));
        } finally {
          options.onListingDone?.();
          await builder.finish();
        }
      });
    }
    throwIfAborted(job.signal);
    if (sync !== undefined) {
      // Nothing is uploaded or deleted unless the lock is still this run's.
      await lease?.confirm();
      // And each object written after it waits for the lock to be proven again when it has not
      // been for a while (a stalled run must not write over the run that took its lock over).
      const guard = lease === undefined ? undefined : lease.guard.bind(lease);
      pushed = await withAwsClients(job, 's3:PutObject', async (clients) => sync.push(await clients.s3(), guard));
    }
  } catch (error) {
    if (job.signal?.aborted === true) throw abortError(job.signal);
    throw error;
  } finally {
    const left = await lease?.release();
    if (left !== undefined) job.warn(left);
    leaseClients?.destroy();
    await release?.();
  }
  let tally: Record<SourceVerdict, number> | undefined;
  if (verdicts !== undefined) {
    tally = { valid: 0, invalid: 0, unverifiable: 0, unreferenced: 0 };
    for (const v of verdicts.values()) tally[v]++;
  }
  return {
    to: request.to,
    dir,
    files: counts.files,
    indexed: counts.indexed,
    unchanged: counts.skipped,
    failed: counts.failed,
    events: counts.events,
    failedEvents: counts.failedEvents,
    bytes: counts.bytes,
    problems: counts.problems,
    seconds: (performance.now() - started) / 1000,
    ...(tally === undefined ? {} : { verdicts: tally }),
    ...(pushed === undefined ? {} : { sync: { downloaded: pulled?.downloaded ?? 0, downloadedBytes: pulled?.bytes ?? 0, uploaded: pushed.uploaded, uploadedBytes: pushed.bytes, unchanged: pushed.unchanged, deleted: pushed.deleted } }),
  };
}

/** Runs the digest validation over the window and maps each file's verdict. */
async function validate(
  job: JobContext,
  request: IndexRequest,
  source: { kind: 'local'; path: string } | { kind: 's3'; bucket: string },
  since: number | undefined,
  until: number | undefined,
  idOf: (v: LogVerdict) => string,
  clients?: AwsClients,
): Promise<Map<string, SourceVerdict>> {
  const trailArn = request.validate?.trailArn as string;
  const trail = parseTrailArn(trailArn);
  if (trail === undefined) throw usageError(`'${String(trailArn)}' is not a trail ARN`);
  const endMs = until ?? job.now().getTime();
  const startMs = since ?? endMs - 24 * 3_600_000;
  const { collectDigestReports } = await import('./validate-digests.js');
  const accounts = request.validate?.accounts ?? (request.source.kind === 'bucket' ? request.source.accounts : undefined) ?? [];
  const regions = request.validate?.regions ?? (request.source.kind === 'bucket' ? request.source.regions : undefined) ?? [];
  const prefix = request.source.kind === 'bucket' ? request.source.prefix ?? '' : '';
  const publicKeyFiles = [...(request.validate?.publicKeyFiles ?? [])];
  const input = {
    source,
    trailArn,
    trail,
    startMs,
    endMs,
    prefix: prefix.replace(/^\/+|\/+$/g, ''),
    accounts: accounts.length > 0 ? [...accounts] : [trail.account],
    regions: regions.length > 0 ? [...regions] : undefined,
    publicKeyFiles,
    allowUnverifiable: request.validate?.allowUnverifiable === true,
    strict: false,
    concurrency: request.concurrency ?? 16,
    nowMs: job.now().getTime(),
  };
  job.notice(`validating the digests of ${trailArn} from ${formatInstant(startMs)} to ${formatInstant(endMs)}`);
  const run = async (c: AwsClients | undefined) => collectDigestReports(input, c, job);
  const needsAws = source.kind === 's3' || publicKeyFiles.length === 0;
  const reports = clients !== undefined ? await run(clients) : needsAws ? await withAwsClients(job, 's3:GetObject', run) : await run(undefined);
  const map = verdictMap(reports, idOf);
  const tally = { valid: 0, invalid: 0, unverifiable: 0, unreferenced: 0 };
  for (const v of map.values()) tally[v]++;
  job.notice(`verdicts: ${tally.valid} valid, ${tally.invalid} invalid, ${tally.unverifiable} unverifiable, ${tally.unreferenced} unreferenced`);
  return map;
}
