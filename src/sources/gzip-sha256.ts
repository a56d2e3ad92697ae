import { createHash } from 'node:crypto';
import { createInflateRaw } from 'node:zlib';
import { checkGzipTrailer, crc32Update, gzipHeaderLength } from '../core/digest-gzip.js';

/** Compressed bytes queued for inflation before the reader waits (per stream). */
const QUEUE_LIMIT = 1024 * 1024;

/**
 * Why a stream is not one well-formed gzip member: cut short (`truncated`), followed by more bytes
 * (`trailing-data`), or anything else (`corrupt`: not gzip, bad deflate data, CRC or length).
 * aws-cli words these differently (hash mismatch, trailing data, invalid format), so callers do too.
 */
export type GzipProblemKind = 'truncated' | 'trailing-data' | 'corrupt';

export type GzipHashResult = { ok: true; sha256: string; size: number } | { ok: false; problem: string; reason: GzipProblemKind };

/**
 * SHA-256 of the uncompressed bytes of a single-member gzip stream, streamed: memory stays at a
 * few chunks whatever the file size. Anything but exactly one well-formed member (not gzip, a
 * truncated or corrupt member, a second member or other bytes after the first) is a problem.
 */
export async function gzipSha256(source: AsyncIterable<Uint8Array | string>): Promise<GzipHashResult> {
  const hash = createHash('sha256');
  // Larger output chunks: fewer round trips to the zlib thread pool and fewer hash updates.
  const inflate = createInflateRaw({ chunkSize: 128 * 1024 });
  let crc: number | undefined = 0;
  let size = 0;
  let inflateError: Error | undefined;
  inflate.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    if (crc !== undefined) crc = crc32Update(chunk, crc);
    size += chunk.length;
  });
  const ended = new Promise<void>((resolve) => {
    inflate.once('end', resolve);
    inflate.once('error', (error) => {
      inflateError = error;
      resolve();
    });
  });

  let head: Buffer | undefined = Buffer.alloc(0);
  let total = 0;
  let headerLength = 0;
  // The last 8 bytes seen: the gzip trailer when the member ends exactly at the end of the file.
  let tail = Buffer.alloc(0);
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (chunk.length === 0) continue;
    total += chunk.length;
    tail = tail.length + chunk.length <= 8 ? Buffer.concat([tail, chunk]) : Buffer.from(chunk.length >= 8 ? chunk.subarray(chunk.length - 8) : Buffer.concat([tail, chunk]).subarray(-8));
    let body: Buffer = chunk;
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      const header = gzipHeaderLength(head);
      if (header.ok === 'more') continue;
      if (!header.ok) {
        inflate.destroy();
        return { ok: false, problem: header.problem, reason: 'corrupt' };
      }
      headerLength = header.length;
      body = head.subarray(header.length);
      head = undefined;
    }
    if (inflateError !== undefined) break;
    // Only wait when a good amount is queued: a drain per network chunk costs more than it saves.
    if (body.length > 0 && !inflate.write(body) && inflate.writableLength > QUEUE_LIMIT) {
      await new Promise<void>((resolve) => {
        const done = () => {
          inflate.off('drain', done);
          inflate.off('error', done);
          resolve();
        };
        inflate.on('drain', done);
        inflate.on('error', done);
      });
    }
  }
  if (head !== undefined) {
    inflate.destroy();
    return { ok: false, problem: total === 0 ? 'empty file' : 'truncated gzip header', reason: 'truncated' };
  }
  inflate.end();
  await ended;
  if (inflateError !== undefined) {
    const cut = (inflateError as { code?: string }).code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(inflateError.message);
    return { ok: false, problem: cut ? 'truncated gzip data' : `corrupt gzip data (${inflateError.message})`, reason: cut ? 'truncated' : 'corrupt' };
  }
  const rest = total - headerLength - inflate.bytesWritten;
  if (rest < 8) return { ok: false, problem: 'truncated gzip trailer', reason: 'truncated' };
  if (rest > 8) return { ok: false, problem: 'data after the first gzip member', reason: 'trailing-data' };
  const problem = checkGzipTrailer(tail, crc, size);
  if (problem !== undefined) return { ok: false, problem, reason: 'corrupt' };
  return { ok: true, sha256: hash.digest('hex'), size };
}
