/**
 * The sources an index reads, as the other commands read them: a folder walk (local-files.ts)
 * or the window's objects of a trail bucket (s3-trail-objects.ts windowObjects), never another
 * listing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SourceVerdict } from '../core/index-manifest.js';
import type { IndexSource } from './index-builder.js';
import { describeFsError, STDIN_PATH, type InputFile } from './local-files.js';
import type { TrailObject } from './s3-trail-objects.js';

/** Local files; their id is the absolute path (so an index built from another folder still knows them). */
export function* localSources(files: readonly InputFile[], options: { hash: boolean; verdicts?: ReadonlyMap<string, SourceVerdict> }): Iterable<IndexSource> {
  for (const file of files) {
    if (file.path === STDIN_PATH) continue;
    const id = resolve(file.path);
    const verdict = options.verdicts?.get(id);
    yield {
      id,
      size: file.size,
      mtimeMs: Math.floor(file.mtimeMs),
      ...(verdict === undefined ? {} : { verdict }),
      async read() {
        try {
          return await readFile(file.path);
        } catch (error) {
          throw new Error(describeFsError(error));
        }
      },
    };
  }
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** S3 objects of a trail's window; the id is `s3://bucket/key`, the version its ETag. */
export async function* s3Sources(
  objects: AsyncIterable<TrailObject>,
  bucket: string,
  fetch: (key: string) => Promise<Buffer>,
  verdicts?: ReadonlyMap<string, SourceVerdict>,
): AsyncIterable<IndexSource> {
  for await (const object of objects) {
    const id = `s3://${bucket}/${object.key}`;
    const verdict = verdicts?.get(id);
    yield {
      id,
      size: object.size,
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      ...(verdict === undefined ? {} : { verdict }),
      read: () => fetch(object.key),
    };
  }
}
