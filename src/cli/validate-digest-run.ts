import { readFile, stat } from 'node:fs/promises';
import type { AwsClients } from '../aws/clients.js';
import { createLimiter, type DigestLocation, type DigestStore } from '../core/digest-chain.js';
import { isAllValid, sumTallies, validateLocations, type LocationReport } from '../core/digest-validation.js';
import { fileKeyProvider, missingRegionKeys, parsePublicKeysArgument, parsePublicKeysJson, type PublicKeyFile, type PublicKeyProvider } from '../core/digest-public-keys.js';
import { EXIT_NEGATIVE, EXIT_OK, TrailkitError, usageError } from '../core/errors.js';
import { parseTrailArn, type TrailArn } from '../core/s3-layout.js';
import { InvalidTimeError, parseTimeSpec } from '../core/time-spec.js';
import { digestJson, renderDigestText } from '../output/digest-report.js';
import { describeFsError } from '../sources/local-files.js';
import { parseTrailRef } from '../core/resource-refs.js';
import { awsConfigOf, withAws } from './aws-command.js';
import type { CliContext } from './context.js';
import type { ValidateDigestFlags } from './validate-digest.js';

const HOUR_MS = 3_600_000;

export interface ValidateDigestInput {
  readonly source: { kind: 's3'; bucket: string } | { kind: 'local'; path: string };
  readonly trailArn: string;
  readonly trail: TrailArn;
  readonly startMs: number;
  readonly endMs: number;
  readonly prefix: string;
  readonly accounts: readonly string[];
  /** undefined: every region found (--all-regions). */
  readonly regions: readonly string[] | undefined;
  /** `--public-keys [REGION=]FILE`, in the order given; none: ListPublicKeys in each region. */
  readonly publicKeyFiles: readonly { region: string | undefined; path: string }[];
  readonly allowUnverifiable: boolean;
  /** Warnings (Insights files, log files not yet covered) fail the run too. */
  readonly strict: boolean;
  readonly concurrency: number;
  readonly verbose: boolean;
  readonly json: boolean;
  /** The current time (epoch ms): digests due before it must exist. Default: Date.now(). */
  readonly nowMs?: number;
}

function parseTime(flag: string, value: string, now: Date): number {
  try {
    return parseTimeSpec(value, now).getTime();
  } catch (error) {
    if (error instanceof InvalidTimeError) throw usageError(`${flag}: ${error.message}`);
    throw error;
  }
}

/** Checks every flag before anything is read. */
export function resolveValidateDigestInput(ctx: CliContext, path: string | undefined, flags: ValidateDigestFlags, regionFlag: string | undefined): ValidateDigestInput {
  if ((path === undefined) === (flags.bucket === undefined)) {
    throw usageError('give either --bucket BUCKET or a PATH to a downloaded trail folder, not both or neither', 'trailkit validate-digest --bucket B --trail-arn ARN');
  }
  if (flags.trailArn === undefined) throw usageError('validate-digest: needs --trail-arn ARN or --trail NAME|ARN', 'e.g. trailkit validate-digest --trail main');
  const trail = parseTrailArn(flags.trailArn);
  if (trail === undefined) throw usageError(`--trail-arn: '${flags.trailArn}' is not a trail ARN`, 'expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME');
  const now = ctx.now();
  const endMs = parseTime('--end-time', flags.endTime ?? 'now', now);
  const startMs = flags.startTime === undefined ? endMs - 24 * HOUR_MS : parseTime('--start-time', flags.startTime, now);
  if (startMs > endMs) throw usageError('--start-time must not be after --end-time');
  const accounts = flags.accountId ?? [trail.account];
  for (const account of accounts) if (!/^\d{12}$/.test(account)) throw usageError(`--account-id: '${account}' is not a 12-digit account id`);
  if (flags.allRegions === true && regionFlag !== undefined) throw usageError('give --region or --all-regions, not both');
  const regions = flags.allRegions === true ? undefined : (regionFlag ?? trail.region).split(',').map((r) => r.trim()).filter((r) => r !== '');
  for (const region of regions ?? []) if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region)) throw usageError(`--region: '${region}' is not a region name`);
  const output = ctx.globals.output ?? 'text';
  if (flags.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(flags.bucket)) throw usageError(`--bucket: '${flags.bucket}' is not an S3 bucket name`);
  return {
    source: flags.bucket !== undefined ? { kind: 's3', bucket: flags.bucket } : { kind: 'local', path: path as string },
    trailArn: flags.trailArn,
    trail,
    startMs,
    endMs,
    prefix: (flags.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    accounts,
    regions,
    publicKeyFiles: (flags.publicKeys ?? []).map(parsePublicKeysArgument),
    allowUnverifiable: flags.allowUnverifiable === true,
    strict: flags.strict === true,
    concurrency: flags.concurrency,
    verbose: flags.verbose === true,
    json: output === 'json',
    nowMs: now.getTime(),
  };
}

/** Digest and log folders found, once per account-region. */
function mergeLocations(...lists: readonly DigestLocation[][]): DigestLocation[] {
  const out = new Map<string, DigestLocation>();
  for (const list of lists) for (const l of list) out.set(`${l.prefix}|${l.orgId ?? ''}|${l.account}|${l.region}`, l);
  return [...out.values()];
}

/** The account-regions to validate: those found, narrowed to the accounts and regions asked for. */
function selectLocations(input: ValidateDigestInput, found: readonly DigestLocation[], warn: (message: string) => void): DigestLocation[] {
  const out: DigestLocation[] = [];
  for (const account of input.accounts) {
    const mine = found.filter((l) => l.account === account);
    if (input.regions === undefined) {
      if (mine.length === 0) warn(`no digest or log folders for account ${account} under ${input.prefix === '' ? '' : `${input.prefix}/`}AWSLogs/`);
      out.push(...mine);
      continue;
    }
    for (const region of input.regions) {
      const hits = mine.filter((l) => l.region === region);
      if (hits.length > 0) out.push(...hits);
      else out.push({ prefix: input.prefix, orgId: mine[0]?.orgId, account, region });
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

export async function runValidateDigest(ctx: CliContext, path: string | undefined, flags: ValidateDigestFlags, regionFlag: string | undefined): Promise<number> {
  // --region names the source regions here (aws-cli's meaning), not the region to call: the calls
  // name their regions (the trail's home region, each source region), and GetTrail by name goes
  // to AWS_REGION or the profile's region.
  const config = { ...awsConfigOf(ctx), region: undefined };
  if (flags.trail !== undefined) {
    if (flags.bucket !== undefined) throw usageError('--trail and --bucket: cannot be used together', 'the trail names its bucket; drop --bucket (or give --trail-arn with --bucket)');
    const ref = parseTrailRef(flags.trail);
    return withAws(ctx, 'cloudtrail:GetTrail', async (clients) => {
      const { readTrail } = await import('../aws/trail-lookup.js');
      const trail = await readTrail(clients, ref, (m) => ctx.debug(m));
      if (path === undefined && trail.bucket === undefined) throw new TrailkitError('not-found', `trail ${trail.arn}: it names no S3 bucket`, { hint: 'give a PATH, or --trail-arn with --bucket' });
      const resolved: ValidateDigestFlags = { ...flags, trailArn: trail.arn, prefix: flags.prefix ?? trail.prefix, ...(path === undefined ? { bucket: trail.bucket as string } : {}) };
      return validate(ctx, resolveValidateDigestInput(ctx, path, resolved, regionFlag), clients);
    }, config);
  }
  const input = resolveValidateDigestInput(ctx, path, flags, regionFlag);
  const needsAws = input.source.kind === 's3' || input.publicKeyFiles.length === 0;
  return needsAws ? withAws(ctx, 's3:GetObject', (clients) => validate(ctx, input, clients), config) : validate(ctx, input, undefined);
}

/**
 * Finds the trail's digest folders (S3 or a local mirror), gets the public keys once digests are
 * found, and validates every account-region. Shared by validate-digest and verify's integrity check.
 */
export async function collectDigestReports(input: ValidateDigestInput, clients: AwsClients | undefined, warn: (message: string) => void): Promise<LocationReport[]> {
  const home = input.trail.region;
  let store: DigestStore;
  let found: DigestLocation[];
  if (input.source.kind === 's3') {
    const [{ S3DigestStore }, { discoverFolders }, { mapAwsError }] = await Promise.all([
      import('../sources/digest-s3-store.js'),
      import('../aws/s3-trail-listing.js'),
      import('../aws/errors.js'),
    ]);
    const s3 = await (clients as AwsClients).s3(home);
    const bucket = input.source.bucket;
    // Log folders too: a region whose digest folder is gone still has log files to account for.
    const discover = { prefix: input.prefix, accounts: input.accounts, ...(input.regions === undefined ? {} : { regions: input.regions }) };
    try {
      const folders = await discoverFolders(s3, bucket, ['CloudTrail-Digest', 'CloudTrail', 'CloudTrail-Insight'], discover);
      const of = (kind: string) => folders.filter((f) => f.kind === kind).map((f) => f.location);
      found = mergeLocations(of('CloudTrail-Digest'), of('CloudTrail'), of('CloudTrail-Insight'));
    } catch (error) {
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${bucket}` });
    }
    store = new S3DigestStore(s3, bucket);
  } else {
    const root = input.source.path;
    let info;
    try {
      info = await stat(root);
    } catch (error) {
      throw new TrailkitError('input', `${root}: ${describeFsError(error)}`);
    }
    if (!info.isDirectory()) throw new TrailkitError('input', `${root}: not a folder (give the folder that mirrors the trail bucket)`);
    const { LocalDigestStore, discoverLocalLocations } = await import('../sources/digest-local-store.js');
    found = mergeLocations(...(await Promise.all((['CloudTrail-Digest', 'CloudTrail', 'CloudTrail-Insight'] as const).map((kind) => discoverLocalLocations(root, { prefix: input.prefix, kind })))));
    store = new LocalDigestStore(root);
  }
  const locations = selectLocations(input, found, warn);
  if (locations.length === 0) return [];
  let keys: PublicKeyProvider;
  if (input.publicKeyFiles.length > 0) {
    keys = fileKeyProvider(await Promise.all(input.publicKeyFiles.map(readPublicKeysFile)));
  } else {
    const { awsKeyProvider } = await import('../aws/cloudtrail-public-keys.js');
    const aws = clients as AwsClients;
    keys = awsKeyProvider((region) => aws.cloudTrail(region), input.startMs, input.endMs);
  }
  // One limiter for every account-region: --concurrency bounds the whole run.
  const limit = createLimiter(input.concurrency);
  const options = {
    trail: { name: input.trail.name, homeRegion: home },
    startMs: input.startMs,
    endMs: input.endMs,
    keys,
    limit,
    nowMs: input.nowMs ?? Date.now(),
    allowUnverifiable: input.allowUnverifiable,
  };
  const reports = await validateLocations(store, locations, options);
  if (input.publicKeyFiles.length > 0) {
    const region = regionWithoutKeys(reports);
    if (region !== undefined) throw missingRegionKeys(region, 'none of the keys given with --public-keys verifies its digests (keys of another region, or outside their validity dates)');
  }
  return reports;
}

async function validate(ctx: CliContext, input: ValidateDigestInput, clients: AwsClients | undefined): Promise<number> {
  const started = performance.now();
  const reports = await collectDigestReports(input, clients, (m) => ctx.warn(m));
  const locations = reports.map((r) => r.location);

  const run = { trailArn: input.trailArn, startMs: input.startMs, endMs: input.endMs, allowUnverifiable: input.allowUnverifiable, offline: input.source.kind === 'local' };
  if (input.json) {
    await ctx.write(`${JSON.stringify(digestJson(run, reports))}\n`);
  } else {
    for (const piece of renderDigestText(run, reports, input.verbose)) {
      if (piece.stream === 'stdout') await ctx.write(piece.text);
      else ctx.stderr.write(piece.text);
    }
  }
  const totals = sumTallies(reports.map((r) => r.tally));
  ctx.debug(`validate-digest: ${locations.length} account-regions, ${totals.validDigests + totals.invalidDigests + totals.unverifiableDigests} digests, ${totals.validLogs + totals.invalidLogs} log files in ${Math.round(performance.now() - started)} ms`);
  const warned = totals.insightFiles + totals.uncoveredLogs > 0;
  return isAllValid(totals, input.allowUnverifiable) && !(input.strict && warned) ? EXIT_OK : EXIT_NEGATIVE;
}
