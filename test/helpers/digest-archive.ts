import { PutObjectCommand, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generateArchive } from '../../fixtures/generate.mjs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { digestText, makeSigningKey, signArchive, type SignedDigest, type SigningKey, type SignOptions } from '../../fixtures/digest-signer.mjs';

export const BUCKET = 'trail-bucket';
export const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main';
export const START = '2026-11-19T23:00:00Z';
export const END = '2026-11-20T04:00:00Z';
export const RANGE = ['--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', END];

export interface SignedArchive {
  dir: string;
  key: SigningKey;
  digests: SignedDigest[];
  /** Digest keys oldest first (one account-region). */
  d: string[];
  /** Log keys in delivery order. */
  logs: string[];
  keysFile: string;
}

let sharedKey: SigningKey | undefined;
/** One RSA key per test file: generating one takes ~100 ms. */
export function testKey(): SigningKey {
  sharedKey ??= makeSigningKey();
  return sharedKey;
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `trailkit-digest-${label}-`));
}

export function walkFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel))) {
    const child = rel === '' ? name : `${rel}/${name}`;
    if (statSync(join(dir, child)).isDirectory()) out.push(...walkFiles(dir, child));
    else out.push(child);
  }
  return out.sort();
}

/**
 * One account, one region, 3 hours of logs (2 files an hour) and hourly digests from 23:04:04 to
 * 04:04:04: D0, D4 and D5 are empty hours (`"logFiles": []`).
 */
export function buildArchive(options: Partial<SignOptions> & { label?: string } = {}): SignedArchive {
  const dir = tempDir(options.label ?? 'base');
  generateArchive({ out: dir, accounts: ['111111111111'], regions: ['us-east-1'], start: START, hours: 3, filesPerHour: 2, eventsPerFile: 5, duplicates: 0, marker: false });
  const key = testKey();
  const { digests } = signArchive({ dir, bucket: BUCKET, trailName: 'main', homeRegion: 'us-east-1', key, start: START, end: END, ...options });
  const keysFile = join(dir, '..', `${dir.split('/').pop()}-keys.json`);
  writeFileSync(keysFile, JSON.stringify(key.publicKeysJson()));
  const logs = walkFiles(dir).filter((f) => f.includes('/CloudTrail/'));
  return { dir, key, digests, d: digests.map((x) => x.key), logs, keysFile };
}

/** A copy of an archive to tamper with. */
export function copyArchive(archive: SignedArchive, label: string): SignedArchive {
  const dir = tempDir(label);
  cpSync(archive.dir, dir, { recursive: true });
  return { ...archive, dir };
}

export const url = (key: string) => `s3://${BUCKET}/${key}`;

/** The stderr block of aws-cli for INVALID lines: each followed by a blank line. */
export const errorLines = (...lines: string[]) => lines.map((l) => `${l}\n\n`).join('');

/** Uploads an archive to a bucket; each digest gets the metadata its sidecar holds (if any). */
export async function uploadArchive(s3: S3Client, bucket: string, dir: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const files = walkFiles(dir).filter((f) => !f.endsWith('.meta.json') && !f.startsWith('.'));
  await Promise.all(files.map(async (rel) => {
    const sidecar = join(dir, `${rel}.meta.json`);
    let metadata: Record<string, string> | undefined;
    if (existsSync(sidecar)) {
      const parsed = JSON.parse(readFileSync(sidecar, 'utf8')) as { signature: string; signatureAlgorithm: string; metadata?: Record<string, string> };
      metadata = parsed.metadata ?? { signature: parsed.signature, 'signature-algorithm': parsed.signatureAlgorithm };
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dir, join(dir, rel)), Body: readFileSync(join(dir, rel)), ...(metadata === undefined ? {} : { Metadata: metadata }) }));
  }));
}

/** Deletes every `.meta.json` signature sidecar (an archive copied without S3 metadata). */
export function removeSidecars(archive: SignedArchive): void {
  for (const f of walkFiles(archive.dir)) if (f.endsWith('.meta.json')) rmSync(join(archive.dir, f));
}

/** Rewrites a digest after `edit(doc)` WITHOUT signing it again, as a forger without the key would. */
export function forgeDigest(archive: SignedArchive, key: string, edit: (doc: Record<string, unknown>) => void): void {
  const file = join(archive.dir, key);
  const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, gzipSync(Buffer.from(digestText(doc), 'utf8')));
}
