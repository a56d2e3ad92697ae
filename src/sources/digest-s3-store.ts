import type { S3Client } from '@aws-sdk/client-s3';
import { isNotFound, mapAwsError } from '../aws/errors.js';
import { objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { listWindow } from '../aws/s3-trail-listing.js';
import type { DigestLocation, DigestStore, FetchedDigest, LogCheck } from '../core/digest-chain.js';
import type { TrailFileKind } from '../core/s3-layout.js';
import { gzipSha256 } from './gzip-sha256.js';

/** Digests and log files in an S3 bucket; each digest's signature is in its object metadata. */
export class S3DigestStore implements DigestStore {
  readonly offline = false;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  private async list(location: DigestLocation, kind: TrailFileKind, fromMs: number, toMs: number): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const object of listWindow(this.s3, this.bucket, location, kind, fromMs, toMs, 0)) keys.push(object.key);
    } catch (error) {
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${this.bucket}` });
    }
    return keys;
  }

  listDigestKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]> {
    return this.list(location, 'CloudTrail-Digest', fromMs, toMs);
  }

  listLogKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]> {
    return this.list(location, 'CloudTrail', fromMs, toMs);
  }

  async fetchDigest(bucket: string, key: string): Promise<FetchedDigest> {
    try {
      const response = await objectReader(this.s3).get(bucket, key);
      const bytes = await readObjectBytes(response).finally(() => response.body.destroy());
      const metadata = response.metadata;
      const signature = metadata['signature'];
      return {
        found: true,
        bytes,
        signature: signature === undefined ? undefined : { signature, algorithm: metadata['signature-algorithm'], source: 'metadata' },
      };
    } catch (error) {
      if (isMissingKey(error)) return { found: false };
      throw mapAwsError(error, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` });
    }
  }

  async hashLog(bucket: string, key: string): Promise<LogCheck> {
    try {
      const response = await objectReader(this.s3).get(bucket, key);
      const result = await gzipSha256(response.body).finally(() => response.body.destroy());
      return result.ok ? { kind: 'hashed', sha256: result.sha256 } : { kind: 'invalid-format', problem: result.problem };
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
