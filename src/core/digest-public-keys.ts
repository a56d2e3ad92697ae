/**
 * CloudTrail's digest-signing public keys (SPEC section 6) and RSA signature checks. `ListPublicKeys`
 * returns DER bytes (PKCS#1 RSAPublicKey; SubjectPublicKeyInfo is accepted too) whose fingerprint is
 * the MD5 hex of those bytes; `aws cloudtrail list-public-keys` prints them base64-encoded.
 */
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { usageError } from './errors.js';

export interface DigestPublicKey {
  /** MD5 hex of `der`, as in `digestPublicKeyFingerprint`. */
  readonly fingerprint: string;
  readonly der: Uint8Array;
  /** The key, or why the DER bytes are not an RSA public key. */
  readonly key: KeyObject | { readonly problem: string };
  readonly validFrom: number | undefined;
  readonly validUntil: number | undefined;
}

export function publicKeyFingerprint(der: Uint8Array): string {
  return createHash('md5').update(der).digest('hex');
}

/** Reads DER bytes as a PKCS#1 RSAPublicKey, or else as SubjectPublicKeyInfo. */
export function loadRsaPublicKey(der: Uint8Array): KeyObject | { problem: string } {
  const buffer = Buffer.from(der);
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      const key = createPublicKey({ key: buffer, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') return { problem: `a ${String(key.asymmetricKeyType)} key, not RSA` };
      return key;
    } catch {
      // try the next encoding
    }
  }
  return { problem: 'neither PKCS#1 nor SubjectPublicKeyInfo DER' };
}

export function makePublicKey(der: Uint8Array, validFrom?: number, validUntil?: number): DigestPublicKey {
  return { fingerprint: publicKeyFingerprint(der), der, key: loadRsaPublicKey(der), validFrom, validUntil };
}

/**
 * Where the keys of a run come from. CloudTrail signs each region's digests with that region's own
 * key pair, so keys are asked for per source region (the region in the digest's key path).
 */
export interface PublicKeyProvider {
  /**
   * The keys for the digests of `region` over the run's range. Throws (a setup error, exit 2) when
   * there is none at all for the region: a wall of INVALID digests would hide the cause.
   */
  keys(region: string): Promise<readonly DigestPublicKey[]>;
  /**
   * Keys in use around `atMs` in `region`, for a backfill digest whose key is not among keys()
   * (aws-cli asks ListPublicKeys for the hour either side of its backfill-generation-timestamp).
   */
  keysAround(region: string, atMs: number): Promise<readonly DigestPublicKey[]>;
}

export type KeyChoice =
  | { readonly found: true; readonly key: DigestPublicKey }
  | { readonly found: false; readonly detail: string };

/**
 * The key with `fingerprint` whose validity window holds `atMs` (a digest's end time, or for a
 * backfill digest the time it was generated). `atLeastMs`: when that time is unknown (a backfill
 * digest read offline without its metadata), a key still valid at or after it will do.
 */
export function choosePublicKey(keys: readonly DigestPublicKey[], fingerprint: string, atMs: number | undefined, atLeastMs?: number): KeyChoice {
  const wanted = fingerprint.toLowerCase();
  const matching = keys.filter((k) => k.fingerprint === wanted);
  if (matching.length === 0) return { found: false, detail: `no key with fingerprint ${fingerprint} among ${keys.length} key${keys.length === 1 ? '' : 's'} of this region` };
  const fits = (k: DigestPublicKey) => atMs !== undefined
    ? (k.validFrom === undefined || k.validFrom <= atMs) && (k.validUntil === undefined || atMs <= k.validUntil)
    : k.validUntil === undefined || atLeastMs === undefined || k.validUntil >= atLeastMs;
  const key = matching.find(fits);
  if (key !== undefined) return { found: true, key };
  const k = matching[0] as DigestPublicKey;
  const when = (ms: number | undefined) => (ms === undefined ? 'open' : new Date(ms).toISOString().replace('.000Z', 'Z'));
  const at = atMs !== undefined ? new Date(atMs).toISOString().replace('.000Z', 'Z') : `after ${when(atLeastMs)}`;
  return { found: false, detail: `the key with fingerprint ${fingerprint} is valid from ${when(k.validFrom)} to ${when(k.validUntil)}, not at ${at}` };
}

function epochOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses what `aws cloudtrail list-public-keys` prints:
 * `{"PublicKeyList":[{"Value":"<base64 DER>","ValidityStartTime":...,"ValidityEndTime":...,"Fingerprint":"<md5 hex>"}]}`.
 * A listed fingerprint that is not the MD5 of the key's bytes is an error, not something to trust.
 */
export function parsePublicKeysJson(text: string, source: string): DigestPublicKey[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${source}: not JSON (${(error as Error).message})`, 'give the output of: aws cloudtrail list-public-keys --region REGION --start-time ...');
  }
  const list = (value as { PublicKeyList?: unknown } | null)?.PublicKeyList;
  if (!Array.isArray(list)) throw usageError(`${source}: no "PublicKeyList" array`, 'give the output of: aws cloudtrail list-public-keys');
  return list.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const raw = e['Value'];
    if (typeof raw !== 'string' || raw.length === 0 || !BASE64.test(raw.replace(/\s+/g, ''))) {
      throw usageError(`${source}: PublicKeyList[${i}].Value is not base64`);
    }
    const der = Buffer.from(raw.replace(/\s+/g, ''), 'base64');
    const key = makePublicKey(der, epochOf(e['ValidityStartTime']), epochOf(e['ValidityEndTime']));
    if ('problem' in key.key) throw usageError(`${source}: PublicKeyList[${i}].Value is not an RSA public key (${key.key.problem})`);
    const listed = e['Fingerprint'];
    if (listed !== undefined && (typeof listed !== 'string' || listed.toLowerCase() !== key.fingerprint)) {
      throw usageError(`${source}: PublicKeyList[${i}].Fingerprint ${String(listed)} is not the MD5 of its Value (${key.fingerprint})`);
    }
    return key;
  });
}

/** Whether `signatureHex` is an RSA PKCS#1 v1.5 SHA-256 signature of `message` by `key`. */
export function verifyRsaSha256(key: KeyObject, message: string, signatureHex: string): boolean {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signatureHex)) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

/** Keys read from `--public-keys [REGION=]FILE`: for one region, or (no region) for any. */
export interface PublicKeyFile {
  readonly region: string | undefined;
  readonly source: string;
  readonly keys: readonly DigestPublicKey[];
}

/**
 * Keys from files (what `aws cloudtrail list-public-keys` prints). A file named for a region serves
 * that region; a file without one serves every region (a key only verifies digests signed with it).
 * A region with no file at all is a setup error naming the flag to add.
 */
export function fileKeyProvider(files: readonly PublicKeyFile[]): PublicKeyProvider {
  const keys = async (region: string) => {
    const found = files.filter((f) => f.region === undefined || f.region === region).flatMap((f) => f.keys);
    if (found.length === 0) throw missingRegionKeys(region, files.length === 0 ? 'no --public-keys file was given for it' : '--public-keys gives no key for it');
    return found;
  };
  return { keys, keysAround: keys };
}

/** The setup error for a region without public keys (exit 2), with the command that gets them. */
export function missingRegionKeys(region: string, why: string): Error {
  return usageError(
    `no CloudTrail public keys for region ${region}: ${why}`,
    `CloudTrail signs each region's digests with that region's own key: add --public-keys ${region}=FILE, made with: aws cloudtrail list-public-keys --region ${region} --start-time START --end-time END > FILE`,
  );
}

const REGION_FILE = /^([a-z]{2,4}(?:-[a-z]+)+-\d+)=(.+)$/;

/** `us-east-1=keys.json` -> region and path; `keys.json` -> no region. */
export function parsePublicKeysArgument(value: string): { region: string | undefined; path: string } {
  const m = REGION_FILE.exec(value);
  return m === null ? { region: undefined, path: value } : { region: m[1] as string, path: m[2] as string };
}
