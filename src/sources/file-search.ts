import { closeSync, createReadStream, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { DocumentSearch, type Match } from '../core/document-search.js';
import { DocumentFormatError } from '../core/record-scanner.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { deliveryAccountOf, type CloudTrailRecord, type RecordContext } from '../core/record.js';
import { InflatesPastLimit, WholeGunzip } from './gunzip-whole.js';
import { describeFsError } from './local-files.js';
import { FileTooLargeError, NotAFileError, openRegularFile } from './regular-file.js';

/** A match as it crosses a worker boundary: text and time; the record is parsed again if needed. */
export interface WireMatch {
  /** The record's position in its file, from 0. */
  readonly index: number;
  readonly raw: string;
  readonly time: number | undefined;
  /** The record's top-level `eventID`, which tail -f de-duplicates on. */
  readonly eventId?: string;
  /**
   * The record as the search parsed it, when it was asked to keep it (keepRecords) and the file
   * was searched in this thread: never sent between threads, where copying it costs more than
   * parsing `raw` again.
   */
  readonly record?: CloudTrailRecord;
}

export interface FileSearchOptions {
  /** Keep only the N newest matches of the file (tail). */
  readonly keepNewest?: number;
  /** Stop after this many matches (grep --limit). */
  readonly limit?: number;
  /** Count matches without keeping them (grep --count). */
  readonly countOnly?: boolean;
  /** Keep each match's parsed record (WireMatch.record), for a consumer that reads its fields. */
  readonly keepRecords?: boolean;
}

/**
 * What a search found in one input, or in a part of it: a document searched as a stream comes in
 * batches, each with `more` set but the last, whose counts add up; problems and errors come with
 * the last batch.
 */
export interface FileSearchResult {
  readonly path: string;
  matches: WireMatch[];
  matched: number;
  records: number;
  parsed: number;
  notCloudTrail: number;
  /** Problems inside a readable document (a broken record); the rest was searched. */
  problems: string[];
  /** Why the input could not be searched (to its end). Matches found before the problem are kept. */
  error?: string;
  /** More batches of this input follow. */
  more?: true;
  /** Too large to search in one piece: search it again as a stream (searchFileStream). */
  stream?: true;
}

/**
 * Documents up to this size (on disk, and inflated) are searched in one piece, in a worker
 * thread; larger ones are streamed. CloudTrail delivery files are typically a few KB to a few MB.
 */
export const WHOLE_DOCUMENT_BYTES = 8 * 1024 * 1024;
/** A streamed file is read in pieces of this size. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;
/** Compressed bytes handed to the inflater at a time (see documentChunks). */
const GUARD_PIECE_BYTES = 64 * 1024;
/** A record larger than this is skipped with a message: CloudTrail events are far smaller (CloudWatch Logs takes 256 KB). */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;
/**
 * What a compressed document may inflate to. CloudTrail log files are at most 50 MB compressed
 * and inflate 5 to 15 times (measured on public CloudTrail data), so a larger output is a
 * decompression bomb; so is one that passes BOMB_FLOOR_BYTES at more than BOMB_RATIO times the
 * compressed bytes read (gzip's limit is about 1,000 times).
 */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;
export const BOMB_FLOOR_BYTES = 64 * 1024 * 1024;
export const BOMB_RATIO = 200;
/** A streamed document hands over its matches in batches of about this much text. */
const BATCH_BYTES = 1024 * 1024;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

const MB = 1024 * 1024;

function mb(bytes: number): string {
  return bytes >= 10 * MB ? `${Math.round(bytes / MB)}` : (bytes / MB).toFixed(1);
}

/** Thrown when a whole-buffer decode would exceed WHOLE_DOCUMENT_BYTES: the caller streams the input instead. */
class TooLargeForWhole extends Error {}

function gzipError(error: unknown): DocumentFormatError {
  const message = (error as Error).message;
  if (/unexpected end of file/i.test(message)) return new DocumentFormatError('truncated gzip: the file ends before the compressed data does (an interrupted download?)', 0);
  return new DocumentFormatError(`corrupt gzip data (${message})`, 0);
}

function notGzipError(): DocumentFormatError {
  return new DocumentFormatError('not gzip: the .gz file does not start with the gzip magic bytes, and it is not JSON either', 0);
}

/** A `.gz` name on content that is neither gzip nor JSON. */
function looksLikeMislabelled(bytes: Uint8Array, path: string): boolean {
  if (!/\.gz$/i.test(path)) return false;
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  return first !== undefined && first !== 0x7b && first !== 0x5b;
}

/** zlib's default output piece; a document inflates into pieces of at least this size. */
const MIN_INFLATE_CHUNK = 16 * 1024;

/**
 * How large to make the output buffer of a whole-document inflate: the size the gzip trailer
 * gives (ISIZE, the last member's inflated size modulo 2^32, RFC 1952), plus one byte so that an
 * exact hint ends the inflate without another round. The whole document then lands in one
 * buffer instead of being inflated into 16 KB pieces and copied together. A wrong or hostile
 * trailer only costs pieces and a copy, as before; maxOutputLength still bounds the output.
 */
function inflateChunkSize(gzip: Buffer): number {
  const hint = gzip.length >= 18 ? gzip.readUInt32LE(gzip.length - 4) : 0;
  return Math.min(WHOLE_DOCUMENT_BYTES + 1, Math.max(MIN_INFLATE_CHUNK, hint + 1));
}

function ownedGunzip(gzip: Buffer): Buffer {
  try {
    return gunzipSync(gzip, { maxOutputLength: WHOLE_DOCUMENT_BYTES, chunkSize: inflateChunkSize(gzip) });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflatesPastLimit();
    throw error;
  }
}

/** This thread's inflater for documents searched in one piece, whose bytes nobody keeps. */
const searchInflater = new WholeGunzip(WHOLE_DOCUMENT_BYTES);

function documentBytes(bytes: Buffer, path: string, gunzip: (gzip: Buffer) => Buffer): Buffer {
  if (isGzip(bytes)) {
    try {
      return gunzip(bytes);
    } catch (error) {
      if (error instanceof InflatesPastLimit) throw new TooLargeForWhole();
      throw gzipError(error);
    }
  }
  if (looksLikeMislabelled(bytes, path)) throw notGzipError();
  return bytes;
}

/**
 * The document's JSON bytes, in one piece of its own: gunzipped when the content is gzip,
 * whatever the file's name. Throws DocumentFormatError, or TooLargeForWhole when it inflates past WHOLE_DOCUMENT_BYTES.
 */
export function decodeDocument(bytes: Buffer, path: string): Buffer {
  return documentBytes(bytes, path, ownedGunzip);
}

function byTime(a: WireMatch, b: WireMatch): number {
  return (a.time ?? -Infinity) - (b.time ?? -Infinity);
}

/** Keeps the `n` newest of `matches`, oldest first; equal times keep their input order. */
export function newest(matches: WireMatch[], n: number): WireMatch[] {
  if (matches.length <= n) return matches.slice().sort(byTime);
  return matches.slice().sort(byTime).slice(matches.length - n);
}

function emptyResult(path: string): FileSearchResult {
  return { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
}

/** The context of the records of `path`: the account a delivery file belongs to, for --account. */
export function contextOf(path: string): RecordContext {
  const account = deliveryAccountOf(path);
  return account === undefined ? {} : { deliveryAccount: account };
}

/** Collects matches as a search finds them, under the options' limit, count-only and keep-newest rules. */
class MatchCollector {
  matches: WireMatch[] = [];
  seen = 0;
  bytes = 0;

  constructor(private readonly options: FileSearchOptions) {}

  /** Returns false when the limit is reached. */
  take(match: Match): boolean {
    this.seen++;
    const { keepNewest, countOnly, limit } = this.options;
    if (countOnly !== true) {
      const id = match.record['eventID'];
      this.matches.push({
        index: match.index,
        raw: match.raw,
        time: match.time,
        ...(typeof id === 'string' ? { eventId: id } : {}),
        ...(this.options.keepRecords === true ? { record: match.record } : {}),
      });
      // The newest N are kept to the end, in bounded memory: no batch to hand over before it.
      if (keepNewest !== undefined) {
        if (this.matches.length >= 2 * keepNewest + 64) this.matches = newest(this.matches, keepNewest);
      } else {
        this.bytes += match.raw.length;
      }
    }
    return limit === undefined || this.seen < limit;
  }

  /** Hands over what was collected (for a batch), unless the newest are being kept to the end. */
  drain(final: boolean): WireMatch[] {
    const keep = this.options.keepNewest;
    if (keep !== undefined) return final ? newest(this.matches, keep) : [];
    const out = this.matches;
    this.matches = [];
    this.bytes = 0;
    return out;
  }
}

/**
 * Searches the bytes of one input in one piece. Never throws: failures are in `error`; an input
 * too large for one piece comes back with `stream` set and nothing searched.
 */
export function searchBytes(path: string, bytes: Buffer, filter: CompiledFilter, options: FileSearchOptions = {}): FileSearchResult {
  const result = emptyResult(path);
  const collector = new MatchCollector(options);
  let search: DocumentSearch | undefined;
  try {
    // Inflated into a buffer the next document reuses: the search copies out what it keeps.
    const document = documentBytes(bytes, path, (gzip) => searchInflater.inflate(gzip));
    search = new DocumentSearch(filter, (m) => collector.take(m), contextOf(path), { maxRecordBytes: MAX_RECORD_BYTES });
    if (search.push(document)) search.end();
  } catch (error) {
    if (error instanceof TooLargeForWhole) return { ...result, stream: true };
    result.error = error instanceof DocumentFormatError ? error.message : describeFsError(error);
  }
  if (search !== undefined) Object.assign(result, search.result);
  result.matched = search?.result.matched ?? 0;
  result.matches = collector.drain(true);
  return result;
}

/**
 * The file being searched is read into this buffer, which the next file reuses: a search keeps
 * nothing of the bytes it searched (matches are copied out as strings), and a fresh buffer for
 * every one of thousands of small files costs an allocation and its garbage collection each.
 */
let readBuffer = Buffer.allocUnsafe(0);

/**
 * The bytes of a regular file of at most WHOLE_DOCUMENT_BYTES, whatever its size said (a file
 * can grow while it is read), in readBuffer: valid until the next call. Throws NotAFileError,
 * FileTooLargeError or the fs error.
 */
function readWholeFile(path: string): Buffer {
  const limit = WHOLE_DOCUMENT_BYTES;
  const { fd, size } = openRegularFile(path);
  try {
    if (size > limit) throw new FileTooLargeError(path, limit);
    if (readBuffer.length < size + 1) readBuffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === readBuffer.length) {
        if (length > limit) throw new FileTooLargeError(path, limit);
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, readBuffer.length * 2));
        readBuffer.copy(bigger, 0, 0, length);
        readBuffer = bigger;
      }
      const wanted = readBuffer.length - length;
      const n = readSync(fd, readBuffer, length, wanted, null);
      if (n === 0) break;
      length += n;
      // A regular file that gave all its size said, to a read that asked for more, has ended:
      // no second read to see the end.
      if (length === size && n < wanted) break;
    }
    if (length > limit) throw new FileTooLargeError(path, limit);
    return readBuffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Searches one file in one piece (in a worker thread). Larger files come back with `stream` set. */
export function searchFileSync(path: string, filter: CompiledFilter, options: FileSearchOptions = {}): FileSearchResult {
  let bytes: Buffer;
  try {
    bytes = readWholeFile(path);
  } catch (error) {
    if (error instanceof FileTooLargeError) return { ...emptyResult(path), stream: true };
    return { ...emptyResult(path), error: error instanceof NotAFileError ? error.reason : describeFsError(error) };
  }
  return searchBytes(path, bytes, filter, options);
}

/** Counts inflated bytes against the compressed bytes read, and stops a decompression bomb. */
class InflateGuard {
  compressed = 0;
  inflated = 0;

  check(): void {
    if (this.inflated > MAX_INFLATED_BYTES) {
      throw new DocumentFormatError(`decompression bomb: it inflates past ${mb(MAX_INFLATED_BYTES)} MB, more than a CloudTrail log file can (at most 50 MB compressed); not read further`, 0);
    }
    if (this.inflated > BOMB_FLOOR_BYTES && this.inflated > BOMB_RATIO * this.compressed) {
      throw new DocumentFormatError(
        `decompression bomb: it inflates past ${mb(this.inflated)} MB from ${mb(this.compressed)} MB, more than ${BOMB_RATIO} times its compressed size (CloudTrail log files inflate 5 to 15 times); not read further`,
        0,
      );
    }
  }
}

/**
 * The document's JSON bytes from a stream of its raw bytes: gunzipped on the fly when they start
 * with the gzip magic bytes, checked by an InflateGuard.
 */
export async function* documentChunks(source: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done === true) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  const guard = new InflateGuard();
  // Handed on in pieces of at most GUARD_PIECE_BYTES, each counted as it goes: the guard's
  // compressed count runs ahead of what the inflater has used by about one piece, whatever size
  // the source reads in (a file's 1 MB reads, an S3 body's network chunks), so a bomb is stopped
  // close to the same place from any source (a 1 MB count ahead let 200 MB more through).
  async function* raw(): AsyncGenerator<Buffer> {
    try {
      let next: IteratorResult<Buffer> = { done: false, value: head };
      while (next.done !== true) {
        const chunk = next.value;
        for (let at = 0; at < chunk.length; at += GUARD_PIECE_BYTES) {
          const piece = chunk.length <= GUARD_PIECE_BYTES ? chunk : chunk.subarray(at, at + GUARD_PIECE_BYTES);
          guard.compressed += piece.length;
          yield piece;
        }
        next = await iterator.next();
      }
    } finally {
      await iterator.return?.();
    }
  }
  if (!isGzip(head)) {
    if (looksLikeMislabelled(head, path)) throw notGzipError();
    yield* raw();
    return;
  }
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const input = Readable.from(raw(), { objectMode: false });
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      guard.inflated += chunk.length;
      guard.check();
      yield chunk;
    }
  } catch (error) {
    if (error instanceof DocumentFormatError) throw error;
    if ((error as { code?: string }).code?.startsWith('Z_') === true || /unexpected end of file|incorrect header|invalid/i.test((error as Error).message)) throw gzipError(error);
    throw error;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/**
 * Searches one input that arrives as a stream of raw bytes (a large file, standard input, an S3
 * object body), yielding its matches in batches as they are found, so memory stays bounded by a
 * batch and the largest record whatever the input's size. The last batch carries the counts of
 * the whole input, problems, and any error (matches found before it were already yielded).
 */
export async function* searchStream(path: string, source: AsyncIterable<Buffer>, filter: CompiledFilter, options: FileSearchOptions = {}): AsyncGenerator<FileSearchResult> {
  const collector = new MatchCollector(options);
  const search = new DocumentSearch(filter, (m) => collector.take(m), contextOf(path), { maxRecordBytes: MAX_RECORD_BYTES });
  let reported = { records: 0, parsed: 0, matched: 0 };
  const batch = (more: boolean): FileSearchResult => {
    const r = search.result;
    const out: FileSearchResult = {
      ...emptyResult(path),
      matches: collector.drain(!more),
      matched: r.matched - reported.matched,
      records: r.records - reported.records,
      parsed: r.parsed - reported.parsed,
    };
    reported = { records: r.records, parsed: r.parsed, matched: r.matched };
    return more ? { ...out, more: true } : out;
  };
  let error: string | undefined;
  try {
    for await (const chunk of documentChunks(source, path)) {
      if (!search.push(chunk)) break;
      if (collector.bytes >= BATCH_BYTES) yield batch(true);
    }
    if (!search.stopped) search.end();
  } catch (e) {
    error = e instanceof DocumentFormatError ? e.message : describeFsError(e);
  }
  const last = batch(false);
  last.notCloudTrail = search.result.notCloudTrail;
  last.problems = search.result.problems;
  if (error !== undefined) last.error = error;
  yield last;
}

/** Searches one file as a stream (see searchStream): for files too large to search in one piece. */
export async function* searchFileStream(path: string, filter: CompiledFilter, options: FileSearchOptions = {}): AsyncGenerator<FileSearchResult> {
  let fd: number;
  try {
    fd = openRegularFile(path).fd;
  } catch (error) {
    yield { ...emptyResult(path), error: error instanceof NotAFileError ? error.reason : describeFsError(error) };
    return;
  }
  const stream = createReadStream('', { fd, highWaterMark: STREAM_CHUNK_BYTES });
  try {
    yield* searchStream(path, stream as AsyncIterable<Buffer>, filter, options);
  } finally {
    stream.destroy();
  }
}
