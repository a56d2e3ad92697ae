import { mkdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { LogVerdict } from '../core/digest-chain.js';
import type { LocationReport } from '../core/digest-validation.js';
import { parsePublicKeysArgument } from '../core/digest-public-keys.js';
import { EXIT_ERROR, EXIT_OK, usageError } from '../core/errors.js';
import type { SourceVerdict } from '../core/index-manifest.js';
import { parseS3Location } from '../core/index-sync.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { parseTimeFlagMs } from './time-flags.js';
import { inWindow, windowDays, type FileWindow } from '../core/trail-files.js';
import { formatInstant } from '../core/trail-window.js';
import { IndexBuilder, type SourceOutcome } from '../sources/index-builder.js';
import { localSources } from '../sources/index-sources.js';
import type { PushResult } from '../sources/index-s3-sync.js';
import { LocalIndex } from '../sources/index-store.js';
import { describeFsError, expandInputs, type InputFile } from '../sources/local-files.js';
import { awsConfigOf, withAws } from './aws-command.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';
import type { IndexFlags } from './commands/index.js';
import { formatBytes, ProgressBar } from './progress.js';
import { validateBucket } from './remote-source.js';


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

interface Counts {
  files: number;
  indexed: number;
  skipped: number;
  failed: number;
  events: number;
  bytes: number;
}

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

  const started = performance.now();
  const counts: Counts = { files: 0, indexed: 0, skipped: 0, failed: 0, events: 0, bytes: 0 };
  const progress = new ProgressBar(ctx.stderr);
  let hadError = false;
  const onOutcome = (o: SourceOutcome) => {
    counts.files++;
    if (o.status === 'same') {
      progress.update(1, o.bytes);
      counts.skipped++;
      return;
    }
    if (o.error !== undefined) {
      progress.clear();
      reportInputError(ctx, o.id, o.error);
      counts.failed++;
      hadError = true;
      return;
    }
    counts.indexed++;
    counts.events += o.events;
    counts.bytes += o.bytes;
    if (o.problems.length > 0) {
      progress.clear();
      for (const problem of o.problems) reportInputError(ctx, o.id, problem);
      hadError = true;
    }
    if (o.notCloudTrail > 0) {
      progress.clear();
      ctx.warn(`${o.id}: ${o.events === 0 ? 'is JSON but not CloudTrail events (an S3 event notification, say); skipped' : `${o.notCloudTrail} of its records are not CloudTrail events; skipped them`}`);
    }
  };
  // With --to s3://..., the index is built in a working folder and synced with S3 before and after.
  const s3Sync = target === undefined ? undefined : await import('../sources/index-s3-sync.js');
  const dir = target === undefined || s3Sync === undefined ? flags.to : flags.workDir ?? s3Sync.defaultWorkFolder(target, ctx.env);
  const index = new LocalIndex(dir);
  let release: (() => Promise<void>) | undefined;
  let pulled: { downloaded: number; bytes: number } | undefined;
  let pushed: PushResult | undefined;
  const sync = target === undefined || s3Sync === undefined ? undefined : new s3Sync.S3IndexSync(target, index, { concurrency: Math.min(flags.concurrency, 16), debug: (m) => ctx.debug(m) });
  try {
    if (sync !== undefined) {
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw usageError(`--work-dir ${dir}: ${describeFsError(error)}`);
      });
      await index.create('--work-dir');
      release = await index.lock();
      ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: ${flags.to} is built in ${dir}`)}\n`);
      pulled = await withAws(ctx, 's3:ListBucket', async (clients) => {
        const s3 = await clients.s3();
        return sync.pull(s3, await sync.inspect(s3));
      });
      if (pulled.downloaded > 0) ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: downloaded ${pulled.downloaded} files (${formatBytes(pulled.bytes)}) of the index from ${flags.to}`)}\n`);
    }
    // JSON bytes per committed batch; smaller batches commit more often (the tests use it to stop a run mid-way).
    const batchEnv = ctx.env['TRAILKIT_INDEX_BATCH_BYTES'];
    const batchBytes = batchEnv !== undefined && /^\d+$/.test(batchEnv) ? Number(batchEnv) : undefined;
    const builder = new IndexBuilder(index, { concurrency: flags.concurrency, compressionLevel: flags.compressionLevel, memoryLimit: flags.memoryLimit, onOutcome, onRead: (_id, bytes) => progress.update(1, bytes), ...(batchBytes === undefined ? {} : { batchBytes }) });
    const window: FileWindow | undefined = since === undefined ? undefined : { since, until: until as number };
    const what = since === undefined ? 'every file' : `files for ${formatInstant(since)} to ${formatInstant(until as number)}`;

    if (!remote) {
      const { files, problems } = await expandInputs(paths);
      for (const problem of problems) reportInputError(ctx, problem.path, problem.message);
      if (problems.length > 0) hadError = true;
      const days = window === undefined ? undefined : windowDays(window);
      const chosen = files.filter((f: InputFile) => f.path !== '-' && inLocalWindow(f.path, window, days));
      for (const f of chosen) progress.listed(f.size);
      progress.listing = false;
      let verdicts: Map<string, SourceVerdict> | undefined;
      if (flags.validate === true) {
        if (paths.length !== 1) throw usageError('--validate checks one downloaded trail folder: give one PATH');
        const root = paths[0] as string;
        verdicts = await validate(ctx, flags, { kind: 'local', path: root }, since, until, (v) => resolve(root, ...v.key.split('/')));
      }
      ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: indexing ${what} of ${paths.join(' ')} into ${flags.to}`)}\n`);
      await builder.open();
      try {
        await builder.addAll(localSources(chosen, { hash: false, ...(verdicts === undefined ? {} : { verdicts }) }));
      } finally {
        await builder.finish();
        progress.clear();
      }
    } else {
      await withAws(ctx, 's3:GetObject', async (clients) => {
        let bucket = flags.bucket;
        let prefix = flags.prefix;
        let trailArn = flags.trailArn;
        if (flags.trail !== undefined) {
          const [{ readTrail }, { parseTrailRef }] = await Promise.all([import('../aws/trail-lookup.js'), import('../core/resource-refs.js')]);
          const trail = await readTrail(clients, parseTrailRef(flags.trail), (m) => ctx.debug(m));
          if (trail.bucket === undefined) throw usageError(`trail ${trail.arn} delivers to no S3 bucket`, 'index its log files from a folder, or give --bucket');
          bucket = trail.bucket;
          prefix ??= trail.prefix === '' ? undefined : trail.prefix;
          trailArn ??= trail.arn;
        }
        const query = {
          bucket: bucket as string,
          ...(prefix === undefined ? {} : { prefix }),
          ...(flags.account.length === 0 ? {} : { accounts: flags.account }),
          ...(flags.eventRegion.length === 0 ? {} : { regions: flags.eventRegion }),
          ...(flags.organizationId === undefined ? {} : { orgId: flags.organizationId }),
        };
        let verdicts: Map<string, SourceVerdict> | undefined;
        if (flags.validate === true) {
          verdicts = await validate(ctx, { ...flags, ...(trailArn === undefined ? {} : { trailArn }), ...(prefix === undefined ? {} : { prefix }) }, { kind: 's3', bucket: query.bucket }, since, until, (v) => `s3://${v.bucket}/${v.key}`, clients);
        }
        const [{ trailFolders, windowObjects, noTrailError, EVENT_KINDS }, { s3Sources }] = await Promise.all([import('../sources/s3-trail-objects.js'), import('../sources/index-s3-sources.js')]);
        const s3 = await clients.s3();
        const folders = await trailFolders(s3, query, EVENT_KINDS);
        if (folders.length === 0) throw await noTrailError(s3, query);
        ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: indexing ${what} of s3://${query.bucket}/${prefix === undefined ? '' : `${prefix}/`} into ${flags.to}`)}\n`);
        const objects = windowObjects(s3, query.bucket, folders, window ?? (until === undefined ? {} : { until }), (o) => progress.listed(o.size));
        await builder.open();
        try {
          await builder.addAll(s3Sources(s3, query.bucket, objects, verdicts));
        } finally {
          progress.listing = false;
          await builder.finish();
          progress.clear();
        }
      });
    }
    if (sync !== undefined) {
      progress.clear();
      pushed = await withAws(ctx, 's3:PutObject', async (clients) => sync.push(await clients.s3()));
    }
  } finally {
    await release?.();
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    to: flags.to,
    files: counts.files,
    indexed: counts.indexed,
    unchanged: counts.skipped,
    failed: counts.failed,
    events: counts.events,
    bytes: counts.bytes,
    seconds: Math.round(seconds * 10) / 10,
    ...(pushed === undefined ? {} : { workDir: dir, downloaded: pulled?.downloaded ?? 0, uploaded: pushed.uploaded, uploadedBytes: pushed.bytes, deleted: pushed.deleted }),
  };
  const synced = pushed === undefined ? '' : `; ${flags.to}: ${pushed.uploaded} files uploaded (${formatBytes(pushed.bytes)}), ${pushed.unchanged} unchanged, ${pushed.deleted} deleted`;
  await ctx.write(output === 'json'
    ? `${JSON.stringify(summary)}\n`
    : `indexed ${summary.indexed} files (${summary.events} events, ${formatBytes(summary.bytes)}), ${summary.unchanged} unchanged, ${summary.failed} failed: ${dir} in ${seconds.toFixed(1)} s${synced}\n`);
  return hadError ? EXIT_ERROR : EXIT_OK;
}

/** Runs validate-digest's library function over the window and maps each file's verdict. */
async function validate(
  ctx: CliContext,
  flags: IndexFlags,
  source: { kind: 'local'; path: string } | { kind: 's3'; bucket: string },
  since: number | undefined,
  until: number | undefined,
  idOf: (v: LogVerdict) => string,
  clients?: AwsClients,
): Promise<Map<string, SourceVerdict>> {
  const trail = parseTrailArn(flags.trailArn as string);
  if (trail === undefined) throw usageError(`--trail-arn '${String(flags.trailArn)}' is not a trail ARN`);
  const endMs = until ?? ctx.now().getTime();
  const startMs = since ?? endMs - 24 * 3_600_000;
  const { collectDigestReports } = await import('../jobs/validate-digests.js');
  const input = {
    source,
    trailArn: flags.trailArn as string,
    trail,
    startMs,
    endMs,
    prefix: (flags.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    accounts: flags.account.length > 0 ? flags.account : [trail.account],
    regions: flags.eventRegion.length > 0 ? flags.eventRegion : undefined,
    publicKeyFiles: (flags.publicKeys ?? []).map(parsePublicKeysArgument),
    allowUnverifiable: flags.allowUnverifiable === true,
    strict: false,
    concurrency: flags.concurrency,
    nowMs: ctx.now().getTime(),
  };
  ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: validating the digests of ${flags.trailArn as string} from ${formatInstant(startMs)} to ${formatInstant(endMs)}`)}\n`);
  const run = async (c: AwsClients | undefined) => collectDigestReports(input, c, ctx);
  const needsAws = source.kind === 's3' || input.publicKeyFiles.length === 0;
  const reports = clients !== undefined ? await run(clients) : needsAws ? await withAws(ctx, 's3:GetObject', run, awsConfigOf(ctx)) : await run(undefined);
  const map = verdictMap(reports, idOf);
  const tally = { valid: 0, invalid: 0, unverifiable: 0, unreferenced: 0 };
  for (const v of map.values()) tally[v]++;
  ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: verdicts: ${tally.valid} valid, ${tally.invalid} invalid, ${tally.unverifiable} unverifiable, ${tally.unreferenced} unreferenced`)}\n`);
  return map;
}
