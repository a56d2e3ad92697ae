/**
 * An index in S3 (`index --to s3://bucket/prefix`): the rules that decide, from the objects under
 * the prefix and the files of the local working folder, what is uploaded, what is deleted and
 * whether the working folder must first be brought up to date from S3. Pure: the calls are made
 * by aws/index-s3.ts and sources/index-s3-sync.ts.
 *
 *   s3://bucket/prefix/trailkit-index.json                      what the prefix is
 *   s3://bucket/prefix/batches/BATCH.json                       the committed batches
 *   s3://bucket/prefix/data/account=A/region=R/date=D/*.parquet what Athena reads (LOCATION .../data/)
 */
import { INDEX_MARKER, isPartPath } from './index-manifest.js';

export interface S3Location {
  readonly bucket: string;
  /** Without leading or trailing slashes; '' for the bucket's root. */
  readonly prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket[/prefix][/]`; undefined when it is not one (a bucket name S3 would refuse, say). */
export function parseS3Location(url: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(url);
  if (m === null) return undefined;
  const bucket = m[1] as string;
  if (!BUCKET.test(bucket) || bucket.includes('..')) return undefined;
  const raw = m[2] ?? '';
  // A key may start with / or hold //; the index's prefix may not (it would be read as another one).
  if (raw.startsWith('/') || raw.replace(/\/+$/, '').includes('//')) return undefined;
  const prefix = raw.replace(/\/+$/, '');
  // A key is at most 1,024 bytes; the index adds its own path below the prefix.
  if (Buffer.byteLength(prefix) > 700) return undefined;
  return { bucket, prefix };
}

export function s3Url(location: S3Location, rel = ''): string {
  return `s3://${location.bucket}/${location.prefix === '' ? '' : `${location.prefix}/`}${rel}`;
}

/** The object key of a file of the index (a path relative to the index folder). */
export function objectKey(location: S3Location, rel: string): string {
  return location.prefix === '' ? rel : `${location.prefix}/${rel}`;
}

/** A key under the prefix, relative to it; undefined for a key outside it. */
export function relativeKey(location: S3Location, key: string): string | undefined {
  if (location.prefix === '') return key;
  return key.startsWith(`${location.prefix}/`) ? key.slice(location.prefix.length + 1) : undefined;
}

/** A committed batch's manifest, as the index names it (never `..`, never a folder). */
export function isBatchPath(rel: string): boolean {
  return /^batches\/[A-Za-z0-9_-]{1,80}\.json$/.test(rel);
}

/** A file of the index by its path: the marker, a batch manifest or a part file. */
export function isIndexFile(rel: string): boolean {
  return rel === INDEX_MARKER || isBatchPath(rel) || isPartPath(rel);
}

/** Where the index lives under the prefix: what the sync writes and may delete. */
export function inIndexFolders(rel: string): boolean {
  return rel.startsWith('data/') || rel.startsWith('batches/');
}

/**
 * The working folder of an S3 index under the cache folder, one per bucket and prefix: the
 * bucket, then the prefix as one folder name with every character but letters, digits, `-` and
 * `_` escaped (so no prefix can name `..` or another bucket's folder), or a hash of it when the
 * name would be longer than a file name may be.
 */
export function workFolderSegments(location: S3Location, sha256: (text: string) => string): [string, string] {
  if (location.prefix === '') return [location.bucket, '@'];
  const escaped = [...Buffer.from(location.prefix, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
  return [location.bucket, escaped.length <= 200 ? escaped : `@${sha256(location.prefix).slice(0, 32)}`];
}

/** An object under the prefix, from the listing. */
export interface RemoteObject {
  readonly rel: string;
  readonly size: number;
  /** The ETag without its quotes, lower-case. */
  readonly etag: string;
}

/** A file of the local index to upload. */
export interface LocalFile {
  readonly rel: string;
  readonly size: number;
  /** Hex MD5 of its bytes. */
  readonly md5: string;
}

/**
 * What this working folder last uploaded or downloaded, by path: the S3 ETag of an object whose
 * bytes had this MD5. An SSE-KMS or SSE-C object's ETag is not the MD5 of its bytes (only a
 * plaintext or SSE-S3 single-part object's is), so the ETag S3 answered is remembered.
 */
export interface SyncRecord {
  readonly bucket: string;
  readonly prefix: string;
  readonly files: Record<string, { readonly size: number; readonly md5: string; readonly etag: string; readonly mtimeMs?: number }>;
}

export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();
}

/** Whether S3 holds the same bytes as a local file: the same size, and its MD5 as ETag or the ETag recorded for that MD5. */
export function sameObject(local: LocalFile, remote: RemoteObject | undefined, record: SyncRecord | undefined): boolean {
  if (remote === undefined || remote.size !== local.size) return false;
  if (remote.etag === local.md5) return true;
  const known = record?.files[local.rel];
  return known !== undefined && known.md5 === local.md5 && known.size === local.size && known.etag === remote.etag;
}

/** Keys under the prefix's data/ and batches/ that are not files of an index (a zero-byte "folder" key ending in / is not counted). */
export function foreignObjects(remote: Iterable<RemoteObject>): string[] {
  const out: string[] = [];
  for (const o of remote) {
    if (!inIndexFolders(o.rel)) continue;
    if (o.rel.endsWith('/') && o.size === 0) continue;
    if (!isIndexFile(o.rel)) out.push(o.rel);
  }
  return out.sort();
}

export interface PushPlan {
  /** Part files first, then manifests in batch order, then the marker: a reader never finds a manifest before its files. */
  readonly upload: LocalFile[];
  readonly unchanged: number;
  /** Index files under data/ and batches/ that the local index no longer has; deleted once every upload succeeded. */
  readonly remove: string[];
}

function uploadRank(rel: string): number {
  return isPartPath(rel) ? 0 : isBatchPath(rel) ? 1 : 2;
}

export function planPush(local: readonly LocalFile[], remote: ReadonlyMap<string, RemoteObject>, record: SyncRecord | undefined): PushPlan {
  const upload = local.filter((f) => !sameObject(f, remote.get(f.rel), record));
  upload.sort((a, b) => uploadRank(a.rel) - uploadRank(b.rel) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const keep = new Set(local.map((f) => f.rel));
  const remove = [...remote.values()].filter((o) => inIndexFolders(o.rel) && isIndexFile(o.rel) && !keep.has(o.rel)).map((o) => o.rel).sort();
  return { upload, unchanged: local.length - upload.length, remove };
}

/** The batch names of the manifests among the objects. */
export function remoteBatches(remote: Iterable<RemoteObject>): string[] {
  const out: string[] = [];
  for (const o of remote) if (isBatchPath(o.rel)) out.push(o.rel.slice('batches/'.length, -'.json'.length));
  return out.sort();
}

/** Batches in S3 that the working folder lacks: then it is behind (another machine extended the index) and is brought up to date first. */
export function batchesBehind(remote: readonly string[], local: readonly string[]): string[] {
  const have = new Set(local);
  return remote.filter((b) => !have.has(b));
}
