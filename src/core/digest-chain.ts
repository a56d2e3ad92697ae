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
  | 'deleted-between';

export type LogStatus = 'valid' | 'hash-mismatch' | 'not-found' | 'invalid-format' | 'unreferenced';

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
  /** The digest's key; for `deleted-between`, undefined (the deleted digests' keys are unknown). */
  readonly key: string | undefined;
  /** What the text line shows in place of `s3://bucket/key`. */
  readonly location: string;
  readonly status: DigestStatus;
  readonly verdict: string;
  readonly detail?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  /** For `deleted-between`: how many digests are missing. */
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
  readonly limit: Limiter;
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
}

interface Successor {
  digest: DigestDocument;
  bucket: string;
  key: string;
}

function digestVerdict(bucket: string, key: string, status: DigestStatus, verdict: string, extra: Partial<DigestVerdict> = {}): DigestVerdict {
  return { type: 'digest', bucket, key, location: s3Url(bucket, key), status, verdict, logFiles: [], ...extra };
}

function evaluateDigest(fetched: Extract<FetchedDigest, { found: true }>, bucket: string, key: string, successor: Successor | undefined, offline: boolean, options: ValidateOptions): Evaluated {
  const fail = (status: DigestStatus, verdict: string, detail?: string, digest?: DigestDocument, rawSha256?: string): Evaluated => ({
    verdict: digestVerdict(bucket, key, status, verdict, {
      ...(detail === undefined ? {} : { detail }),
      ...(digest === undefined ? {} : { startTime: digest.digestStartTime, endTime: digest.digestEndTime }),
    }),
    digest,
    signature: undefined,
    rawSha256,
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
    return { verdict: digestVerdict(bucket, key, 'unverifiable', DIGEST_MESSAGES.unverifiable, { ...times, detail }), digest, signature: undefined, rawSha256 };
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
  return { verdict: digestVerdict(bucket, key, 'valid', DIGEST_MESSAGES.valid, times), digest, signature, rawSha256 };
}

function logVerdict(bucket: string, key: string, expected: string, check: LogCheck): LogVerdict {
  const base = { type: 'log' as const, bucket, key };
  switch (check.kind) {
    case 'not-found':
      return { ...base, status: 'not-found', verdict: DIGEST_MESSAGES.notFound };
    case 'invalid-format':
      return { ...base, status: 'invalid-format', verdict: DIGEST_MESSAGES.invalidFormat, detail: check.problem };
    case 'hashed':
      return check.sha256 === expected
        ? { ...base, status: 'valid', verdict: DIGEST_MESSAGES.valid }
        : { ...base, status: 'hash-mismatch', verdict: DIGEST_MESSAGES.hashMismatch, detail: `sha256 ${check.sha256}, digest says ${expected}` };
  }
}

/** Validates one account-region of a trail. */
export async function validateLocation(store: DigestStore, location: DigestLocation, options: ValidateOptions): Promise<LocationReport> {
  const { startMs, endMs, trail, limit } = options;
  // As aws-cli: digests named from the start to an hour after the end (logs delivered late).
  const listedAll = (await store.listDigestKeys(location, startMs, endMs + HOUR_MS)).filter((key) => {
    if (!isTrailDigestKey(key, location, trail)) return false;
    const at = digestKeyTime(key) as number;
    return at >= Math.floor(startMs / 1000) * 1000 && at <= endMs + HOUR_MS;
  });
  const backfillSkipped = listedAll.filter(isBackfill).length;
  const listed = listedAll.filter((k) => !isBackfill(k)).sort((a, b) => (digestKeyTime(a) as number) - (digestKeyTime(b) as number) || (a < b ? -1 : a > b ? 1 : 0));

  const fetches = new Map<string, Promise<FetchedDigest>>();
  const fetch = (bucket: string, key: string) => {
    const id = `${bucket}\u0000${key}`;
    let hit = fetches.get(id);
    if (hit === undefined) {
      hit = limit.run(() => store.fetchDigest(bucket, key));
      fetches.set(id, hit);
    }
    return hit;
  };

  // The bucket the listed digests are in: known for S3; offline, what the digests themselves say.
  let bucket = store.bucket;
  if (bucket === undefined) {
    const probes = listed.map((key) => fetch('', key).then((f) => ({ f, key })));
    for (const probe of probes) {
      const { f } = await probe;
      if (!f.found) continue;
      if (f.sidecarBucket !== undefined) {
        bucket = f.sidecarBucket;
        break;
      }
      const g = gunzipSingleMember(f.bytes);
      const p = g.ok ? parseDigest(g.data) : undefined;
      if (p?.ok === true) {
        bucket = p.digest.digestS3Bucket;
        break;
      }
    }
    bucket ??= '';
  } else {
    for (const key of listed) void fetch(bucket, key);
  }
  const fetchFrom = (b: string, key: string) => (store.bucket === undefined ? fetch('', key) : fetch(b, key));

  const events: ChainEvent[] = [];
  const visited = new Set<string>();
  const parsedDigests: DigestDocument[] = [];
  const covered: DigestDocument[] = [];
  const logTasks: Promise<void>[] = [];
  let foundStartMs: number | undefined;
  let foundEndMs: number | undefined;

  const pending = [...listed];
  const popOlderThan = (ms: number): string | undefined => {
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if ((digestKeyTime(next) as number) < ms) return next;
    }
    return undefined;
  };

  let key = pending.pop();
  let currentBucket = bucket;
  let lastStart = key === undefined ? -Infinity : (digestKeyTime(key) as number);
  let successor: Successor | undefined;
  // A linked digest that was not found: the next one found shows how many more are gone.
  let missing: { key: string; endMs: number; periodMs: number } | undefined;

  while (key !== undefined && startMs <= lastStart) {
    const keyTime = digestKeyTime(key) ?? successor?.digest.startMs ?? lastStart;
    visited.add(key);
    const fetched = await fetchFrom(currentBucket, key);
    if (!fetched.found) {
      events.push(digestVerdict(currentBucket, key, 'not-found', DIGEST_MESSAGES.notFound));
      missing = { key, endMs: keyTime, periodMs: successor === undefined ? HOUR_MS : successor.digest.endMs - successor.digest.startMs || HOUR_MS };
      successor = undefined;
      key = popOlderThan(keyTime);
      currentBucket = bucket;
      continue;
    }
    const evaluated = evaluateDigest(fetched, currentBucket, key, successor, store.offline, options);
    const digest = evaluated.digest;
    if (missing !== undefined && digest !== undefined) {
      // CloudTrail's digests are contiguous: each starts where its predecessor ends. The run of
      // deleted digests spans from this digest's end to the missing one's end.
      const more = Math.round((missing.endMs - digest.endMs) / missing.periodMs) - 1;
      if (more >= 1) {
        const after = s3Url(currentBucket, key);
        const before = s3Url(bucket, missing.key);
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
    if (digest !== undefined) parsedDigests.push(digest);
    const verdict = evaluated.verdict;
    events.push(verdict);
    if (digest === undefined || (verdict.status !== 'valid' && verdict.status !== 'unverifiable')) {
      successor = undefined;
      key = popOlderThan(keyTime);
      currentBucket = bucket;
      continue;
    }
    covered.push(digest);
    if (verdict.status === 'valid') {
      const s = Math.max(digest.startMs, startMs);
      const e = Math.min(digest.endMs, endMs);
      if (foundStartMs === undefined || s < foundStartMs) foundStartMs = s;
      if (foundEndMs === undefined || e > foundEndMs) foundEndMs = e;
    }
    for (const log of digest.logFiles) {
      const slot = verdict.logFiles.length;
      verdict.logFiles.push(undefined as unknown as LogVerdict);
      logTasks.push(
        limit.run(() => store.hashLog(log.s3Bucket, log.s3Object)).then((check) => {
          verdict.logFiles[slot] = logVerdict(log.s3Bucket, log.s3Object, log.hashValue, check);
        }),
      );
    }
    lastStart = digest.startMs;
    if (digest.previousDigestS3Bucket === null || digest.previousDigestS3Object === null) {
      successor = undefined;
      const next = popOlderThan(keyTime);
      if (next !== undefined) events.push({ type: 'gap', fromMs: digestKeyTime(next) as number, toMs: digest.startMs });
      key = next;
      currentBucket = bucket;
    } else {
      successor = { digest, bucket: currentBucket, key };
      key = digest.previousDigestS3Object;
      currentBucket = digest.previousDigestS3Bucket;
    }
  }
  // Listed digests the walk never reached: nothing links to them.
  for (const k of listed) {
    if (!visited.has(k)) events.push(digestVerdict(bucket, k, 'not-in-chain', DIGEST_MESSAGES.notInChain));
  }
  await Promise.all(logTasks);

  const unreferenced = await findUnreferencedLogs(store, location, bucket, covered, parsedDigests);
  const tally: Tally = { validDigests: 0, invalidDigests: 0, unverifiableDigests: 0, validLogs: 0, invalidLogs: 0, unreferencedLogs: unreferenced.length };
  for (const event of events) {
    if (event.type !== 'digest') continue;
    if (event.status === 'valid') tally.validDigests++;
    else if (event.status === 'unverifiable') tally.unverifiableDigests++;
    else tally.invalidDigests += event.count ?? 1;
    for (const log of event.logFiles) {
      if (log.status === 'valid') tally.validLogs++;
      else tally.invalidLogs++;
    }
  }
  return { location, bucket, events, unreferenced, foundStartMs, foundEndMs, tally, backfillSkipped };
}

const MINUTE_MS = 60_000;

/**
 * Log files in the location's folders, delivered inside the period of a digest that was read, that
 * no digest lists: injected. A log file's name carries its delivery minute only, so the minutes in
 * which a digest period starts or ends are not judged.
 */
async function findUnreferencedLogs(store: DigestStore, location: DigestLocation, bucket: string, covered: readonly DigestDocument[], parsed: readonly DigestDocument[]): Promise<LogVerdict[]> {
  if (covered.length === 0) return [];
  const from = Math.min(...covered.map((d) => d.startMs));
  const to = Math.max(...covered.map((d) => d.endMs));
  const referenced = new Set<string>();
  for (const digest of parsed) for (const log of digest.logFiles) referenced.add(log.s3Object);
  const out: LogVerdict[] = [];
  for (const key of await store.listLogKeys(location, from, to)) {
    if (referenced.has(key)) continue;
    const name = parseLogFileName(lastSegment(key));
    if (name === undefined || name.account !== location.account || name.region !== location.region) continue;
    const m = name.deliveredAt;
    const inside = covered.some((d) => m >= Math.floor(d.startMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS && m + MINUTE_MS <= d.endMs);
    if (inside) out.push({ type: 'log', bucket, key, status: 'unreferenced', verdict: DIGEST_MESSAGES.unreferenced });
  }
  return out;
}

/** Sums tallies of several locations. */
export function sumTallies(tallies: readonly Tally[]): Tally {
  const total: Tally = { validDigests: 0, invalidDigests: 0, unverifiableDigests: 0, validLogs: 0, invalidLogs: 0, unreferencedLogs: 0 };
  for (const t of tallies) for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
  return total;
}

export function isAllValid(tally: Tally): boolean {
  return tally.invalidDigests === 0 && tally.invalidLogs === 0 && tally.unreferencedLogs === 0;
}
