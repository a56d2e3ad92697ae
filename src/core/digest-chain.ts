/**
 * The digest chain walk of `trailkit validate-digest` (SPEC section 6): a chain is walked from its
 * newest digest (or from the first digest after the range) along `previousDigestS3Object`, with at
 * least the verdicts of `aws cloudtrail validate-logs` (the previous digest's hash and signature as
 * its successor recorded them, runs of deleted digests, digests outside the chain, offline
 * signatures carried by successors, key validity per region). digest-validation.ts runs the walks of
 * an account-region and judges the files in scope.
 *
 * I/O goes through `DigestStore` (S3 or a local folder) and `PublicKeyProvider`; this module decides.
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
import { choosePublicKey, verifyRsaSha256, type PublicKeyProvider } from './digest-public-keys.js';
import { parseDigestFileName, parseLogFileName, type TrailFileKind } from './s3-layout.js';
import type { FileWindow } from './trail-files.js';

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
      /** The object's bytes as stored (gzip); empty when `tooLarge`. */
      readonly bytes: Uint8Array;
      /** The object is larger than a digest can be: why it was not read. */
      readonly tooLarge?: string;
      readonly signature: DigestSignatureInfo | undefined;
      /** Every user metadata entry (`x-amz-meta-*`), from S3 or from the sidecar. */
      readonly metadata?: Readonly<Record<string, string>>;
      /** The bucket the sidecar names, offline. */
      readonly sidecarBucket?: string;
      /** A sidecar that exists but cannot be used. */
      readonly sidecarProblem?: string;
    };

export type LogCheck =
  | { readonly kind: 'hashed'; readonly sha256: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'invalid-format'; readonly problem: string; readonly reason?: 'truncated' | 'trailing-data' | 'corrupt' };

/** A file found under a region folder, with the kind of folder it is in. */
export interface ScopedFile {
  readonly key: string;
  readonly kind: TrailFileKind;
  /** The key below the region folder (`YYYY/MM/DD/NAME` when well placed). */
  readonly relative: string;
  /** Its size in bytes, when the listing says. */
  readonly size?: number;
}

/** Where digests and log files are read from. Errors other than "not found" are thrown. */
export interface DigestStore {
  /** Offline: a signature may come from the successor digest, or be missing. */
  readonly offline: boolean;
  /** The bucket when it is known up front (S3), else undefined (a local folder). */
  readonly bucket: string | undefined;
  /** Every object in the location's CloudTrail-Digest day folders of [fromMs, toMs] (any name; not sidecars). */
  listDigestFolder(location: DigestLocation, fromMs: number, toMs: number): Promise<ScopedFile[]>;
  /**
   * The first object after the day folder `afterDay` (`YYYY/MM/DD`) of the location's digest folder
   * whose name `accept` takes, searching forward in key order, a bounded number of keys; undefined
   * when there is none.
   */
  findDigestAfter(location: DigestLocation, afterDay: string, accept: (name: string) => boolean): Promise<string | undefined>;
  /** The files `grep`/`tail`/`download` read for `window` in the location's log and Insights folders. */
  listEventFiles(location: DigestLocation, window: FileWindow): Promise<ScopedFile[]>;
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
  /** Deleted digests older than the oldest one a link led to: from the range's start to it. */
  | 'deleted-before'
  /** Offline, not the newest, and no signature anywhere (no sidecar, no successor carrying it). */
  | 'unsigned'
  /** previousDigestS3Object names itself, a newer digest, or one the walk has already checked. */
  | 'bad-link'
  /** The newest digests are gone: none after the newest one found, though they are due. */
  | 'missing-after'
  /** No digest at all in the range, but a later digest shows the chain went through it. */
  | 'missing-range'
  /** An object in the digest folder that is not a digest file of this account-region. */
  | 'misplaced';

/**
 * Verdicts of files in scope:
 * - `valid`, `hash-mismatch`, `not-found`, `invalid-format`: a digest lists it (as aws-cli);
 * - `unverifiable`: the hash matches, but the digest listing it has no signature to check;
 * - `unreferenced`: no valid digest lists it, though one covers the minute it was delivered, or
 *   none does where one should (a gap, missing or invalid digests);
 * - `listed-by-invalid`: only digests that failed validation list it;
 * - `misplaced`: not a name or place CloudTrail delivers a log file under;
 * - `other-trail`: a valid digest of another trail writing to these folders lists it, and its hash matches;
 * - `uncovered`: delivered after the newest digest, before the next one is due (a warning);
 * - `insight`: an Insights file; digests list log files only (a warning);
 * - `outside`: a well-formed file of the read's margin days, delivered outside the range (not judged).
 */
export type LogStatus =
  | 'valid'
  | 'unverifiable'
  | 'hash-mismatch'
  | 'not-found'
  | 'invalid-format'
  | 'unreferenced'
  | 'listed-by-invalid'
  | 'misplaced'
  | 'other-trail'
  | 'uncovered'
  | 'insight'
  | 'outside';

export interface LogVerdict {
  readonly type: 'log';
  readonly bucket: string;
  readonly key: string;
  readonly status: LogStatus;
  /** The third field of the text line: `valid` or `INVALID: ...` (aws-cli's words where it has them). */
  verdict: string;
  readonly detail?: string;
  /** For `other-trail`: the trail whose digest lists it. */
  readonly trail?: string;
  /** An object in a digest folder (its line says `Digest file`). */
  readonly inDigestFolder?: boolean;
}

export interface DigestVerdict {
  readonly type: 'digest';
  /** Backfill digests are their own chain, and their lines start with `(backfill) `. */
  readonly backfill: boolean;
  readonly bucket: string;
  /** The digest's key; undefined for counted runs of missing digests (their keys are unknown). */
  readonly key: string | undefined;
  /** What the text line shows in place of `s3://bucket/key`. */
  readonly location: string;
  readonly status: DigestStatus;
  readonly verdict: string;
  readonly detail?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  /** For counted runs of missing digests: how many. */
  readonly count?: number;
  readonly logFiles: LogVerdict[];
}

export interface GapEvent {
  readonly type: 'gap';
  readonly backfill: boolean;
  readonly fromMs: number;
  readonly toMs: number;
  /** Log files in scope delivered inside the gap: then the gap line must not say none were. */
  logFilesInside: number;
}

export type ChainEvent = DigestVerdict | GapEvent;

export interface TrailIdentity {
  readonly name: string;
  readonly homeRegion: string;
}

export interface ValidateOptions {
  readonly trail: TrailIdentity;
  readonly startMs: number;
  readonly endMs: number;
  readonly keys: PublicKeyProvider;
  /** Downloads and hashes at once, shared by every account-region of the run. */
  readonly limit: Limiter;
  /** The current time (epoch ms): digests due before it must exist. Default: Date.now(). */
  readonly nowMs?: number;
  /** How many older digests are fetched ahead of the walk (default 4); bytes are dropped once checked. */
  readonly prefetch?: number;
  /** Accept digests whose signature cannot be checked (offline, without metadata): warnings, not failures. */
  readonly allowUnverifiable?: boolean;
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

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** How late a digest may be delivered after its hour before it counts as missing. */
export const DIGEST_GRACE_MS = 30 * MINUTE_MS;
/** Digests are small (a line per log file of one hour): a bigger object is not read whole. */
export const MAX_DIGEST_BYTES = 16 * 1024 * 1024;
/** Digests listed bigger than this are not fetched ahead of the walk (memory stays bounded). */
const PREFETCH_MAX_BYTES = 1024 * 1024;
const DEFAULT_PREFETCH = 4;
export const DIGEST_MESSAGES = {
  valid: 'valid',
  notFound: 'INVALID: not found',
  invalidFormat: 'INVALID: invalid format',
  signatureFailed: 'INVALID: signature verification failed',
  moved: 'INVALID: has been moved from its original location',
  hashMismatch: "INVALID: hash value doesn't match",
  trailingData: 'INVALID: unexpected data after end of compressed stream',
  unreferenced: 'INVALID: not referenced by any digest',
  listedByInvalid: 'INVALID: listed only by an INVALID digest',
  misplacedLog: 'INVALID: not a CloudTrail log file name or location',
  misplacedDigest: 'INVALID: not a digest file of this account and region',
  notInChain: 'INVALID: not in the digest chain (no digest links to it)',
  unverifiable: 'INVALID: signature unverifiable (no signature metadata)',
  unverifiableAccepted: 'WARNING: signature unverifiable (no signature metadata)',
  cannotVerify: 'INVALID: signature cannot be verified (no signature metadata, and no newer digest carries its signature)',
  badLink: 'INVALID: previousDigestS3Object does not link to an older digest',
  logUnverifiable: 'INVALID: hash matches, but the digest that lists it is unverifiable',
  logUnverifiableAccepted: 'WARNING: hash matches, but the digest that lists it is unverifiable',
  otherTrail: (trail: string) => `valid (listed by trail ${trail})`,
  uncovered: 'WARNING: not yet covered by a digest file (the next one is not due yet)',
  insight: 'WARNING: not covered by integrity validation (digest files list log files, not Insights files)',
} as const;

export const s3Url = (bucket: string, key: string) => `s3://${bucket}/${key}`;
export const lastSegment = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The end time in a digest key's name (epoch ms), or undefined when the name is not a digest's. */
export function digestKeyTime(key: string): number | undefined {
  return parseDigestFileName(lastSegment(key))?.endTime;
}

/** Whether a key is a digest of this trail in this account-region (what aws-cli's key regex checks). */
export function isTrailDigestKey(key: string, location: DigestLocation, trail: TrailIdentity): boolean {
  const name = parseDigestFileName(lastSegment(key));
  return name !== undefined && name.account === location.account && name.region === location.region && name.trailName === trail.name && name.homeRegion === trail.homeRegion;
}

interface Evaluated {
  verdict: DigestVerdict;
  digest: DigestDocument | undefined;
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

function digestVerdict(backfill: boolean, bucket: string, key: string, status: DigestStatus, verdict: string, extra: Partial<DigestVerdict> = {}): DigestVerdict {
  return { type: 'digest', backfill, bucket, key, location: s3Url(bucket, key), status, verdict, logFiles: [], ...extra };
}

/** What a walk is walking: whose chain, and how strictly. */
export interface ChainSpec {
  readonly trail: TrailIdentity;
  readonly backfill: boolean;
  /** The trail being validated (its digests are counted and its completeness checked). */
  readonly primary: boolean;
}

/**
 * Checks one digest. `newest`: the first digest of a walk, the only one whose signature may be
 * missing offline (the successor of every other digest carries its signature).
 */
async function evaluateDigest(fetched: Extract<FetchedDigest, { found: true }>, bucket: string, key: string, successor: Successor | undefined, store: DigestStore, newest: boolean, chain: ChainSpec, location: DigestLocation, options: ValidateOptions): Promise<Evaluated> {
  const backfill = chain.backfill;
  const fail = (status: DigestStatus, verdict: string, detail?: string, digest?: DigestDocument): Evaluated => ({
    verdict: digestVerdict(backfill, bucket, key, status, verdict, {
      ...(detail === undefined ? {} : { detail }),
      ...(digest === undefined ? {} : { startTime: digest.digestStartTime, endTime: digest.digestEndTime }),
    }),
    digest,
    followable: false,
  });
  if (fetched.tooLarge !== undefined) return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, fetched.tooLarge);
  const gunzipped = gunzipSingleMember(fetched.bytes, MAX_DIGEST_BYTES);
  if (!gunzipped.ok) return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, gunzipped.problem);
  const parsed = parseDigest(gunzipped.data);
  if (!parsed.ok) return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, parsed.problem);
  const digest = parsed.digest;
  const rawSha256 = sha256Hex(gunzipped.data);
  if (digest.digestS3Bucket !== bucket || digest.digestS3Object !== key) {
    return fail('moved', DIGEST_MESSAGES.moved, `it names s3://${digest.digestS3Bucket}/${digest.digestS3Object}`, digest);
  }

  // A backfill digest is signed when it is generated, with the key in use then (aws-cli reads the
  // time from its metadata and fails the digest without it).
  let generatedAt: number | undefined;
  if (backfill && fetched.metadata !== undefined) {
    const stamp = fetched.metadata['backfill-generation-timestamp'];
    generatedAt = stamp === undefined ? undefined : Date.parse(stamp);
    if (generatedAt === undefined || !Number.isFinite(generatedAt)) {
      return fail('invalid-format', DIGEST_MESSAGES.invalidFormat, stamp === undefined ? 'no backfill-generation-timestamp metadata' : `backfill-generation-timestamp ${stamp} is not a time`, digest);
    }
  }

  // Where the signature comes from: the object's metadata (S3), the sidecar, or offline the
  // successor's previousDigestSignature.
  let signature = fetched.signature?.signature;
  let algorithm = fetched.signature?.algorithm;
  let fromSuccessor = false;
  if (signature === undefined && store.offline && successor?.digest.previousDigestSignature != null) {
    signature = successor.digest.previousDigestSignature;
    algorithm = digest.digestSignatureAlgorithm ?? successor.digest.digestSignatureAlgorithm;
    fromSuccessor = true;
  }
  if (signature === undefined && !store.offline) return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, 'the object has no signature metadata', digest);
  if (signature !== undefined && algorithm === undefined && !fromSuccessor) return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, 'the object has no signature-algorithm metadata', digest);
  for (const named of [algorithm, digest.digestSignatureAlgorithm]) {
    if (named !== undefined && named !== SIGNATURE_ALGORITHM) {
      return fail('unsupported-algorithm', `INVALID: unsupported signature algorithm ${named} (expected ${SIGNATURE_ALGORITHM})`, undefined, digest);
    }
  }

  const fingerprint = digest.digestPublicKeyFingerprint;
  const region = location.region;
  const at = backfill ? generatedAt : digest.endMs;
  let choice = choosePublicKey(await options.keys.keys(region), fingerprint, at, digest.endMs);
  if (!choice.found && backfill && generatedAt !== undefined) choice = choosePublicKey(await options.keys.keysAround(region, generatedAt), fingerprint, generatedAt);
  if (!choice.found) return fail('public-key-not-found', `INVALID: public key not found in region ${region} for fingerprint ${fingerprint}`, choice.detail, digest);
  const publicKey = choice.key;
  if ('problem' in publicKey.key) return fail('bad-public-key', `INVALID: Unable to load PKCS #1 key with fingerprint ${fingerprint}`, publicKey.key.problem, digest);

  const times = { startTime: digest.digestStartTime, endTime: digest.digestEndTime };
  if (signature === undefined) {
    const detail = fetched.sidecarProblem === undefined ? `no ${lastSegment(key)}.meta.json beside it (trailkit download keeps one)` : `its .meta.json is unusable: ${fetched.sidecarProblem}`;
    if (newest) {
      const words = options.allowUnverifiable === true ? DIGEST_MESSAGES.unverifiableAccepted : DIGEST_MESSAGES.unverifiable;
      return { verdict: digestVerdict(backfill, bucket, key, 'unverifiable', words, { ...times, detail }), digest, followable: true };
    }
    // Only the newest digest may lack a signature: every other one is signed inside its successor.
    // One that is not (its successor does not link to it, or is missing) proves nothing: a forger
    // who drops the sidecars and the previous* links must not get off with "unverifiable".
    const why = successor === undefined ? 'no newer digest links to it' : `the previousDigestSignature of ${s3Url(successor.bucket, successor.key)} is null`;
    return { verdict: digestVerdict(backfill, bucket, key, 'unsigned', DIGEST_MESSAGES.cannotVerify, { ...times, detail: `${detail}, and ${why}` }), digest, followable: true };
  }
  if (!verifyRsaSha256(publicKey.key, digestStringToSign(digest, rawSha256), signature)) {
    const detail = fromSuccessor ? `against the previousDigestSignature of s3://${successor?.bucket}/${successor?.key}` : undefined;
    return fail('signature-failed', DIGEST_MESSAGES.signatureFailed, detail, digest);
  }
  if (successor !== undefined) {
    const recordedHash = successor.digest.previousDigestHashValue;
    if (recordedHash !== null && recordedHash.toLowerCase() !== rawSha256) {
      return fail('previous-hash-mismatch', `INVALID: hash value doesn't match the previousDigestHashValue of ${s3Url(successor.bucket, successor.key)}`, undefined, digest);
    }
    const recordedSignature = successor.digest.previousDigestSignature;
    if (recordedSignature !== null && recordedSignature.toLowerCase() !== signature.toLowerCase()) {
      return fail('previous-signature-mismatch', `INVALID: signature doesn't match the previousDigestSignature of ${s3Url(successor.bucket, successor.key)}`, undefined, digest);
    }
  }
  return { verdict: digestVerdict(backfill, bucket, key, 'valid', DIGEST_MESSAGES.valid, times), digest, followable: true };
}

/** A digest's verdict on one listed log file. aws-cli's words; the precise problem is the detail. */
function logVerdict(bucket: string, key: string, expected: string, check: LogCheck, unverifiable: boolean, accepted: boolean): LogVerdict {
  const base = { type: 'log' as const, bucket, key };
  switch (check.kind) {
    case 'not-found':
      return { ...base, status: 'not-found', verdict: DIGEST_MESSAGES.notFound };
    case 'invalid-format':
      // aws-cli inflates what is there and compares: a file cut short is a hash mismatch, bytes
      // after the member are "unexpected data", anything else fails to inflate: "invalid format".
      if (check.reason === 'truncated') return { ...base, status: 'hash-mismatch', verdict: DIGEST_MESSAGES.hashMismatch, detail: check.problem };
      if (check.reason === 'trailing-data') return { ...base, status: 'invalid-format', verdict: DIGEST_MESSAGES.trailingData, detail: check.problem };
      return { ...base, status: 'invalid-format', verdict: DIGEST_MESSAGES.invalidFormat, detail: check.problem };
    case 'hashed':
      if (check.sha256 !== expected) return { ...base, status: 'hash-mismatch', verdict: DIGEST_MESSAGES.hashMismatch, detail: `sha256 ${check.sha256}, digest says ${expected}` };
      return unverifiable
        ? { ...base, status: 'unverifiable', verdict: accepted ? DIGEST_MESSAGES.logUnverifiableAccepted : DIGEST_MESSAGES.logUnverifiable, detail: 'the newest digest lists it, and that digest has no signature to verify' }
        : { ...base, status: 'valid', verdict: DIGEST_MESSAGES.valid };
  }
}

/**
 * The first error of a run. Once set, queued downloads and hashes of every account-region are
 * skipped, so the one-line error is not followed by minutes of work nobody will see.
 */
export interface RunControl {
  failure: { error: unknown } | undefined;
}

export interface Interval {
  readonly startMs: number;
  readonly endMs: number;
}

/** Validates one account-region of a trail. */
export interface ChainResult {
  readonly events: ChainEvent[];
  /** Log files listed by digests that verified (or the newest, unverifiable): key -> verdict slot. */
  readonly listed: Map<string, LogVerdict[]>;
  /** Listed log files whose lines are not under a digest line (the anchor's): reported only when they fail. */
  readonly silentLogs: ReadonlySet<string>;
  /** Log files listed only by digests that failed. */
  readonly listedByInvalid: Map<string, string>;
  /** Periods of the digests that verified. */
  readonly covered: Interval[];
  readonly foundStartMs: number | undefined;
  readonly foundEndMs: number | undefined;
  /** The end time of the newest digest named in the range (or the anchor's). */
  readonly newestNamedMs: number | undefined;
  readonly tasks: Promise<void>[];
  /** The anchor, when the walk started at it. */
  readonly anchor?: { key: string; status: DigestStatus; detail?: string; followed: boolean; restarts: boolean };
}

export interface WalkContext {
  readonly store: DigestStore;
  readonly location: DigestLocation;
  readonly options: ValidateOptions;
  readonly control: RunControl;
  readonly home: string;
  readonly nowMs: number;
  readonly sizes: ReadonlyMap<string, number | undefined>;
}

/**
 * Walks one chain from its newest digest (or from `anchorKey`, a digest after the range that is
 * checked but not reported when it verifies) back to the range's start.
 */
export async function walkChain(listed: readonly string[], chain: ChainSpec, ctx: WalkContext, anchorKey: string | undefined): Promise<ChainResult> {
  const { store, options, control, home } = ctx;
  const { startMs, limit } = options;
  const window = Math.max(0, options.prefetch ?? DEFAULT_PREFETCH);
  const stopIfFailed = () => {
    if (control.failure !== undefined) throw control.failure.error;
  };
  /** A download or hash in the shared limiter; skipped once the run has failed. */
  const queued = <T>(task: () => Promise<T>): Promise<T> => limit.run(() => (control.failure === undefined ? task() : Promise.reject(control.failure.error)));

  const events: ChainEvent[] = [];
  const listedLogs = new Map<string, LogVerdict[]>();
  const silentLogs = new Set<string>();
  const listedByInvalid = new Map<string, string>();
  const covered: Interval[] = [];
  const tasks: Promise<void>[] = [];
  let foundStartMs: number | undefined;
  let foundEndMs: number | undefined;
  let anchor: ChainResult['anchor'];
  const result = (): ChainResult => ({
    events,
    listed: listedLogs,
    silentLogs,
    listedByInvalid,
    covered,
    foundStartMs,
    foundEndMs,
    newestNamedMs: listed.length === 0 ? undefined : digestKeyTime(listed[listed.length - 1] as string),
    tasks,
    ...(anchor === undefined ? {} : { anchor }),
  });
  if (listed.length === 0 && anchorKey === undefined) return result();

  // Digests fetched ahead of the walk: at most `window` of them, the next older ones listed and
  // small. Each has a handler from the start (an error surfaces where the walk awaits it, or never
  // when the walk does not need that digest), and leaves the cache when the walk takes it.
  const cache = new Map<string, Promise<FetchedDigest>>();
  const idOf = (bucket: string, key: string) => (store.bucket === undefined ? key : `${bucket}\u0000${key}`);
  const take = (bucket: string, key: string): Promise<FetchedDigest> => {
    const id = idOf(bucket, key);
    const hit = cache.get(id);
    cache.delete(id);
    return hit ?? queued(() => store.fetchDigest(bucket, key));
  };
  const visited = new Set<string>();
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
      const size = ctx.sizes.get(key);
      if (!visited.has(key) && (digestKeyTime(key) as number) < belowMs && (size === undefined || size <= PREFETCH_MAX_BYTES)) wanted.set(idOf(home, key), key);
    }
    for (const id of [...cache.keys()]) if (!wanted.has(id)) cache.delete(id);
    for (const [id, key] of wanted) {
      if (cache.has(id)) continue;
      const p = queued(() => store.fetchDigest(home, key));
      p.catch(() => undefined);
      cache.set(id, p);
    }
  };

  let key = anchorKey ?? pending.pop();
  let silent = anchorKey !== undefined;
  let currentBucket = home;
  let lastStart = key === undefined ? -Infinity : (digestKeyTime(key) as number);
  let successor: Successor | undefined;
  let newest = true;
  // A linked digest that was not found: the next one found shows how many more are gone.
  let missing: { key: string; endMs: number; periodMs: number } | undefined;

  while (key !== undefined && (silent || startMs <= lastStart)) {
    stopIfFailed();
    const keyTime = digestKeyTime(key) ?? successor?.digest.startMs ?? lastStart;
    visited.add(key);
    const fetching = take(currentBucket, key);
    prefetch(keyTime);
    const fetched = await fetching;
    if (silent) {
      // The anchor: after the range, so it is neither reported nor counted. It is followed when it
      // verifies (or cannot be verified offline: a successor's signature is checked as any other).
      silent = false;
      const evaluated = fetched.found ? await evaluateDigest(fetched, currentBucket, key, undefined, store, true, chain, ctx.location, options) : undefined;
      const digest = evaluated?.digest;
      const status: DigestStatus = evaluated?.verdict.status ?? 'not-found';
      const linked = evaluated?.followable === true && digest !== undefined && digest.previousDigestS3Object !== null && digest.previousDigestS3Bucket !== null;
      const restarts = evaluated?.verdict.status === 'valid' && digest !== undefined && (digest.previousDigestS3Object === null || digest.previousDigestS3Bucket === null);
      anchor = { key, status, ...(evaluated?.verdict.detail === undefined ? {} : { detail: evaluated.verdict.detail }), followed: linked, restarts };
      if (evaluated?.verdict.status === 'valid' && digest !== undefined) covered.push({ startMs: digest.startMs, endMs: digest.endMs });
      if (linked && digest !== undefined) {
        // Its log files delivered up to an hour after the range are read for the range (late
        // deliveries): they are checked, and reported only when they fail.
        const unverifiable = evaluated?.verdict.status === 'unverifiable';
        for (const log of digest.logFiles) {
          if (!(log.s3Bucket === home || store.bucket === undefined)) continue;
          const delivered = parseLogFileName(lastSegment(log.s3Object))?.deliveredAt;
          if (delivered !== undefined && delivered > options.endMs + HOUR_MS) continue;
          const verdicts: LogVerdict[] = [];
          listedLogs.set(log.s3Object, verdicts);
          silentLogs.add(log.s3Object);
          tasks.push(
            queued(() => store.hashLog(log.s3Bucket, log.s3Object)).then(
              (check) => {
                verdicts.push(logVerdict(log.s3Bucket, log.s3Object, log.hashValue, check, unverifiable, options.allowUnverifiable === true));
              },
              (error: unknown) => {
                control.failure ??= { error };
              },
            ),
          );
        }
        successor = { digest, bucket: currentBucket, key };
        newest = false;
        lastStart = digest.startMs;
        key = digest.previousDigestS3Object as string;
        currentBucket = digest.previousDigestS3Bucket as string;
      } else {
        key = pending.pop();
        lastStart = key === undefined ? -Infinity : (digestKeyTime(key) as number);
        currentBucket = home;
      }
      continue;
    }
    if (!fetched.found) {
      events.push(digestVerdict(chain.backfill, currentBucket, key, 'not-found', DIGEST_MESSAGES.notFound));
      missing = { key, endMs: keyTime, periodMs: successor === undefined ? HOUR_MS : successor.digest.endMs - successor.digest.startMs || HOUR_MS };
      successor = undefined;
      newest = false;
      key = popOlderThan(keyTime);
      currentBucket = home;
      continue;
    }
    const evaluated = await evaluateDigest(fetched, currentBucket, key, successor, store, newest, chain, ctx.location, options);
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
          backfill: chain.backfill,
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
    let verdict = evaluated.verdict;
    let followable = evaluated.followable && digest !== undefined;
    if (followable && digest !== undefined && digest.previousDigestS3Object !== null && digest.previousDigestS3Bucket !== null) {
      const problem = linkProblem(digest.previousDigestS3Bucket, digest.previousDigestS3Object, key, keyTime, visited);
      if (problem !== undefined) {
        verdict = digestVerdict(chain.backfill, currentBucket, key, 'bad-link', DIGEST_MESSAGES.badLink, { detail: problem, startTime: digest.digestStartTime, endTime: digest.digestEndTime });
        followable = false;
      }
    }
    events.push(verdict);
    const vouches = verdict.status === 'valid' || verdict.status === 'unverifiable';
    if (digest !== undefined && !vouches) {
      for (const log of digest.logFiles) if (!listedByInvalid.has(log.s3Object)) listedByInvalid.set(log.s3Object, s3Url(currentBucket, key));
    }
    if (!followable || digest === undefined) {
      successor = undefined;
      key = popOlderThan(keyTime);
      currentBucket = home;
      continue;
    }
    // Log files count only under a digest whose signature verified, or under the newest one
    // when its signature is unverifiable (and so are they).
    if (vouches) {
      if (verdict.status === 'valid' && !chain.backfill) covered.push({ startMs: digest.startMs, endMs: digest.endMs });
      const unverifiable = verdict.status === 'unverifiable';
      for (const log of digest.logFiles) {
        const slot = verdict.logFiles.length;
        verdict.logFiles.push(undefined as unknown as LogVerdict);
        const logs = verdict.logFiles;
        if (log.s3Bucket === home || store.bucket === undefined) {
          const seen = listedLogs.get(log.s3Object) ?? [];
          listedLogs.set(log.s3Object, seen);
          tasks.push(
            queued(() => store.hashLog(log.s3Bucket, log.s3Object)).then(
              (check) => {
                const v = logVerdict(log.s3Bucket, log.s3Object, log.hashValue, check, unverifiable, options.allowUnverifiable === true);
                logs[slot] = v;
                seen.push(v);
              },
              (error: unknown) => {
                control.failure ??= { error };
              },
            ),
          );
        } else {
          tasks.push(
            queued(() => store.hashLog(log.s3Bucket, log.s3Object)).then(
              (check) => {
                logs[slot] = logVerdict(log.s3Bucket, log.s3Object, log.hashValue, check, unverifiable, options.allowUnverifiable === true);
              },
              (error: unknown) => {
                control.failure ??= { error };
              },
            ),
          );
        }
      }
    }
    if (verdict.status === 'valid') {
      const s = Math.max(digest.startMs, startMs);
      const e = Math.min(digest.endMs, options.endMs);
      if (foundStartMs === undefined || s < foundStartMs) foundStartMs = s;
      if (foundEndMs === undefined || e > foundEndMs) foundEndMs = e;
    }
    lastStart = digest.startMs;
    if (digest.previousDigestS3Bucket === null || digest.previousDigestS3Object === null) {
      successor = undefined;
      const next = popOlderThan(keyTime);
      if (next !== undefined) events.push({ type: 'gap', backfill: chain.backfill, fromMs: digestKeyTime(next) as number, toMs: digest.startMs, logFilesInside: 0 });
      key = next;
      currentBucket = home;
    } else {
      successor = { digest, bucket: currentBucket, key };
      key = digest.previousDigestS3Object;
      currentBucket = digest.previousDigestS3Bucket;
    }
  }
  cache.clear();
  // A link that found nothing, and no older digest after it: were the range's older digests
  // deleted too? CloudTrail's are hourly and contiguous, so the time down to the start says.
  if (missing !== undefined && chain.primary && !chain.backfill) {
    const more = Math.floor((missing.endMs - startMs) / missing.periodMs);
    if (more >= 1) {
      events.push({
        type: 'digest',
        backfill: false,
        bucket: home,
        key: undefined,
        location: `${more} digest file${more === 1 ? '' : 's'} before ${s3Url(home, missing.key)}`,
        status: 'deleted-before',
        verdict: DIGEST_MESSAGES.notFound,
        detail: `no digest covers ${displayTime(startMs)} to about ${displayTime(missing.endMs - missing.periodMs)}, and the chain links through it`,
        count: more,
        logFiles: [],
      });
    }
  }
  // Listed digests the walk never reached: nothing links to them.
  for (const k of listed) {
    if (!visited.has(k)) events.push(digestVerdict(chain.backfill, home, k, 'not-in-chain', DIGEST_MESSAGES.notInChain));
  }
  return result();
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
