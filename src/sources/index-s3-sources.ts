/**
 * The objects of a trail bucket's window as index sources (`index --bucket`, `--trail`): the id is
 * `s3://bucket/key`, the version its ETag. An object is read in one piece up to the limit the
 * builder gives, as `grep --bucket` reads it, and streamed beyond it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SourceVerdict } from '../core/index-manifest.js';
import { ObjectTooLargeError, objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { TOO_LARGE, type IndexSource } from './index-sources.js';
import { describeObjectFailure } from './s3-object-errors.js';
import type { TrailObject } from './s3-trail-objects.js';

function objectFailure(error: unknown): Error {
  return new Error(describeObjectFailure(error).message, { cause: error });
}

export async function* s3Sources(
  s3: S3Client,
  bucket: string,
  objects: AsyncIterable<TrailObject>,
  verdicts?: ReadonlyMap<string, SourceVerdict>,
): AsyncIterable<IndexSource> {
  const reader = objectReader(s3);
  for await (const object of objects) {
    const id = `s3://${bucket}/${object.key}`;
    const verdict = verdicts?.get(id);
    yield {
      id,
      size: object.size,
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      ...(verdict === undefined ? {} : { verdict }),
      async read(limit) {
        try {
          const body = await reader.get(bucket, object.key);
          try {
            return await readObjectBytes(body, limit);
          } finally {
            body.body.destroy();
          }
        } catch (error) {
          if (error instanceof ObjectTooLargeError) return TOO_LARGE;
          throw objectFailure(error);
        }
      },
      async *stream() {
        let body;
        try {
          body = (await reader.get(bucket, object.key)).body;
        } catch (error) {
          throw objectFailure(error);
        }
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
        } catch (error) {
          throw objectFailure(error);
        } finally {
          body.destroy();
        }
      },
    };
  }
}
