import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { searchDocument, type Match } from '../core/document-search.js';
import { DocumentFormatError } from '../core/record-scanner.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { deliveryAccountOf } from '../core/record.js';
import { describeFsError } from './local-files.js';

/** A match as it crosses a worker boundary: text and time; the record is parsed again if needed. */
export interface WireMatch {
  /** The record's position in its file, from 0. */
  readonly index: number;
  readonly raw: string;
  readonly time: number | undefined;
  /** The record's top-level `eventID`, which tail -f de-duplicates on. */
  readonly eventId?: string;
}

export interface FileSearchOptions {
  /** Keep only the N newest matches of the file (tail). */
  readonly keepNewest?: number;
  /** Stop after this many matches (grep --limit). */
  readonly limit?: number;
  /** Count matches without keeping them (grep --count). */
  readonly countOnly?: boolean;
}

export interface FileSearchResult {
  readonly path: string;
  matches: WireMatch[];
  matched: number;
  records: number;
  parsed: number;
  notCloudTrail: number;
  /** Problems inside a readable document (a broken record); the rest was searched. */
  problems: string[];
  /** Why the file could not be searched at all. */
  error?: string;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** CloudTrail files are at most 50 MB compressed; anything inflating past this is not a log file. */
const MAX_DECOMPRESSED_BYTES = 2 ** 31 - 1;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/** The document's JSON bytes: gunzipped when the content is gzip, whatever the file's name. */
export function decodeDocument(bytes: Buffer, path: string): Buffer {
  if (isGzip(bytes)) {
    try {
      return gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (error) {
      const message = (error as Error).message;
      if (/unexpected end of file/i.test(message)) throw new DocumentFormatError('truncated gzip: the file ends before the compressed data does (an interrupted download?)', 0);
      throw new DocumentFormatError(`corrupt gzip data (${message})`, 0);
    }
  }
  if (/\.gz$/i.test(path)) {
    const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
    if (first !== 0x7b && first !== 0x5b) {
      throw new DocumentFormatError('not gzip: the .gz file does not start with the gzip magic bytes, and it is not JSON either', 0);
    }
  }
  return bytes;
}

function byTime(a: WireMatch, b: WireMatch): number {
  return (a.time ?? -Infinity) - (b.time ?? -Infinity);
}

/** Keeps the `n` newest of `matches`, oldest first; equal times keep their input order. */
export function newest(matches: WireMatch[], n: number): WireMatch[] {
  if (matches.length <= n) return matches.slice().sort(byTime);
  return matches.slice().sort(byTime).slice(matches.length - n);
}

/** Searches the bytes of one input. Never throws: failures are in `error`. */
export function searchBytes(path: string, bytes: Buffer, filter: CompiledFilter, options: FileSearchOptions = {}): FileSearchResult {
  const result: FileSearchResult = { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
  const keep = options.keepNewest;
  try {
    const document = decodeDocument(bytes, path);
    let seen = 0;
    const outcome = searchDocument(document, filter, (match: Match) => {
      seen++;
      if (options.countOnly !== true) {
        const id = match.record['eventID'];
        result.matches.push({ index: match.index, raw: match.raw, time: match.time, ...(typeof id === 'string' ? { eventId: id } : {}) });
        if (keep !== undefined && result.matches.length >= 2 * keep + 64) result.matches = newest(result.matches, keep);
      }
      return options.limit === undefined || seen < options.limit;
    }, { deliveryAccount: deliveryAccountOf(path) });
    result.matched = outcome.matched;
    result.records = outcome.records;
    result.parsed = outcome.parsed;
    result.notCloudTrail = outcome.notCloudTrail;
    result.problems = outcome.problems;
    if (keep !== undefined) result.matches = newest(result.matches, keep);
  } catch (error) {
    result.error = error instanceof DocumentFormatError ? error.message : describeFsError(error);
  }
  return result;
}

export function searchFileSync(path: string, filter: CompiledFilter, options: FileSearchOptions = {}): FileSearchResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { path, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [], error: describeFsError(error) };
  }
  return searchBytes(path, bytes, filter, options);
}
