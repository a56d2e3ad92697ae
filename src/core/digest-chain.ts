/**
 * The digest chain walk of `trailkit validate-digest` (SPEC section 6): start at the newest digest of
 * an account-region in range, follow `previousDigestS3Object` to older digests, and give every digest
 * and log file a verdict. It reaches at least the verdicts of `aws cloudtrail validate-logs` on the
 * same objects, and adds: the previous digest's hash and signature as recorded by its successor,
 * runs of deleted digests, digests outside the chain, log files that no digest lists, offline
 * validation (a successor carries its predecessor's signature) and the signature algorithm.
 *
 * I/O goes through `DigestStore` (S3 or a local folder); this module decides.
 */
import {
  digestStringToSign,
  displayTime,
  parseDigest,
  sha256Hex,
  SIGNATURE_ALGORITHM,
  type DigestDocument,
} from './digest.js';
import { gunzipSingleMember } from './digest-gzip.js';
import { verifyRsaSha256, type PublicKeySet } from './digest-public-keys.js';
import { parseDigestFileName, parseLogFileName } from './s3-layout.js';

/** One account-region folder of a trail. */
export interface DigestLocation {
  readonly prefix: string;
  readonly orgId: string | undefined;
  readonly account: string;
  readonly region: string;
}

export interface DigestSignatureInfo {
  readonly signature: string;
  /** The `signature-algorithm` metadata; undefined when the object has none. */
  readonly algorithm: string | undefined;
  /** `metadata`: the S3 object's metadata; `sidecar`: the `.meta.json` kept beside a download. */
  readonly source: 'metadata' | 'sidecar';
}

export type FetchedDigest =
  | { readonly found: false }
  | {
      readonly found: true;
      /** The object's bytes as stored (gzip). */
      readonly bytes: Uint8Array;
      readonly signature: DigestSignatureInfo | undefined;
      /** The bucket the sidecar names, offline. */
      readonly sidecarBucket?: string;
      /** A sidecar that exists but cannot be used. */
      readonly sidecarProblem?: string;
    };

export type LogCheck =
  | { readonly kind: 'hashed'; readonly sha256: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'invalid-format'; readonly problem: string };

/** Where digests and log files are read from. Errors other than "not found" are thrown. */
export interface DigestStore {
  /** Offline: a signature may come from the successor digest; a missing one is a warning. */
  readonly offline: boolean;
  /** The bucket when it is known up front (S3), else undefined (a local folder). */
  readonly bucket: string | undefined;
  /** Keys in the location's CloudTrail-Digest day folders that can hold [fromMs, toMs]. */
  listDigestKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]>;
  /** Keys in the location's CloudTrail (log) day folders that can hold [fromMs, toMs]. */
  listLogKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]>;
  fetchDigest(bucket: string, key: string): Promise<FetchedDigest>;
  hashLog(bucket: string, key: string): Promise<LogCheck>;
}

export type DigestStatus =
  | 'valid'
  | 'unverifiable'
  | 'not-found'
  | 'invalid-format'
  | 'signature-failed'
  | 'moved'
  | 'public-key-not-found'
  | 'bad-public-key'
  | 'unsupported-algorithm'
  | 'previous-hash-mismatch'
  | 'previous-signature-mismatch'
  | 'not-in-chain'
  | 'deleted-between'
  /** Offline, not the newest, and no signature anywhere (no sidecar, no successor carrying it). */
  | 'unsigned'
  /** previousDigestS3Object names itself, a newer digest, or one the walk has already checked. */
  | 'bad-link'
  /** The newest digests are gone: none after the newest one found, though they are due. */
  | 'missing-after';

/** `unverifiable`: the hash matches, but only the newest digest, whose signature is unverifiable, lists it. */
export type LogStatus = 'valid' | 'unverifiable' | 'hash-mismatch' | 'not-found' | 'invalid-format' | 'unreferenced';

export interface LogVerdict {
  readonly type: 'log';
  readonly bucket: string;
  readonly key: string;
  readonly status: LogStatus;
  /** The third field of the text line: `valid` or `INVALID: ...`. */
  readonly verdict: string;
  readonly detail?: string;
}

export interface DigestVerdict {
  readonly type: 'digest';
  readonly bucket: string;
  /** The digest's key; for `deleted-between` and `missing-after`, undefined (the deleted digests' keys are unknown). */
  readonly key: string | undefined;
  /** What the text line shows in place of `s3://bucket/key`. */
  readonly location: string;
  readonly status: DigestStatus;
  readonly verdict: string;
  readonly detail?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  /** For `deleted-between` and `missing-after`: how many digests are missing. */
  readonly count?: number;
  readonly logFiles: LogVerdict[];
}

export interface GapEvent {
  readonly type: 'gap';
  readonly fromMs: number;
  readonly toMs: number;
}

export type ChainEvent = DigestVerdict | GapEvent;

export interface Tally {
  validDigests: number;
  invalidDigests: number;
  unverifiableDigests: number;
  validLogs: number;
  invalidLogs: number;
  /** Log files whose hash matches the newest digest, whose signature is unverifiable (a warning). */
  unverifiableLogs: number;
  unreferencedLogs: number;
}

export interface LocationReport {
  readonly location: DigestLocation;
  readonly bucket: string | undefined;
  readonly events: ChainEvent[];
  readonly unreferenced: LogVerdict[];
  readonly foundStartMs: number | undefined;
  readonly foundEndMs: number | undefined;
  readonly tally: Tally;
  /** Backfill digests found and not validated. */
  readonly backfillSkipped: number;
  /**
   * No digest file in the range: `unreferenced` then holds every log file delivered in the range
   * (nothing vouches for them), and the text output says so on one line.
   */
  readonly noDigests: boolean;
}

export interface TrailIdentity {
  readonly name: string;
  readonly homeRegion: string;
}

export interface ValidateOptions {
  readonly trail: TrailIdentity;
  readonly startMs: number;
  readonly endMs: number;
  readonly publicKeys: PublicKeySet;
  /** Downloads and hashes at once, shared by every account-region of the run. */
  readonly limit: Limiter;
  /** The current time (epoch ms): digests due before it must exist. Default: Date.now(). */
  readonly nowMs?: number;
  /** How many older digests are fetched ahead of the walk (default 4); bytes are dropped once checked. */
  readonly prefetch?: number;
}

/** Runs at most `n` tasks at once, first come first served. */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(n: number): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next !== undefined) next();
  };
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          active++;
          task().then(resolve, reject).finally(release);
        };
        if (active < n) start();
        else queue.push(start);
      });
    },
  };
}

const HOUR_MS = 3_600_000;

export const DIGEST_MESSAGES = {
  valid: 'valid',
  notFound: 'INVALID: not found',
  invalidFormat: 'INVALID: invalid format',
  signatureFailed: 'INVALID: signature verification failed',
  moved: 'INVALID: has been moved from its original location',
  hashMismatch: "INVALID: hash value doesn't match",
  unreferenced: 'INVALID: not referenced by any digest',
  notInChain: 'INVALID: not in the digest chain (no digest links to it)',
  unverifiable: 'WARNING: signature unverifiable (no signature metadata)',
  cannotVerify: 'INVALID: signature cannot be verified (no signature metadata, and no newer digest carries its signature)',
  badLink: 'INVALID: previousDigestS3Object does not link to an older digest',
  logUnverifiable: 'WARNING: hash matches, but the digest that lists it is unverifiable',
} as const;

const s3Url = (bucket: string, key: string) => `s3://${bucket}/${key}`;
const lastSegment = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The end time in a digest key's name (epoch ms), or undefined when the name is not a digest's. */
export function digestKeyTime(key: string): number | undefined {
  return parseDigestFileName(lastSegment(key))?.endTime;
}

/** Whether a key is a digest of this trail in this account-region (what aws-cli's key regex checks). */
export function isTrailDigestKey(key: string, location: DigestLocation, trail: TrailIdentity): boolean {
  const name = parseDigestFileName(lastSegment(key));
  return name !== undefined && name.account === location.account && name.region === location.region && name.trailName === trail.name && name.homeRegion === trail.homeRegion;
}

const isBackfill = (key: string) => key.endsWith('_backfill.json.gz');

interface Evaluated {
  verdict: DigestVerdict;
  digest: DigestDocument | undefined;
  signature: string | undefined;
  rawSha256: string | undefined;
  /**
   * Whether the walk follows this digest's previousDigestS3Object: when its signature verified, or
   * it cannot be verified at all (its successor's previousDigestSignature may still prove the
   * older digests). Not after a failed check: then the walk goes on with the next older digest listed.
   */
  followable: boolean;
}

interface Successor {
  digest: DigestDocument;
  bucket: string;
  key: string;
}

function digestVerdict(bucket: string, key: string, status: DigestStatus, verdict: string, extra: Partial<DigestVerdict> = {}): DigestVerdict {
  return { type: 'digest', bucket, key, location: s3Url(bucket, key), status, verdict, logFiles: [], ...extra };
}

/**
 * Checks one digest. `newest`: the first digest of the account-region's walk, the only one whose
 * signature may be missing offline (the successor of every other digest carries its signature).
 */
function evaluateDigest(fetched: Extract<FetchedDigest, { found: true }>, bucket: string, key: string, successor: Successor | undefined, offline: boolean, newest: boolean, options: ValidateOptions): Evaluated {
  const fail = (status: DigestStatus, verdict: string, detail?: string, digest?: DigestDocument, rawSha256?: string): Evaluated => ({
    verdict: digestVerdict(bucket, key, status, verdict, {
      ...(detail === undefined ? {} : { detail }),
      ...(digest === undefined ? {} : { startTime: digest.digestStartTime, endTime: digest.digestEndTime }),
    }),
    digest,
    signature: undefined,
    rawSha256,
    followable: false,
  });
  const gunzipped = gunzipSingleMember(fetched.bytes);
  if (!gunzipped.ok) return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, gunzipped.problem);
  const parsed = parseDigest(gunzipped.data);
  if (!parsed.ok) return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, parsed.problem);
  const digest = parsed.digest;
  const rawSha256 = sha256Hex(gunzipped.data);
  if (digest.digestS3Bucket !== bucket || digest.digestS3Object !== key) {
    return fail('moved', DIGEST_MESSAGES.moved, `it names s3://${digest.digestS3Bucket}/${digest.digestS3Object}`, digest, rawSha256);
  }

  // Where the signature comes from: the object's metadata (S3), the sidecar, or offline the
  // successor's previousDigestSignature.
  let signature = fetched.signature?.signature;
  let algorithm = fetched.signature?.algorithm;
  let fromSuccessor = false;
  if (signature === undefined && offline && successor?.digest.previousDigestSignature != null) {
    signature = successor.digest.previousDigestSignature;
    algorithm = digest.digestSignatureAlgorithm ?? successor.digest.digestSignatureAlgorithm;
    fromSuccessor = true;
  }
  if (signature === undefined && !offline) return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, 'the object has no signature metadata', digest, rawSha256);
  if (signature !== undefined && algorithm === undefined && !fromSuccessor) return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, 'the object has no signature-algorithm metadata', digest, rawSha256);
  for (const named of [algorithm, digest.digestSignatureAlgorithm]) {
    if (named !== undefined && named !== SIGNATURE_ALGORITHM) {
      return fail('unsupported-algorithm', `INVALID: unsupported signature algorithm ${named} (expected ${SIGNATURE_ALGORITHM})`, undefined, digest, rawSha256);
    }
  }
  const fingerprint = digest.digestPublicKeyFingerprint;
  const publicKey = options.publicKeys.get(fingerprint.toLowerCase());
  if (publicKey === undefined) {
    return fail('public-key-not-found', `INVALID: public key not found in region ${options.trail.homeRegion} for fingerprint ${fingerprint}`, undefined, digest, rawSha256);
  }
  if ('problem' in publicKey.key) return fail('bad-public-key', `INVALID: Unable to load PKCS #1 key with fingerprint ${fingerprint}`, publicKey.key.problem, digest, rawSha256);

  const times = { startTime: digest.digestStartTime, endTime: digest.digestEndTime };
  if (signature === undefined) {
    const detail = fetched.sidecarProblem === undefined ? `no ${lastSegment(key)}.meta.json beside it (trailkit download keeps one)` : `its .meta.json is unusable: ${fetched.sidecarProblem}`;
    if (newest) return { verdict: digestVerdict(bucket, key, 'unverifiable', DIGEST_MESSAGES.unverifiable, { ...times, detail }), digest, signature: undefined, rawSha256, followable: true };
    // Only the newest digest may lack a signature: every other one is signed inside its successor.
    // One that is not (its successor does not link to it, or is missing) proves nothing: a forger
    // who drops the sidecars and the previous* links must not get "unverifiable" warnings only.
    const why = successor === undefined ? 'no newer digest links to it' : `the previousDigestSignature of ${s3Url(successor.bucket, successor.key)} is null`;
    return { verdict: digestVerdict(bucket, key, 'unsigned', DIGEST_MESSAGES.cannotVerify, { ...times, detail: `${detail}, and ${why}` }), digest, signature: undefined, rawSha256, followable: true };
  }
  if (!verifyRsaSha256(publicKey.key, digestStringToSign(digest, rawSha256), signature)) {
    const detail = fromSuccessor ? `against the previousDigestSignature of s3://${successor?.bucket}/${successor?.key}` : undefined;
    return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, detail, digest, rawSha256);
  }
  if (successor !== undefined) {
    const recordedHash = successor.digest.previousDigestHashValue;
    if (recordedHash !== null && recordedHash.toLowerCase() !== rawSha256) {
      return fail('previous-hash-mismatch', `INVALID: hash value doesn't match the previousDigestHashValue of ${s3Url(successor.bucket, successor.key)}`, undefined, digest, rawSha256);
    }
    const recordedSignature = successor.digest.previousDigestSignature;
    if (recordedSignature !== null && recordedSignature.toLowerCase() !== signature.toLowerCase()) {
      return fail('previous-signature-mismatch', `INVALID: signature doesn't match the previousDigestSignature of ${s3Url(successor.bucket, successor.key)}`, undefined, digest, rawSha256);
    }
  }
  return { verdict: digestVerdict(bucket, key, 'valid', DIGEST_MESSAGES.valid, times), digest, signature, rawSha256, followable: true };
}

/** `unverifiable`: the digest listing the log file is the newest one, and its signature is unverifiable. */
function logVerdict(bucket: string, key: string, expected: string, check: LogCheck, unverifiable: boolean): LogVerdict {
  const base = { type: 'log' as const, bucket, key };
  switch (check.kind) {
    case 'not-found':
      return { ...base, status: 'not-found', verdict: DIGEST_MESSAGES.notFound };
    case 'invalid-format':
      return { ...base, status: 'invalid-format', verdict: DIGEST_MESSAGES.invalidFormat, detail: check.problem };
    case 'hashed':
      if (check.sha256 !== expected) return { ...base, status: 'hash-mismatch', verdict: DIGEST_MESSAGES.hashMismatch, detail: `sha256 ${check.sha256}, digest says ${expected}` };
      return unverifiable
        ? { ...base, status: 'unverifiable', verdict: DIGEST_MESSAGES.logUnverifiable, detail: 'the newest digest lists it, and that digest has no signature to verify' }
        : { ...base, status: 'valid', verdict: DIGEST_MESSAGES.valid };
  }
}

const MINUTE_MS = 60_000;
/** How late a digest may be delivered after its hour before it counts as missing. */
export const DIGEST_GRACE_MS = 30 * MINUTE_MS;
const DEFAULT_PREFETCH = 4;
/** Account-regions validated at once; each holds at most `prefetch` + 1 digests' bytes. */
export const LOCATION_PARALLELISM = 4;

/**
 * The first error of a run. Once set, queued downloads and hashes of every account-region are
 * skipped, so the one-line error is not followed by minutes of work nobody will see.
 */
interface RunControl {
  failure: { error: unknown } | undefined;
}

/** A window of log delivery times in which every log file must be listed by some digest. */
interface CoveredWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly detail?: string;
}

/** Validates one account-region of a trail. */
export function validateLocation(store: DigestStore, location: DigestLocation, options: ValidateOptions): Promise<LocationReport> {
  return walkLocation(store, location, options, { failure: undefined });
}

/**
 * Validates several account-regions: a few at a time (memory stays bounded however many accounts
 * an organization has), with one download/hash limiter for all. The first error ends the run.
 */
export function validateLocations(store: DigestStore, locations: readonly DigestLocation[], options: ValidateOptions, parallel = LOCATION_PARALLELISM): Promise<LocationReport[]> {
  const control: RunControl = { failure: undefined };
  const gate = createLimiter(Math.max(1, parallel));
  return Promise.all(locations.map((location) => gate.run(() => (control.failure === undefined ? walkLocation(store, location, options, control) : Promise.reject(control.failure.error)))));
}

async function walkLocation(store: DigestStore, location: DigestLocation, options: ValidateOptions, control: RunControl): Promise<LocationReport> {
  try {
    return await walk(store, location, options, control);
  } catch (error) {
    control.failure ??= { error };
    throw error;
  }
}

async function walk(store: DigestStore, location: DigestLocation, options: ValidateOptions, control: RunControl): Promise<LocationReport> {
  const { startMs, endMs, trail, limit } = options;
  const nowMs = options.nowMs ?? Date.now();
  const window = Math.max(0, options.prefetch ?? DEFAULT_PREFETCH);
  const stopIfFailed = () => {
    if (control.failure !== undefined) throw control.failure.error;
  };
  /** A download or hash in the shared limiter; skipped once the run has failed. */
  const queued = <T>(task: () => Promise<T>): Promise<T> => limit.run(() => (control.failure === undefined ? task() : Promise.reject(control.failure.error)));

  // As aws-cli: digests named from the start to an hour after the end (logs delivered late).
  const listedAll = (await store.listDigestKeys(location, startMs, endMs + HOUR_MS)).filter((key) => {
    if (!isTrailDigestKey(key, location, trail)) return false;
    const at = digestKeyTime(key) as number;
    return at >= Math.floor(startMs / 1000) * 1000 && at <= endMs + HOUR_MS;
  });
  const backfillSkipped = listedAll.filter(isBackfill).length;
  const listed = listedAll.filter((k) => !isBackfill(k)).sort((a, b) => (digestKeyTime(a) as number) - (digestKeyTime(b) as number) || (a < b ? -1 : a > b ? 1 : 0));

  if (listed.length === 0) {
    // Nothing vouches for the log files of the range: say so rather than "all valid".
    const unreferenced = await findUnreferencedLogs(store, location, store.bucket ?? '', [{ startMs, endMs, detail: 'no digest file of the range lists it: there is none' }], new Set(), true);
    const tally = emptyTally();
    tally.unreferencedLogs = unreferenced.length;
    return { location, bucket: store.bucket, events: [], unreferenced, foundStartMs: undefined, foundEndMs: undefined, tally, backfillSkipped, noDigests: true };
  }

  // Digests fetched ahead of the walk: at most `window` of them, the next older ones listed. Each
  // has a handler from the start (an error surfaces where the walk awaits it, or never when the
  // walk does not need that digest), and leaves the cache when the walk takes it.
  const cache = new Map<string, Promise<FetchedDigest>>();
  const idOf = (bucket: string, key: string) => (store.bucket === undefined ? key : `${bucket}\u0000${key}`);
  const take = (bucket: string, key: string): Promise<FetchedDigest> => {
    const id = idOf(bucket, key);
    const hit = cache.get(id);
    cache.delete(id);
    return hit ?? queued(() => store.fetchDigest(bucket, key));
  };

  // The bucket the listed digests are in: known for S3; offline, what the digests themselves say
  // (read one at a time from the newest, as the walk will).
  let bucket = store.bucket;
  if (bucket === undefined) {
    for (let i = listed.length - 1; i >= 0 && bucket === undefined; i--) {
      const key = listed[i] as string;
      const f = await queued(() => store.fetchDigest('', key));
      if (i === listed.length - 1) cache.set(idOf('', key), Promise.resolve(f));
      if (!f.found) continue;
      if (f.sidecarBucket !== undefined) {
        bucket = f.sidecarBucket;
        break;
      }
      const g = gunzipSingleMember(f.bytes);
      const p = g.ok ? parseDigest(g.data) : undefined;
      if (p?.ok === true) bucket = p.digest.digestS3Bucket;
    }
    bucket ??= '';
  }
  const home = bucket;

  const events: ChainEvent[] = [];
  const visited = new Set<string>();
  const referenced = new Set<string>();
  const covered: CoveredWindow[] = [];
  const logTasks: Promise<void>[] = [];
  let foundStartMs: number | undefined;
  let foundEndMs: number | undefined;

  const pending = [...listed];
  const popOlderThan = (ms: number): string | undefined => {
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (!visited.has(next) && (digestKeyTime(next) as number) < ms) return next;
    }
    return undefined;
  };
  /** Fetches ahead the next `window` listed digests older than `belowMs`; forgets the others. */
  const prefetch = (belowMs: number) => {
    const wanted = new Map<string, string>();
    for (let i = pending.length - 1; i >= 0 && wanted.size < window; i--) {
      const key = pending[i] as string;
      if (!visited.has(key) && (digestKeyTime(key) as number) < belowMs) wanted.set(idOf(home, key), key);
    }
    for (const id of [...cache.keys()]) if (!wanted.has(id)) cache.delete(id);
    for (const [id, key] of wanted) {
      if (cache.has(id)) continue;
      const p = queued(() => store.fetchDigest(home, key));
      p.catch(() => undefined);
      cache.set(id, p);
    }
  };

  let key = pending.pop();
  let currentBucket = home;
  let lastStart = key === undefined ? -Infinity : (digestKeyTime(key) as number);
  let successor: Successor | undefined;
  let newest = true;
  // A linked digest that was not found: the next one found shows how many more are gone.
  let missing: { key: string; endMs: number; periodMs: number } | undefined;

  while (key !== undefined && startMs <= lastStart) {
    stopIfFailed();
    const keyTime = digestKeyTime(key) ?? successor?.digest.startMs ?? lastStart;
    visited.add(key);
    const fetching = take(currentBucket, key);
    prefetch(keyTime);
    const fetched = await fetching;
    if (!fetched.found) {
      events.push(digestVerdict(currentBucket, key, 'not-found', DIGEST_MESSAGES.notFound));
      missing = { key, endMs: keyTime, periodMs: successor === undefined ? HOUR_MS : successor.digest.endMs - successor.digest.startMs || HOUR_MS };
      successor = undefined;
      newest = false;
      key = popOlderThan(keyTime);
      currentBucket = home;
      continue;
    }
    const evaluated = evaluateDigest(fetched, currentBucket, key, successor, store.offline, newest, options);
    newest = false;
    const digest = evaluated.digest;
    if (missing !== undefined && digest !== undefined) {
      // CloudTrail's digests are contiguous: each starts where its predecessor ends. The run of
      // deleted digests spans from this digest's end to the missing one's end.
      const more = Math.round((missing.endMs - digest.endMs) / missing.periodMs) - 1;
      if (more >= 1) {
        const after = s3Url(currentBucket, key);
        const before = s3Url(home, missing.key);
        events.push({
          type: 'digest',
          bucket: currentBucket,
          key: undefined,
          location: `${more} digest file${more === 1 ? '' : 's'} between ${after} and ${before}`,
          status: 'deleted-between',
          verdict: DIGEST_MESSAGES.notFound,
          detail: `no digest covers ${digest.digestEndTime} to about ${displayTime(missing.endMs - missing.periodMs)}`,
          count: more,
          logFiles: [],
        });
      }
    }
    missing = undefined;
    if (digest !== undefined) for (const log of digest.logFiles) referenced.add(log.s3Object);
    let verdict = evaluated.verdict;
    let followable = evaluated.followable && digest !== undefined;
    if (followable && digest !== undefined && digest.previousDigestS3Object !== null && digest.previousDigestS3Bucket !== null) {
      const problem = linkProblem(digest.previousDigestS3Bucket, digest.previousDigestS3Object, key, keyTime, visited);
      if (problem !== undefined) {
        verdict = digestVerdict(currentBucket, key, 'bad-link', DIGEST_MESSAGES.badLink, { detail: problem, startTime: digest.digestStartTime, endTime: digest.digestEndTime });
        followable = false;
      }
    }
    events.push(verdict);
    if (!followable || digest === undefined) {
      successor = undefined;
      key = popOlderThan(keyTime);
      currentBucket = home;
      continue;
    }
    // Log files count only under a digest whose signature verified, or under the newest one
    // when its signature is unverifiable (a warning, and so are they).
    if (verdict.status === 'valid' || verdict.status === 'unverifiable') {
      covered.push({ startMs: digest.startMs, endMs: digest.endMs });
      const unverifiable = verdict.status === 'unverifiable';
      for (const log of digest.logFiles) {
        const slot = verdict.logFiles.length;
        verdict.logFiles.push(undefined as unknown as LogVerdict);
        const logs = verdict.logFiles;
        logTasks.push(
          queued(() => store.hashLog(log.s3Bucket, log.s3Object)).then(
            (check) => {
              logs[slot] = logVerdict(log.s3Bucket, log.s3Object, log.hashValue, check, unverifiable);
            },
            (error: unknown) => {
              control.failure ??= { error };
            },
          ),
        );
      }
    }
    if (verdict.status === 'valid') {
      const s = Math.max(digest.startMs, startMs);
      const e = Math.min(digest.endMs, endMs);
      if (foundStartMs === undefined || s < foundStartMs) foundStartMs = s;
      if (foundEndMs === undefined || e > foundEndMs) foundEndMs = e;
    }
    lastStart = digest.startMs;
    if (digest.previousDigestS3Bucket === null || digest.previousDigestS3Object === null) {
      successor = undefined;
      const next = popOlderThan(keyTime);
      if (next !== undefined) events.push({ type: 'gap', fromMs: digestKeyTime(next) as number, toMs: digest.startMs });
      key = next;
      currentBucket = home;
    } else {
      successor = { digest, bucket: currentBucket, key };
      key = digest.previousDigestS3Object;
      currentBucket = digest.previousDigestS3Bucket;
    }
  }
  cache.clear();
  // Listed digests the walk never reached: nothing links to them.
  for (const k of listed) {
    if (!visited.has(k)) events.push(digestVerdict(home, k, 'not-in-chain', DIGEST_MESSAGES.notInChain));
  }
  await Promise.all(logTasks);
  stopIfFailed();

  // CloudTrail delivers a digest every hour, with or without log files, so the newest digests
  // cannot simply vanish: when the newest one found ends well before the range does (an hour and
  // a grace, for a digest still on its way), the later ones were deleted, and the log files
  // delivered after it are vouched for by nothing.
  const newestKey = listed[listed.length - 1] as string;
  const newestMs = digestKeyTime(newestKey) as number;
  if (newestMs < Math.min(endMs, nowMs) - HOUR_MS - DIGEST_GRACE_MS) {
    let count = 0;
    while (newestMs + count * HOUR_MS < endMs && newestMs + (count + 1) * HOUR_MS + DIGEST_GRACE_MS <= nowMs) count++;
    const untilMs = newestMs + count * HOUR_MS;
    events.unshift({
      type: 'digest',
      bucket: home,
      key: undefined,
      location: `${count} digest file${count === 1 ? '' : 's'} after ${s3Url(home, newestKey)}`,
      status: 'missing-after',
      verdict: DIGEST_MESSAGES.notFound,
      detail: `CloudTrail delivers a digest file every hour, even without log files; none covers ${displayTime(newestMs)} to ${displayTime(untilMs)} (deleted, or logging or log file validation was off)`,
      startTime: displayTime(newestMs),
      endTime: displayTime(untilMs),
      count,
      logFiles: [],
    });
    covered.push({ startMs: newestMs, endMs: Math.min(endMs, untilMs), detail: `delivered after the newest digest file, ${s3Url(home, newestKey)}` });
  }

  const unreferenced = await findUnreferencedLogs(store, location, home, covered, referenced, false);
  const tally: Tally = emptyTally();
  tally.unreferencedLogs = unreferenced.length;
  for (const event of events) {
    if (event.type !== 'digest') continue;
    if (event.status === 'valid') tally.validDigests++;
    else if (event.status === 'unverifiable') tally.unverifiableDigests++;
    else tally.invalidDigests += event.count ?? 1;
    for (const log of event.logFiles) {
      if (log.status === 'valid') tally.validLogs++;
      else if (log.status === 'unverifiable') tally.unverifiableLogs++;
      else tally.invalidLogs++;
    }
  }
  return { location, bucket: home, events, unreferenced, foundStartMs, foundEndMs, tally, backfillSkipped, noDigests: false };
}

/**
 * Why the walk must not follow a digest's previousDigestS3Object: it names the digest itself, a
 * digest that is not strictly older, or one already checked (a loop). Undefined when it is fine.
 */
function linkProblem(linkBucket: string, linkKey: string, key: string, keyTime: number, visited: ReadonlySet<string>): string | undefined {
  const target = s3Url(linkBucket, linkKey);
  if (linkKey === key) return `it links to itself (${target})`;
  const linkTime = digestKeyTime(linkKey);
  if (linkTime !== undefined && linkTime >= keyTime) return `it links to ${target}, which is not older than it`;
  if (visited.has(linkKey)) return `it links to ${target}, which the walk has already checked (a loop)`;
  return undefined;
}

function emptyTally(): Tally {
  return { validDigests: 0, invalidDigests: 0, unverifiableDigests: 0, validLogs: 0, invalidLogs: 0, unverifiableLogs: 0, unreferencedLogs: 0 };
}

/**
 * Log files in the location's folders, delivered inside one of the windows (the periods of the
 * digests that were read, and the hours of missing newest digests), that no digest lists: injected.
 * A log file's name carries its delivery minute only, so the minutes in which a window starts or
 * ends are not judged, unless `wholeMinutes` (no digest at all: every file of the range counts).
 */
async function findUnreferencedLogs(store: DigestStore, location: DigestLocation, bucket: string, windows: readonly CoveredWindow[], referenced: ReadonlySet<string>, wholeMinutes: boolean): Promise<LogVerdict[]> {
  if (windows.length === 0) return [];
  const from = Math.min(...windows.map((w) => w.startMs));
  const to = Math.max(...windows.map((w) => w.endMs));
  const out: LogVerdict[] = [];
  for (const key of await store.listLogKeys(location, from, to)) {
    if (referenced.has(key)) continue;
    const name = parseLogFileName(lastSegment(key));
    if (name === undefined || name.account !== location.account || name.region !== location.region) continue;
    const m = name.deliveredAt;
    const inside = windows.find((w) => (wholeMinutes
      ? m >= Math.floor(w.startMs / MINUTE_MS) * MINUTE_MS && m <= w.endMs
      : m >= Math.floor(w.startMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS && m + MINUTE_MS <= w.endMs));
    if (inside !== undefined) out.push({ type: 'log', bucket, key, status: 'unreferenced', verdict: DIGEST_MESSAGES.unreferenced, ...(inside.detail === undefined ? {} : { detail: inside.detail }) });
  }
  return out;
}

/** Sums tallies of several locations. */
export function sumTallies(tallies: readonly Tally[]): Tally {
  const total = emptyTally();
  for (const t of tallies) for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
  return total;
}

export function isAllValid(tally: Tally): boolean {
  return tally.invalidDigests === 0 && tally.invalidLogs === 0 && tally.unreferencedLogs === 0;
}
