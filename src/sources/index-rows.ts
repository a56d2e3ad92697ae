/**
 * Turns one input document into the rows the index stores: each record's exact JSON text, as
 * `grep --output json` prints it, found by grep's own byte-level scanner (core/record-scanner.ts).
 * Records are not parsed here (DuckDB parses them, on its own threads): only the first record, to
 * tell CloudTrail from other JSON as grep does, and `lookup-events` items, whose event is a string.
 */
import { isUtf8 } from 'node:buffer';
import { jsonSyntaxReason } from '../core/errors.js';
import { cloudTrailShape, isObject } from '../core/record.js';
import { compactJson, DocumentFormatError, scanDocument, SPAN_LOOKUP_ITEM, SPAN_STANDALONE } from '../core/record-scanner.js';
import { describeFsError } from './local-files.js';
import { decodeDocument } from './file-search.js';

export interface DocumentRows {
  /** Records found (CloudTrail or not). */
  records: number;
  /** Rows emitted. */
  rows: number;
  /** 1 when the document is JSON but not CloudTrail (its first record is not an event). */
  notCloudTrail: number;
  /** Records that are not valid JSON, as grep words them. */
  problems: string[];
  /** Why the document could not be read at all. */
  error?: string;
}

const WRAPPER_KEY = Buffer.from('"CloudTrailEvent"');
const LOOSE = [Buffer.from(', '), Buffer.from(': '), Buffer.from('[ '), Buffer.from('{ ')];

/** Whether the record's bytes may hold white space between tokens (then compactJson decides). */
function mayBeLoose(span: Buffer): boolean {
  if (span.includes(0x0a) || span.includes(0x0d) || span.includes(0x09)) return true;
  for (const l of LOOSE) if (span.includes(l)) return true;
  return false;
}

/** A line field must not hold a tab or a line break: JSON text has none outside strings once compacted, and none inside valid strings. */
function hasLineBreak(text: string): boolean {
  return /[\t\n\r]/.test(text);
}

export function addProblem(problems: string[], index: number, message: string): void {
  if (problems.length < 3) problems.push(`record ${index} is not valid JSON (${message})`);
  else if (problems.length === 3) problems.push('more records are not valid JSON');
}

/**
 * Calls `emit(index, text)` for each record of the document in order, `text` being a Buffer of
 * UTF-8 bytes or a string. Never throws: a document that cannot be read is in `error`.
 */
export function documentRows(bytes: Buffer, path: string, emit: (index: number, text: Buffer | string) => void, options: { decoded?: boolean } = {}): DocumentRows {
  const out: DocumentRows = { records: 0, rows: 0, notCloudTrail: 0, problems: [] };
  let document: Buffer;
  try {
    document = options.decoded === true ? bytes : decodeDocument(bytes, path);
  } catch (error) {
    out.error = error instanceof DocumentFormatError ? error.message : describeFsError(error);
    return out;
  }
  let index = -1;
  let shapeChecked = false;
  try {
    scanDocument(document, (start, end, flags) => {
      index++;
      out.records++;
      const span = document.subarray(start, end);
      const wrapped = (flags & SPAN_LOOKUP_ITEM) !== 0 || ((flags & SPAN_STANDALONE) !== 0 && span.includes(WRAPPER_KEY));
      if (!shapeChecked || wrapped) {
        let raw = span.toString('utf8');
        let record: unknown;
        try {
          record = JSON.parse(raw);
          if (wrapped && isObject(record) && typeof record['CloudTrailEvent'] === 'string' && !('eventVersion' in record)) {
            raw = record['CloudTrailEvent'];
            record = JSON.parse(raw);
          }
        } catch (error) {
          addProblem(out.problems, index, jsonSyntaxReason(error));
          return true;
        }
        if (cloudTrailShape(record) !== 'cloudtrail') {
          // A document whose first record is not CloudTrail (an S3 event notification, say) is not a trail log.
          if (!shapeChecked) {
            out.notCloudTrail++;
            return false;
          }
        }
        shapeChecked = true;
        const text = compactJson(raw);
        if (hasLineBreak(text)) {
          addProblem(out.problems, index, 'a control character inside a string');
          return true;
        }
        out.rows++;
        emit(index, text);
        return true;
      }
      if (mayBeLoose(span) || !isUtf8(span)) {
        // toString replaces invalid UTF-8 as grep's output does; compactJson drops the white space between tokens.
        const original = span.toString('utf8');
        if (mayBeLoose(span)) {
          // A record with white space is checked here, against its own text, so that a broken one is
          // reported in grep's words (the message quotes the text as it is in the file).
          try {
            JSON.parse(original);
          } catch (error) {
            addProblem(out.problems, index, jsonSyntaxReason(error));
            return true;
          }
        }
        const text = compactJson(original);
        if (hasLineBreak(text)) {
          addProblem(out.problems, index, 'a control character inside a string');
          return true;
        }
        out.rows++;
        emit(index, text);
        return true;
      }
      out.rows++;
      emit(index, span);
      return true;
    });
  } catch (error) {
    out.error = error instanceof DocumentFormatError ? error.message : (error as Error).message;
  }
  return out;
}
