/**
 * The sources an index reads, as the other commands read them: a folder walk (local-files.ts)
 * or the window's objects of a trail bucket (index-s3-sources.ts), never another listing. A
 * source is read in one piece when it is small, as grep reads it, and streamed otherwise.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { SourceFacts, SourceVerdict } from '../core/index-manifest.js';
import { describeFsError, STDIN_PATH, type InputFile } from './local-files.js';
import { STREAM_CHUNK_BYTES } from './file-search.js';
import { FileTooLargeError, NotAFileError, openRegularFile, readRegularFileAsync } from './regular-file.js';

/** What `IndexSource.read` answers for a source larger than it was asked to hold. */
export const TOO_LARGE = Symbol('too large');

/** One source to index: what identifies its content, and how to read its bytes. */
export interface IndexSource extends SourceFacts {
  /** The integrity verdict of `--validate`, when it ran. */
  readonly verdict?: SourceVerdict;
  /** Its bytes in one piece when there are at most `limit`, else TOO_LARGE. Throws an Error whose message is one line. */
  read(limit: number): Promise<Buffer | typeof TOO_LARGE>;
  /** Its bytes as a stream (for a source too large to hold); fails with a one-line message. */
  stream(): AsyncIterable<Buffer>;
}

function fsFailure(error: unknown): Error {
  return new Error(error instanceof NotAFileError ? error.reason : describeFsError(error));
}

async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  let fd: number;
  try {
    fd = openRegularFile(path).fd;
  } catch (error) {
    throw fsFailure(error);
  }
  const stream = createReadStream('', { fd, highWaterMark: STREAM_CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw fsFailure(error);
  } finally {
    stream.destroy();
  }
}

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
      async read(limit) {
        try {
          return await readRegularFileAsync(file.path, limit);
        } catch (error) {
          if (error instanceof FileTooLargeError) return TOO_LARGE;
          throw fsFailure(error);
        }
      },
      stream: () => fileChunks(file.path),
    };
  }
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
