/**
 * CloudTrail digest files (SPEC section 6): the document, its validation and the string that
 * CloudTrail signs. A digest is gzip JSON delivered every hour per account and region; it lists the
 * log files delivered in its period with their SHA-256 and links to the previous digest.
 */
import { createHash } from 'node:crypto';

export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
export const HASH_ALGORITHM = 'SHA-256';

/** One log file that a digest vouches for. */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Lower-case hex SHA-256 of the uncompressed log file. */
  readonly hashValue: string;
  readonly hashAlgorithm: string | undefined;
  readonly newestEventTime: string | undefined;
  readonly oldestEventTime: string | undefined;
}

export interface DigestDocument {
  readonly awsAccountId: string | undefined;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: string | undefined;
  readonly newestEventTime: string | null | undefined;
  readonly oldestEventTime: string | null | undefined;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
  /** Epoch ms of digestStartTime / digestEndTime. */
  readonly startMs: number;
  readonly endMs: number;
}

export type DigestParse = { ok: true; digest: DigestDocument } | { ok: false; problem: string };

/**
 * The keys that must be present before a digest can be checked (those of `aws cloudtrail
 * validate-logs`, plus `logFiles`, which it needs as well and fails on later when absent).
 */
export const REQUIRED_DIGEST_KEYS = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
  'logFiles',
] as const;

const ISO_SECONDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/;

/** Epoch ms of a digest timestamp (`2023-10-15T23:04:04Z`), or undefined. */
export function parseDigestTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_SECONDS.exec(value);
  if (m === null) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `2023-10-15T23:04:04Z`, the form the aws-cli prints. */
export function displayTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nullableString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parseLogFile(entry: unknown, index: number): DigestLogFile | string {
  if (!isObject(entry)) return `logFiles[${index}] is not an object`;
  for (const key of ['s3Bucket', 's3Object', 'hashValue'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '') return `logFiles[${index}].${key} is missing`;
  }
  const hashAlgorithm = optionalString(entry['hashAlgorithm']);
  if (hashAlgorithm !== undefined && hashAlgorithm !== HASH_ALGORITHM) return `logFiles[${index}].hashAlgorithm is ${hashAlgorithm}, not ${HASH_ALGORITHM}`;
  return {
    s3Bucket: entry['s3Bucket'] as string,
    s3Object: entry['s3Object'] as string,
    hashValue: (entry['hashValue'] as string).toLowerCase(),
    hashAlgorithm,
    newestEventTime: optionalString(entry['newestEventTime']),
    oldestEventTime: optionalString(entry['oldestEventTime']),
  };
}

/** Validates a decoded digest JSON value. */
export function digestFromJson(value: unknown): DigestParse {
  if (!isObject(value)) return { ok: false, problem: 'not a JSON object' };
  for (const key of REQUIRED_DIGEST_KEYS) {
    if (!(key in value)) return { ok: false, problem: `missing required key ${key}` };
  }
  for (const key of ['digestPublicKeyFingerprint', 'digestS3Bucket', 'digestS3Object', 'digestEndTime', 'digestStartTime'] as const) {
    if (typeof value[key] !== 'string') return { ok: false, problem: `${key} is not a string` };
  }
  const previousSignature = value['previousDigestSignature'];
  if (previousSignature !== null && typeof previousSignature !== 'string') return { ok: false, problem: 'previousDigestSignature is neither a string nor null' };
  const startMs = parseDigestTime(value['digestStartTime']);
  const endMs = parseDigestTime(value['digestEndTime']);
  if (startMs === undefined || endMs === undefined) return { ok: false, problem: 'digestStartTime or digestEndTime is not a UTC timestamp' };
  const rawLogs = value['logFiles'];
  if (!Array.isArray(rawLogs)) return { ok: false, problem: 'logFiles is not an array' };
  const logFiles: DigestLogFile[] = [];
  for (let i = 0; i < rawLogs.length; i++) {
    const parsed = parseLogFile(rawLogs[i], i);
    if (typeof parsed === 'string') return { ok: false, problem: parsed };
    logFiles.push(parsed);
  }
  const previousHashAlgorithm = nullableString(value['previousDigestHashAlgorithm']);
  if (previousHashAlgorithm !== null && previousHashAlgorithm !== HASH_ALGORITHM) {
    return { ok: false, problem: `previousDigestHashAlgorithm is ${previousHashAlgorithm}, not ${HASH_ALGORITHM}` };
  }
  return {
    ok: true,
    digest: {
      awsAccountId: optionalString(value['awsAccountId']),
      digestStartTime: value['digestStartTime'] as string,
      digestEndTime: value['digestEndTime'] as string,
      digestS3Bucket: value['digestS3Bucket'] as string,
      digestS3Object: value['digestS3Object'] as string,
      digestPublicKeyFingerprint: value['digestPublicKeyFingerprint'] as string,
      digestSignatureAlgorithm: optionalString(value['digestSignatureAlgorithm']),
      newestEventTime: value['newestEventTime'] as string | null | undefined,
      oldestEventTime: value['oldestEventTime'] as string | null | undefined,
      previousDigestS3Bucket: nullableString(value['previousDigestS3Bucket']),
      previousDigestS3Object: nullableString(value['previousDigestS3Object']),
      previousDigestHashValue: nullableString(value['previousDigestHashValue']),
      previousDigestHashAlgorithm: previousHashAlgorithm,
      previousDigestSignature: previousSignature as string | null,
      logFiles,
      startMs,
      endMs,
    },
  };
}

/** Parses the uncompressed bytes of a digest file. */
export function parseDigest(uncompressed: Uint8Array): DigestParse {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(uncompressed);
  } catch {
    return { ok: false, problem: 'not UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  return digestFromJson(value);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The string CloudTrail signs (RSA PKCS#1 v1.5, SHA-256):
 * `digestEndTime \n digestS3Bucket/digestS3Object \n hex(sha256(uncompressed digest)) \n previousDigestSignature|null`.
 * `uncompressedSha256` is of the digest bytes exactly as stored (escaped `\/` and all).
 */
export function digestStringToSign(
  digest: Pick<DigestDocument, 'digestEndTime' | 'digestS3Bucket' | 'digestS3Object' | 'previousDigestSignature'>,
  uncompressedSha256: string,
): string {
  return `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${uncompressedSha256}\n${digest.previousDigestSignature ?? 'null'}`;
}
