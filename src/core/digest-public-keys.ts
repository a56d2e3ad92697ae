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

/** Keys by fingerprint. */
export type PublicKeySet = ReadonlyMap<string, DigestPublicKey>;

export function publicKeySet(keys: readonly DigestPublicKey[]): PublicKeySet {
  return new Map(keys.map((k) => [k.fingerprint, k]));
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
    throw usageError(`${source}: not JSON (${(error as Error).message})`, 'give the output of: aws cloudtrail list-public-keys --start-time ... --region HOME_REGION');
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
