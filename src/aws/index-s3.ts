/**
 * The S3 calls of an index kept in S3 (`index --to s3://bucket/prefix`): list the prefix, read a
 * manifest, download a part file, upload a file with its MD5 checked by S3, delete objects. Each
 * failure is a one-line TrailkitError naming the object and, for AccessDenied, the IAM action.
 */
import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { TrailkitError } from '../core/errors.js';
import { normalizeEtag, objectKey, relativeKey, s3Url, type RemoteObject, type S3Location } from '../core/index-sync.js';
import { mapAwsError } from './errors.js';
import { listObjects } from './s3-trail-listing.js';
import { objectReader, readObjectBytes } from './s3-object-reader.js';

/** Every object under the prefix, by its path relative to the prefix. */
export async function listIndexObjects(s3: S3Client, location: S3Location): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  const root = location.prefix === '' ? '' : `${location.prefix}/`;
  try {
    for await (const o of listObjects(s3, location.bucket, root)) {
      const rel = relativeKey(location, o.key);
      if (rel !== undefined && rel !== '') out.set(rel, { rel, size: o.size, etag: normalizeEtag(o.etag) });
    }
  } catch (error) {
    throw mapAwsError(error, { action: 's3:ListBucket', resource: s3Url(location) });
  }
  return out;
}

/** A manifest's text (a few KB to a few MB; larger is not a manifest trailkit wrote). */
export async function readIndexObject(s3: S3Client, location: S3Location, rel: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
  try {
    const object = await objectReader(s3).get(location.bucket, objectKey(location, rel));
    try {
      return await readObjectBytes(object, maxBytes);
    } finally {
      object.body.destroy();
    }
  } catch (error) {
    throw mapAwsError(error, { action: 's3:GetObject', resource: s3Url(location, rel) });
  }
}

/** Downloads an object to `path` (through a temporary file beside it), checking its size. */
export async function downloadIndexObject(s3: S3Client, location: S3Location, rel: string, path: string, expectedSize: number): Promise<void> {
  const tmp = `${path}.part`;
  try {
    const object = await objectReader(s3).get(location.bucket, objectKey(location, rel));
    let received = 0;
    object.body.on('data', (chunk: Buffer) => (received += chunk.length));
    await pipeline(object.body, createWriteStream(tmp));
    if (received !== expectedSize) {
      throw new TrailkitError('aws', `${s3Url(location, rel)}: downloaded ${received} bytes, the listing said ${expectedSize}`, { hint: 'the object changed while it was read; run again' });
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw mapAwsError(error, { action: 's3:GetObject', resource: s3Url(location, rel) });
  }
}

/** Uploads one file's bytes; S3 checks them against their MD5 (Content-MD5). Returns the ETag S3 gave it. */
export async function uploadIndexObject(s3: S3Client, location: S3Location, rel: string, body: Buffer, md5Base64: string): Promise<string> {
  try {
    const answer = await s3.send(new PutObjectCommand({
      Bucket: location.bucket,
      Key: objectKey(location, rel),
      Body: body,
      ContentMD5: md5Base64,
      ContentType: rel.endsWith('.json') ? 'application/json' : 'application/vnd.apache.parquet',
    }));
    return normalizeEtag(answer.ETag);
  } catch (error) {
    throw mapAwsError(error, { action: 's3:PutObject', resource: s3Url(location, rel) });
  }
}

/**
 * Deletes objects, 1,000 per DeleteObjects call. S3 answers 200 even when some keys were not
 * deleted (each with its own error, AccessDenied say): any such key is an error naming it.
 */
export async function deleteIndexObjects(s3: S3Client, location: S3Location, rels: readonly string[]): Promise<void> {
  for (let i = 0; i < rels.length; i += 1000) {
    const chunk = rels.slice(i, i + 1000);
    let errors: { Key?: string; Code?: string; Message?: string }[];
    try {
      const answer = await s3.send(new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: chunk.map((rel) => ({ Key: objectKey(location, rel) })), Quiet: true } }));
      errors = answer.Errors ?? [];
    } catch (error) {
      throw mapAwsError(error, { action: 's3:DeleteObject', resource: s3Url(location, chunk[0]) });
    }
    const first = errors[0];
    if (first !== undefined) {
      const code = first.Code ?? 'Error';
      const where = `s3://${location.bucket}/${first.Key ?? ''}`;
      if (code === 'AccessDenied') throw new TrailkitError('access-denied', `s3:DeleteObject on ${where}: access denied${errors.length > 1 ? ` (and ${errors.length - 1} more objects)` : ''}`, { hint: 'the caller needs the IAM permission s3:DeleteObject' });
      throw new TrailkitError('aws', `s3:DeleteObject on ${where}: AWS answered ${code}${first.Message === undefined ? '' : `: ${first.Message}`}${errors.length > 1 ? ` (and ${errors.length - 1} more objects)` : ''}`);
    }
  }
}
