/**
 * Turns one input document into the rows the index stores: each record's exact JSON text, as
 * `grep --output json` prints it, found by grep's own byte-level scanner (core/record-scanner.ts).
 * Records are not parsed here (DuckDB parses them, on its own threads): only the first record, to
 * tell CloudTrail from other JSON as grep does, and `lookup-events` items, whose event is a string.
 * A document arrives whole (RowExtractor.push once) or in chunks (a large file or a gzip stream):
 * only the record being read is held, as grep holds it.
 */
import { isUtf8 } from 'node:buffer';
import { jsonSyntaxReason } from '../core/errors.js';
import { cloudTrailShape, isObject } from '../core/record.js';
import { compactJson, DocumentFormatError, RecordScanner, SPAN_LOOKUP_ITEM, SPAN_LOOSE, SPAN_STANDALONE } from '../core/record-scanner.js';
import { describeFsError } from './local-files.js';
import { decodeDocument, MAX_RECORD_BYTES } from './file-search.js';

export interface DocumentRows {
  /** Records found (CloudTrail or not). */
  records: number;
  /** Rows emitted. */
  rows: number;
  /** 1 when the document is JSON but not CloudTrail (its first record is not an event). */
  notCloudTrail: number;
  /** Records that are not valid JSON, or too large, as grep words them. */
  problems: string[];
  /** Why the document could not be read at all. */
  error?: string;
}

const WRAPPER_KEY = Buffer.from('"CloudTrailEvent"');

/** A line field must not hold a tab or a line break: JSON text has none outside strings once compacted, and none inside valid strings. */
function hasLineBreak(text: string): boolean {
  return /[\t\n\r]/.test(text);
}

/** Bytes that may not stand in a row as they are: a line break or tab (inside a string it makes the record invalid JSON). */
function hasRowBreak(span: Buffer): boolean {
  return span.includes(0x0a) || span.includes(0x0d) || span.includes(0x09);
}

/** Adds a problem as grep does: the first three, then one line saying there are more. */
export function addProblem(problems: string[], text: string): void {
  if (problems.length < 3) problems.push(text);
  else if (problems.length === 3) problems.push('more records could not be read');
}

export function invalidRecord(index: number, message: string): string {
  return `record ${index} is not valid JSON (${message})`;
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** Emits a record's row: its index in the document and its text (UTF-8 bytes, or a string). */
export type RowSink = (index: number, text: Buffer | string) => void;

/**
 * Finds the rows of one document, whole or chunk by chunk. `push` returns false once the document
 * is known not to be CloudTrail (the rest need not be read); `end` closes it. A document that
 * cannot be read is in `result.error`; neither method throws for it.
 */
export class RowExtractor {
  readonly result: DocumentRows = { records: 0, rows: 0, notCloudTrail: 0, problems: [] };
  private readonly scanner: RecordScanner;
  private index = -1;
  private shapeChecked = false;
  private stopped = false;

  constructor(private readonly emit: RowSink, maxRecordBytes = MAX_RECORD_BYTES) {
    this.scanner = new RecordScanner(
      {
        record: (buf, start, end, flags) => this.record(buf.subarray(start, end), flags),
        oversized: (bytes) => {
          this.index++;
          this.result.records++;
          addProblem(this.result.problems, `record ${this.index} is ${formatSize(bytes)}, over the ${formatSize(maxRecordBytes)} a record may have; skipped`);
        },
      },
      maxRecordBytes,
    );
  }

  push(chunk: Buffer): boolean {
    if (this.stopped) return false;
    try {
      if (!this.scanner.push(chunk)) this.stopped = true;
    } catch (error) {
      this.fail(error);
    }
    return !this.stopped;
  }

  end(): void {
    if (this.stopped) return;
    try {
      this.scanner.end();
    } catch (error) {
      this.fail(error);
    }
  }

  /** The input failed before its end (a gzip stream that broke, say). */
  fail(error: unknown): void {
    this.stopped = true;
    this.result.error ??= error instanceof DocumentFormatError ? error.message : describeFsError(error);
  }

  private record(span: Buffer, flags: number): boolean {
    const out = this.result;
    const index = ++this.index;
    out.records++;
    const wrapped = (flags & SPAN_LOOKUP_ITEM) !== 0 || ((flags & SPAN_STANDALONE) !== 0 && span.includes(WRAPPER_KEY));
    if (!this.shapeChecked || wrapped) {
      let raw = span.toString('utf8');
      let record: unknown;
      try {
        record = JSON.parse(raw);
        if (wrapped && isObject(record) && typeof record['CloudTrailEvent'] === 'string' && !('eventVersion' in record)) {
          raw = record['CloudTrailEvent'];
          record = JSON.parse(raw);
        }
      } catch (error) {
        addProblem(out.problems, invalidRecord(index, jsonSyntaxReason(error)));
        return true;
      }
      if (cloudTrailShape(record) !== 'cloudtrail' && !this.shapeChecked) {
        // A document whose first record is not CloudTrail (an S3 event notification, say) is not a trail log.
        out.notCloudTrail++;
        return false;
      }
      this.shapeChecked = true;
      const text = compactJson(raw);
      if (hasLineBreak(text)) {
        addProblem(out.problems, invalidRecord(index, 'a control character inside a string'));
        return true;
      }
      out.rows++;
      this.emit(index, text);
      return true;
    }
    const loose = (flags & SPAN_LOOSE) !== 0 || hasRowBreak(span);
    if (loose || !isUtf8(span)) {
      // toString replaces invalid UTF-8 as grep's output does; compactJson drops the white space between tokens.
      const original = span.toString('utf8');
      if (loose) {
        // A record with white space is checked here, against its own text, so that a broken one is
        // reported in grep's words (the message quotes the text as it is in the file).
        try {
          JSON.parse(original);
        } catch (error) {
          addProblem(out.problems, invalidRecord(index, jsonSyntaxReason(error)));
          return true;
        }
      }
      const text = compactJson(original);
      if (hasLineBreak(text)) {
        addProblem(out.problems, invalidRecord(index, 'a control character inside a string'));
        return true;
      }
      out.rows++;
      this.emit(index, text);
      return true;
    }
    out.rows++;
    this.emit(index, span);
    return true;
  }
}

/**
 * Calls `emit(index, text)` for each record of a whole document in order. Never throws: a
 * document that cannot be read is in `error`. `decoded`: the bytes are already JSON (gunzipped).
 */
export function documentRows(bytes: Buffer, path: string, emit: RowSink, options: { decoded?: boolean } = {}): DocumentRows {
  let document: Buffer;
  try {
    document = options.decoded === true ? bytes : decodeDocument(bytes, path);
  } catch (error) {
    return { records: 0, rows: 0, notCloudTrail: 0, problems: [], error: error instanceof DocumentFormatError ? error.message : describeFsError(error) };
  }
  const extractor = new RowExtractor(emit);
  if (extractor.push(document)) extractor.end();
  return extractor.result;
}
