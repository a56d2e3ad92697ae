/**
 * Log file integrity validation as a job: the digest chains of a trail over a window, from S3 or
 * a downloaded folder, as a report object. The aws-cli text is one renderer of it
 * (src/output/digest-report.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import type { AwsClients } from '../aws/clients.js';
import { createLimiter, type DigestLocation, type DigestStore, type Limiter } from '../core/digest-chain.js';
import { fileKeyProvider, missingRegionKeys, parsePublicKeysJson, type PublicKeyFile, type PublicKeyProvider } from '../core/digest-public-keys.js';
import { isAllValid, sumTallies, validateLocations, type LocationReport, type Tally } from '../core/digest-validation.js';
import { TrailkitError, usageError } from '../core/errors.js';
import { parseTrailRef } from '../core/resource-refs.js';
import { parseTrailArn, type TrailArn } from '../core/s3-layout.js';
import { describeFsError } from '../sources/local-files.js';
import { jobContext, throwIfAborted, withAwsClients, type JobContext, type JobOptions } from './job-options.js';

const HOUR_MS = 3_600_000;

export type DigestSource = { readonly kind: 's3'; readonly bucket: string } | { readonly kind: 'local'; readonly path: string };

/** What to validate, every value checked (see digestValidationRequest for one built from plain values). */
export interface DigestValidationRequest {
  readonly source: DigestSource;
  readonly trailArn: string;
  readonly trail: TrailArn;
  readonly startMs: number;
  readonly endMs: number;
  /** The S3 key prefix before AWSLogs/, without slashes at its ends ('' when none). */
  readonly prefix: string;
  readonly accounts: readonly string[];
  /** undefined: every region found. */
  readonly regions: readonly string[] | undefined;
  /** Public key files (`[REGION=]FILE`); none: ListPublicKeys in each region. */
  readonly publicKeyFiles: readonly { region: string | undefined; path: string }[];
  readonly allowUnverifiable: boolean;
  /** Warnings (Insights files, log files not yet covered) fail the run too. */
  readonly strict: boolean;
  /** Digests and log files read at once, across every account-region. */
  readonly concurrency: number;
  /** The current time (epoch ms): digests due before it must exist. Default: the job's clock. */
  readonly nowMs?: number;
}

/** The options of validateDigests in plain values, as a library user gives them. */
export interface ValidateDigestsInput {
  /** A trail ARN, or (with `lookUpTrail`) a name or ARN read with GetTrail for its ARN, bucket and prefix. */
  readonly trail: string;
  /** Read the trail's settings with GetTrail (needed for a name; gives bucket and prefix). */
  readonly lookUpTrail?: boolean;
  /** The trail's bucket; or `path`, a downloaded folder that mirrors it. */
  readonly bucket?: string;
  readonly path?: string;
  readonly prefix?: string;
  readonly start?: Date;
  /** Default: now. */
  readonly end?: Date;
  /** Default: the trail's own account. */
  readonly accounts?: readonly string[];
  /** Default: the trail's home region; 'all' for every region found. */
  readonly regions?: readonly string[] | 'all';
  readonly publicKeyFiles?: readonly { region?: string; path: string }[];
  readonly allowUnverifiable?: boolean;
  readonly strict?: boolean;
  readonly concurrency?: number;
}

export interface DigestValidationReport {
  readonly trailArn: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly offline: boolean;
  readonly allowUnverifiable: boolean;
  /** One report per account-region, in account then region order. */
  readonly locations: readonly LocationReport[];
  readonly totals: Tally;
  /** Every digest and log file valid (and, with strict, no warnings). */
  readonly ok: boolean;
}

/** Checks plain values and fills in the defaults aws-cli uses (the last 24 hours, the trail's account and region). */
export function digestValidationRequest(input: ValidateDigestsInput & { trail: string }, now: Date): DigestValidationRequest {
  if ((input.path === undefined) === (input.bucket === undefined)) {
    throw usageError('give either a bucket or a path to a downloaded trail folder, not both or neither', 'trailkit validate-digest --bucket B --trail-arn ARN');
  }
  const trail = parseTrailArn(input.trail);
  if (trail === undefined) throw usageError(`--trail-arn: '${input.trail}' is not a trail ARN`, 'expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME');
  const endMs = (input.end ?? now).getTime();
  const startMs = input.start === undefined ? endMs - 24 * HOUR_MS : input.start.getTime();
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw usageError('--start-time and --end-time must be valid times');
  if (startMs > endMs) throw usageError('--start-time must not be after --end-time');
  const accounts = input.accounts ?? [trail.account];
  for (const account of accounts) if (!/^\d{12}$/.test(account)) throw usageError(`--account-id: '${account}' is not a 12-digit account id`);
  const regions = input.regions === 'all' ? undefined : [...(input.regions ?? [trail.region])];
  for (const region of regions ?? []) if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region)) throw usageError(`--region: '${region}' is not a region name`);
  if (input.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.bucket)) throw usageError(`--bucket: '${input.bucket}' is not an S3 bucket name`);
  const concurrency = input.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError(`--concurrency: '${concurrency}' is not a whole number of at least 1`);
  return {
    source: input.bucket !== undefined ? { kind: 's3', bucket: input.bucket } : { kind: 'local', path: input.path as string },
    trailArn: input.trail,
    trail,
    startMs,
    endMs,
    prefix: (input.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    accounts,
    regions,
    publicKeyFiles: (input.publicKeyFiles ?? []).map((f) => ({ region: f.region, path: f.path })),
    allowUnverifiable: input.allowUnverifiable === true,
    strict: input.strict === true,
    concurrency,
    nowMs: now.getTime(),
  };
}

/**
 * Validates a trail's digests and log files over a window. Needs AWS for a bucket, for a trail
 * name, and for public keys when no key file is given; a downloaded folder with key files is
 * validated offline.
 */
export async function validateDigests(input: ValidateDigestsInput | DigestValidationRequest, options: JobOptions = {}): Promise<DigestValidationReport> {
  const job = jobContext(options);
  if ('source' in input) return runValidation(job, input);
  if (input.lookUpTrail === true) {
    return withAwsClients(job, 'cloudtrail:GetTrail', async (clients) => {
      const { readTrail } = await import('../aws/trail-lookup.js');
      const trail = await readTrail(clients, parseTrailRef(input.trail), (m) => job.debug(m));
      if (input.path === undefined && trail.bucket === undefined) throw new TrailkitError('not-found', `trail ${trail.arn}: it names no S3 bucket`, { hint: 'give a PATH, or --trail-arn with --bucket' });
      const request = digestValidationRequest({ ...input, trail: trail.arn, prefix: input.prefix ?? trail.prefix, ...(input.path === undefined ? { bucket: trail.bucket as string } : {}) }, job.now());
      return runValidation(job, request, clients);
    }, withoutRegion(job));
  }
  return runValidation(job, digestValidationRequest(input, job.now()));
}

/**
 * The region to call is named by each call here (the trail's home region, each source region):
 * a region setting would only send GetTrail by name elsewhere, so it is left to the environment.
 */
function withoutRegion(job: JobContext) {
  const { region: _region, ...rest } = job.aws;
  return rest;
}

async function runValidation(job: JobContext, request: DigestValidationRequest, clients?: AwsClients): Promise<DigestValidationReport> {
  const needsAws = request.source.kind === 's3' || request.publicKeyFiles.length === 0;
  const locations = clients !== undefined || !needsAws
    ? await collectDigestReports(request, clients, job)
    : await withAwsClients(job, 's3:GetObject', (c) => collectDigestReports(request, c, job), withoutRegion(job));
  const totals = sumTallies(locations.map((r) => r.tally));
  const warned = totals.insightFiles + totals.uncoveredLogs > 0;
  return {
    trailArn: request.trailArn,
    startMs: request.startMs,
    endMs: request.endMs,
    offline: request.source.kind === 'local',
    allowUnverifiable: request.allowUnverifiable,
    locations,
    totals,
    ok: isAllValid(totals, request.allowUnverifiable) && !(request.strict && warned),
  };
}

/** Digest and log folders found, once per account-region. */
function mergeLocations(...lists: readonly DigestLocation[][]): DigestLocation[] {
  const out = new Map<string, DigestLocation>();
  for (const list of lists) for (const l of list) out.set(`${l.prefix}|${l.orgId ?? ''}|${l.account}|${l.region}`, l);
  return [...out.values()];
}

/** The account-regions to validate: those found, narrowed to the accounts and regions asked for. */
function selectLocations(request: DigestValidationRequest, found: readonly DigestLocation[], warn: (message: string) => void): DigestLocation[] {
  const out: DigestLocation[] = [];
  for (const account of request.accounts) {
    const mine = found.filter((l) => l.account === account);
    if (request.regions === undefined) {
      if (mine.length === 0) warn(`no digest or log folders for account ${account} under ${request.prefix === '' ? '' : `${request.prefix}/`}AWSLogs/`);
      out.push(...mine);
      continue;
    }
    for (const region of request.regions) {
      const hits = mine.filter((l) => l.region === region);
      if (hits.length > 0) out.push(...hits);
      else out.push({ prefix: request.prefix, orgId: mine[0]?.orgId, account, region });
    }
  }
  return out.sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region) || (a.orgId ?? '').localeCompare(b.orgId ?? ''));
}

async function readPublicKeysFile(file: { region: string | undefined; path: string }): Promise<PublicKeyFile> {
  const source = `--public-keys ${file.region === undefined ? '' : `${file.region}=`}${file.path}`;
  let text: string;
  try {
    text = await readFile(file.path, 'utf8');
  } catch (error) {
    throw new TrailkitError('input', `${source}: ${describeFsError(error)}`);
  }
  return { region: file.region, source, keys: parsePublicKeysJson(text, source) };
}

/**
 * With key files, a region where no digest's key was among them: the files are for another region
 * (each region has its own key pair), a setup error rather than a wall of INVALID digests.
 */
function regionWithoutKeys(reports: readonly LocationReport[]): string | undefined {
  const keyFound = new Set(['valid', 'unverifiable', 'unsigned', 'signature-failed', 'previous-hash-mismatch', 'previous-signature-mismatch', 'bad-public-key', 'bad-link']);
  const byRegion = new Map<string, { missing: number; found: number }>();
  for (const report of reports) {
    const entry = byRegion.get(report.location.region) ?? { missing: 0, found: 0 };
    byRegion.set(report.location.region, entry);
    for (const e of [...report.events, ...report.otherTrailEvents]) {
      if (e.type !== 'digest') continue;
      if (e.status === 'public-key-not-found') entry.missing++;
      else if (keyFound.has(e.status)) entry.found++;
    }
  }
  for (const [region, { missing, found }] of byRegion) if (missing > 0 && found === 0) return region;
  return undefined;
}

/**
 * Finds the trail's digest folders (S3 or a local mirror), gets the public keys once digests are
 * found, and validates every account-region. Shared by validateDigests, verify's integrity check
 * and the index's verdicts.
 */
export async function collectDigestReports(request: DigestValidationRequest, clients: AwsClients | undefined, job: Pick<JobContext, 'warn' | 'now'> & { signal?: AbortSignal | undefined }): Promise<LocationReport[]> {
  const home = request.trail.region;
  let store: DigestStore;
  let found: DigestLocation[];
  if (request.source.kind === 's3') {
    if (clients === undefined) throw new TrailkitError('usage', 'validating digests in S3 needs AWS clients');
    const [{ S3DigestStore }, { discoverFolders }, { mapAwsError }] = await Promise.all([
      import('../sources/digest-s3-store.js'),
      import('../aws/s3-trail-listing.js'),
      import('../aws/errors.js'),
    ]);
    const s3 = await clients.s3(home);
    const bucket = request.source.bucket;
    // Log folders too: a region whose digest folder is gone still has log files to account for.
    const discover = { prefix: request.prefix, accounts: request.accounts, ...(request.regions === undefined ? {} : { regions: request.regions }) };
    try {
      const folders = await discoverFolders(s3, bucket, ['CloudTrail-Digest', 'CloudTrail', 'CloudTrail-Insight'], discover);
      const of = (kind: string) => folders.filter((f) => f.kind === kind).map((f) => f.location);
      found = mergeLocations(of('CloudTrail-Digest'), of('CloudTrail'), of('CloudTrail-Insight'));
    } catch (error) {
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${bucket}` });
    }
    store = new S3DigestStore(s3, bucket);
  } else {
    const root = request.source.path;
    let info;
    try {
      info = await stat(root);
    } catch (error) {
      throw new TrailkitError('input', `${root}: ${describeFsError(error)}`);
    }
    if (!info.isDirectory()) throw new TrailkitError('input', `${root}: not a folder (give the folder that mirrors the trail bucket)`);
    const { LocalDigestStore, discoverLocalLocations } = await import('../sources/digest-local-store.js');
    found = mergeLocations(...(await Promise.all((['CloudTrail-Digest', 'CloudTrail', 'CloudTrail-Insight'] as const).map((kind) => discoverLocalLocations(root, { prefix: request.prefix, kind })))));
    store = new LocalDigestStore(root);
  }
  const locations = selectLocations(request, found, (m) => job.warn(m));
  if (locations.length === 0) return [];
  let keys: PublicKeyProvider;
  if (request.publicKeyFiles.length > 0) {
    keys = fileKeyProvider(await Promise.all(request.publicKeyFiles.map(readPublicKeysFile)));
  } else {
    if (clients === undefined) throw new TrailkitError('usage', 'public keys come from ListPublicKeys unless key files are given');
    const { awsKeyProvider } = await import('../aws/cloudtrail-public-keys.js');
    keys = awsKeyProvider((region) => clients.cloudTrail(region), request.startMs, request.endMs);
  }
  // One limiter for every account-region: the concurrency bounds the whole run.
  // Every read goes through it, so an abort stops the run at the next read.
  const limiter = createLimiter(request.concurrency);
  const signal = job.signal;
  const limit: Limiter = signal === undefined ? limiter : {
    run: (task) => limiter.run(() => {
      throwIfAborted(signal);
      return task();
    }),
  };
  const options = {
    trail: { name: request.trail.name, homeRegion: home },
    startMs: request.startMs,
    endMs: request.endMs,
    keys,
    limit,
    nowMs: request.nowMs ?? job.now().getTime(),
    allowUnverifiable: request.allowUnverifiable,
  };
  const reports = await validateLocations(store, locations, options);
  throwIfAborted(signal);
  if (request.publicKeyFiles.length > 0) {
    const region = regionWithoutKeys(reports);
    if (region !== undefined) throw missingRegionKeys(region, 'none of the keys given with --public-keys verifies its digests (keys of another region, or outside their validity dates)');
  }
  return reports;
}
