import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound, mapAwsError } from '../aws/errors.js';
import { ObjectTooLargeError, objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { listWindow } from '../aws/s3-trail-listing.js';
import { MAX_DIGEST_BYTES, type DigestLocation, type DigestStore, type FetchedDigest, type LogCheck, type ScopedFile } from '../core/digest-chain.js';
import { regionRoot, type TrailFileKind } from '../core/s3-layout.js';
import type { FileWindow } from '../core/trail-files.js';
import { gzipSha256 } from './gzip-sha256.js';
import { EVENT_KINDS, folderRoot, windowObjects } from './s3-trail-objects.js';

/** Keys read when searching forward for the first digest after a range (a few days of digests). */
const SEARCH_AFTER_KEYS = 5000;

/** Digests and log files in an S3 bucket; each digest's signature is in its object metadata. */
export class S3DigestStore implements DigestStore {
  readonly offline = false;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  private root(location: DigestLocation, kind: TrailFileKind): string {
    return regionRoot({ prefix: location.prefix, ...(location.orgId === undefined ? {} : { orgId: location.orgId }), account: location.account, kind, region: location.region });
  }

  async listDigestFolder(location: DigestLocation, fromMs: number, toMs: number): Promise<ScopedFile[]> {
    const root = this.root(location, 'CloudTrail-Digest');
    const out: ScopedFile[] = [];
    try {
      for await (const object of listWindow(this.s3, this.bucket, location, 'CloudTrail-Digest', fromMs, toMs, 0)) {
        out.push({ key: object.key, kind: 'CloudTrail-Digest', relative: object.key.slice(root.length), size: object.size });
      }
    } catch (error) {
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${this.bucket}` });
    }
    return out;
  }

  async findDigestAfter(location: DigestLocation, afterDay: string, accept: (name: string) => boolean): Promise<string | undefined> {
    const root = this.root(location, 'CloudTrail-Digest');
    // Keys sort by day folder: start after every key of `afterDay` (DEL sorts after any name there).
    let startAfter: string | undefined = `${root}${afterDay}/\u007f`;
    let token: string | undefined;
    let seen = 0;
    try {
      do {
        const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root, ...(token === undefined ? { StartAfter: startAfter } : { ContinuationToken: token }) }));
        startAfter = undefined;
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          if (accept(o.Key.slice(o.Key.lastIndexOf('/') + 1))) return o.Key;
          seen++;
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined && seen < SEARCH_AFTER_KEYS);
    } catch (error) {
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${this.bucket}` });
    }
    return undefined;
  }

  /** The same listing as `grep --bucket` and `download` for the window: the one set of files. */
  async listEventFiles(location: DigestLocation, window: FileWindow): Promise<ScopedFile[]> {
    const folders = EVENT_KINDS.map((kind) => ({ location, kind, root: folderRoot(location, kind) }));
    const out: ScopedFile[] = [];
    for await (const object of windowObjects(this.s3, this.bucket, folders, window)) {
      out.push({ key: object.key, kind: object.kind, relative: object.key.slice(object.folder.root.length), size: object.size });
    }
    return out;
  }

  async fetchDigest(bucket: string, key: string): Promise<FetchedDigest> {
    try {
      const response = await objectReader(this.s3).get(bucket, key);
      const metadata = response.metadata;
      const signature = metadata['signature'];
      const meta = {
        signature: signature === undefined ? undefined : { signature, algorithm: metadata['signature-algorithm'], source: 'metadata' as const },
        metadata,
      };
      if (response.contentLength !== undefined && response.contentLength > MAX_DIGEST_BYTES) {
        response.body.destroy();
        return { found: true, bytes: new Uint8Array(0), tooLarge: `${response.contentLength} bytes: larger than a digest file can be (${MAX_DIGEST_BYTES / 1024 / 1024} MiB)`, ...meta };
      }
      let bytes: Buffer;
      try {
        bytes = await readObjectBytes(response, MAX_DIGEST_BYTES).finally(() => response.body.destroy());
      } catch (error) {
        if (error instanceof ObjectTooLargeError) return { found: true, bytes: new Uint8Array(0), tooLarge: `${error.message}: larger than a digest file can be`, ...meta };
        throw error;
      }
      return { found: true, bytes, ...meta };
    } catch (error) {
      if (isMissingKey(error)) return { found: false };
      throw mapAwsError(error, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` });
    }
  }

  async hashLog(bucket: string, key: string): Promise<LogCheck> {
    try {
      const response = await objectReader(this.s3).get(bucket, key);
      const result = await gzipSha256(response.body).finally(() => response.body.destroy());
      return result.ok ? { kind: 'hashed', sha256: result.sha256 } : { kind: 'invalid-format', problem: result.problem, reason: result.reason };
    } catch (error) {
      if (isMissingKey(error)) return { kind: 'not-found' };
      throw mapAwsError(error, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` });
    }
  }
}

/** NoSuchKey (or a 404 without a body, as on HEAD); a missing bucket is an error, not a verdict. */
function isMissingKey(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || isNotFound(error);
}
