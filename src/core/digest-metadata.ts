/**
 * The signature-metadata sidecar that `trailkit download` keeps beside each digest file, so a
 * downloaded archive can be validated offline including its newest digest (whose signature exists
 * only in the S3 object metadata).
 *
 * Name: `<digest object name>.meta.json` in the digest's folder, e.g.
 * `111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T010404Z.json.gz.meta.json`.
 *
 * Content (UTF-8 JSON object):
 *   {
 *     "format": "trailkit-digest-metadata/1",     // required; readers refuse other versions
 *     "bucket": "my-trail-bucket",                // required: the S3 bucket it was read from
 *     "key": "AWSLogs/.../....json.gz",          // required: its original S3 key
 *     "signature": "<hex>",                       // required: x-amz-meta-signature
 *     "signatureAlgorithm": "SHA256withRSA",      // required: x-amz-meta-signature-algorithm
 *     "etag": "\"9b2c...\"",                      // optional: ETag of the GetObject, quotes kept
 *     "versionId": "3HL4...",                      // optional: S3 version id when versioning is on
 *     "lastModified": "2026-11-20T01:04:09.000Z",  // optional
 *     "metadata": { "signature": "...", ... }      // optional: every x-amz-meta-* header as read
 *   }
 *
 * `metadata` keeps headers trailkit does not interpret yet (backfill digests carry
 * `backfill-generation-timestamp`); `versionId` and `etag` let a later run notice a replaced object.
 */

export const DIGEST_METADATA_FORMAT = 'trailkit-digest-metadata/1';
export const DIGEST_METADATA_SUFFIX = '.meta.json';

export interface DigestMetadata {
  readonly format: typeof DIGEST_METADATA_FORMAT;
  readonly bucket: string;
  readonly key: string;
  readonly signature: string;
  readonly signatureAlgorithm: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly lastModified?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The sidecar's file name for a digest file name (or path). */
export function digestMetadataName(digestName: string): string {
  return `${digestName}${DIGEST_METADATA_SUFFIX}`;
}

/** Builds the sidecar from a GetObject/HeadObject response of a digest. */
export function digestMetadataFromS3(input: {
  bucket: string;
  key: string;
  metadata: Readonly<Record<string, string>> | undefined;
  etag?: string | undefined;
  versionId?: string | undefined;
  lastModified?: Date | undefined;
}): DigestMetadata | { problem: string } {
  const meta = input.metadata ?? {};
  const signature = meta['signature'];
  const signatureAlgorithm = meta['signature-algorithm'];
  if (signature === undefined || signatureAlgorithm === undefined) return { problem: 'the object has no signature / signature-algorithm metadata' };
  return {
    format: DIGEST_METADATA_FORMAT,
    bucket: input.bucket,
    key: input.key,
    signature,
    signatureAlgorithm,
    ...(input.etag === undefined ? {} : { etag: input.etag }),
    ...(input.versionId === undefined ? {} : { versionId: input.versionId }),
    ...(input.lastModified === undefined ? {} : { lastModified: input.lastModified.toISOString() }),
    metadata: { ...meta },
  };
}

export function serializeDigestMetadata(metadata: DigestMetadata): string {
  const ordered: Record<string, unknown> = {
    format: metadata.format,
    bucket: metadata.bucket,
    key: metadata.key,
    signature: metadata.signature,
    signatureAlgorithm: metadata.signatureAlgorithm,
  };
  for (const field of ['etag', 'versionId', 'lastModified', 'metadata'] as const) {
    if (metadata[field] !== undefined) ordered[field] = metadata[field];
  }
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Parses and validates a sidecar; the problem says what is wrong. */
export function parseDigestMetadata(text: string): { ok: true; metadata: DigestMetadata } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v['format'] !== DIGEST_METADATA_FORMAT) return { ok: false, problem: `format is ${JSON.stringify(v['format'])}, expected "${DIGEST_METADATA_FORMAT}"` };
  for (const field of ['bucket', 'key', 'signature', 'signatureAlgorithm'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') return { ok: false, problem: `"${field}" is missing or not a string` };
  }
  if (!HEX.test(v['signature'] as string)) return { ok: false, problem: '"signature" is not hex' };
  for (const field of ['etag', 'versionId', 'lastModified'] as const) {
    if (v[field] !== undefined && typeof v[field] !== 'string') return { ok: false, problem: `"${field}" is not a string` };
  }
  const meta = v['metadata'];
  if (meta !== undefined) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || Object.values(meta).some((x) => typeof x !== 'string')) {
      return { ok: false, problem: '"metadata" is not an object of strings' };
    }
  }
  return {
    ok: true,
    metadata: {
      format: DIGEST_METADATA_FORMAT,
      bucket: v['bucket'] as string,
      key: v['key'] as string,
      signature: v['signature'] as string,
      signatureAlgorithm: v['signatureAlgorithm'] as string,
      ...(v['etag'] === undefined ? {} : { etag: v['etag'] as string }),
      ...(v['versionId'] === undefined ? {} : { versionId: v['versionId'] as string }),
      ...(v['lastModified'] === undefined ? {} : { lastModified: v['lastModified'] as string }),
      ...(meta === undefined ? {} : { metadata: meta as Record<string, string> }),
    },
  };
}
