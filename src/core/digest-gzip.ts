/**
 * Gzip as CloudTrail writes it: exactly one member. Node's gunzip quietly reads concatenated
 * members (and ignores some trailing bytes), so a log file with data appended after its first
 * member would decompress to more than CloudTrail hashed, or hide the extra data: both are
 * "invalid format" here. The deflate body is inflated raw and the gzip header and trailer
 * (CRC-32, length) are checked by hand.
 */
import * as zlib from 'node:zlib';

const FTEXT_FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

export type GzipHeader = { ok: true; length: number } | { ok: false; problem: string } | { ok: 'more' };

/** Parses a gzip member header at the start of `bytes`: its length, or `more` when cut short. */
export function gzipHeaderLength(bytes: Uint8Array): GzipHeader {
  if (bytes.length < 10) return bytes.length >= 2 && (bytes[0] !== 0x1f || bytes[1] !== 0x8b) ? { ok: false, problem: 'not gzip' } : { ok: 'more' };
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { ok: false, problem: 'not gzip' };
  if (bytes[2] !== 8) return { ok: false, problem: 'gzip with an unknown compression method' };
  const flags = bytes[3] as number;
  if (flags & 0xe0) return { ok: false, problem: 'gzip header with reserved flags set' };
  let at = 10;
  if (flags & FEXTRA) {
    if (bytes.length < at + 2) return { ok: 'more' };
    at += 2 + ((bytes[at] as number) | ((bytes[at + 1] as number) << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      if (at >= bytes.length) return { ok: 'more' };
      at++;
    }
  }
  if (flags & FTEXT_FHCRC) at += 2;
  if (bytes.length < at) return { ok: 'more' };
  return { ok: true, length: at };
}

const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Incremental CRC-32 (zlib's), or undefined on a Node without zlib.crc32 (before 20.15). */
export function crc32Update(data: Uint8Array, value: number): number | undefined {
  return crc32 === undefined ? undefined : crc32(data, value);
}

/** Checks the 8-byte trailer against the CRC-32 and length of what was inflated. */
export function checkGzipTrailer(trailer: Uint8Array, crc: number | undefined, size: number): string | undefined {
  if (trailer.length !== 8) return 'truncated gzip trailer';
  const view = Buffer.from(trailer);
  if (crc !== undefined && view.readUInt32LE(0) !== crc >>> 0) return 'gzip CRC-32 mismatch';
  if (view.readUInt32LE(4) !== size % 2 ** 32) return 'gzip length mismatch';
  return undefined;
}

/**
 * Decompresses a whole single-member gzip buffer (digest files, which are small). Inflating stops
 * at `maxOutput` bytes: a few kilobytes of deflate data can expand to gigabytes.
 */
export function gunzipSingleMember(bytes: Uint8Array, maxOutput = Number.MAX_SAFE_INTEGER): { ok: true; data: Buffer } | { ok: false; problem: string } {
  const header = gzipHeaderLength(bytes);
  if (header.ok === 'more') return { ok: false, problem: 'truncated gzip header' };
  if (!header.ok) return header;
  let result: { buffer: Buffer; engine: zlib.InflateRaw };
  try {
    const options = { info: true, ...(maxOutput < Number.MAX_SAFE_INTEGER ? { maxOutputLength: maxOutput } : {}) };
    result = zlib.inflateRawSync(Buffer.from(bytes.buffer, bytes.byteOffset + header.length, bytes.length - header.length), options) as unknown as { buffer: Buffer; engine: zlib.InflateRaw };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, problem: `inflates past ${formatMiB(maxOutput)}` };
    return { ok: false, problem: `corrupt gzip data (${(error as Error).message})` };
  }
  const consumed = header.length + result.engine.bytesWritten;
  const rest = bytes.length - consumed;
  if (rest < 8) return { ok: false, problem: 'truncated gzip trailer' };
  if (rest > 8) return { ok: false, problem: 'data after the first gzip member' };
  const problem = checkGzipTrailer(bytes.subarray(consumed), crc32Update(result.buffer, 0), result.buffer.length);
  return problem === undefined ? { ok: true, data: result.buffer } : { ok: false, problem };
}

function formatMiB(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
