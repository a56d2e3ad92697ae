/**
 * Finds the records in a CloudTrail document without parsing it: a byte-level pass that tracks
 * strings and nesting only, so that the search can decide from the raw bytes which records are
 * worth a JSON.parse. Accepted documents (SPEC section 3):
 *
 * - `{"Records":[{...},...]}` — a delivery file (also Insights files), compact or pretty-printed;
 * - `{"Events":[{"CloudTrailEvent":"<json>",...}],...}` — `aws cloudtrail lookup-events` output;
 * - `[{...},...]` — a JSON array of events;
 * - one or more top-level objects separated by white space — NDJSON, or a single event.
 *
 * The scanner checks structure (balanced brackets, terminated strings, separators between
 * records); the content of a record is checked by JSON.parse when the record is parsed.
 */

/** The record sits in an `Events` array: a lookup-events item that wraps the event as a string. */
export const SPAN_LOOKUP_ITEM = 1;
/** A top-level object or array element: an event, or a lookup-events item (JSONL). */
export const SPAN_STANDALONE = 2;
/** The record's text has a `\u` escape, so a literal search over its bytes is not conclusive. */
export const SPAN_UNICODE_ESCAPE = 4;

/** Receives each record's byte range [start, end) and SPAN_* flags; returns false to stop. */
export type SpanSink = (start: number, end: number, flags: number) => boolean | void;

export class DocumentFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'DocumentFormatError';
    this.offset = offset;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class StopScan {}
const STOP = new StopScan();

let sawUnicodeEscape = false;

/** Scans a whole document, calling `sink` for each record in order. Throws DocumentFormatError. */
export function scanDocument(buf: Uint8Array, sink: SpanSink): void {
  const len = buf.length;
  let i = 0;
  if (len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3; // UTF-8 BOM
  let documents = 0;
  try {
    for (;;) {
      i = skipWhitespace(buf, i);
      if (i >= len) break;
      const c = buf[i];
      if (c === OPEN_BRACE) i = scanTopObject(buf, i, sink);
      else if (c === OPEN_BRACKET) i = scanRecordArray(buf, i, SPAN_STANDALONE, sink, 'the top-level array');
      else if (documents === 0) throw new DocumentFormatError(`not JSON: starts with ${describeByte(buf, i)}`, i);
      else throw new DocumentFormatError(`unexpected ${describeByte(buf, i)} at byte ${i} after a complete JSON value`, i);
      documents++;
    }
  } catch (error) {
    if (error === STOP) return;
    throw error;
  }
  if (documents === 0) throw new DocumentFormatError('the file is empty', 0);
}

function emit(sink: SpanSink, start: number, end: number, flags: number): void {
  if (sawUnicodeEscape) flags |= SPAN_UNICODE_ESCAPE;
  if (sink(start, end, flags) === false) throw STOP;
}

function scanTopObject(buf: Uint8Array, start: number, sink: SpanSink): number {
  const key = peekFirstKey(buf, start);
  if (key !== undefined && (key.name === 'Records' || key.name === 'Events')) {
    const valueAt = key.valueAt;
    if (buf[valueAt] !== OPEN_BRACKET) {
      throw new DocumentFormatError(`"${key.name}" is not an array (found ${describeByte(buf, valueAt)})`, valueAt);
    }
    const flags = key.name === 'Events' ? SPAN_LOOKUP_ITEM : 0;
    const afterArray = scanRecordArray(buf, valueAt, flags, sink, `"${key.name}"`);
    // The rest of the wrapper (NextToken, say) holds no records: skip it as one composite value.
    return skipComposite(buf, start, afterArray, 1);
  }
  sawUnicodeEscape = false;
  const end = skipComposite(buf, start, start, 0);
  emit(sink, start, end, SPAN_STANDALONE);
  return end;
}

/** The first key of the object at `start`, when it is a plain (escape-free) string. */
function peekFirstKey(buf: Uint8Array, start: number): { name: string; valueAt: number } | undefined {
  let i = skipWhitespace(buf, start + 1);
  if (buf[i] !== QUOTE) return undefined;
  const keyStart = i + 1;
  i = keyStart;
  while (i < buf.length && buf[i] !== QUOTE) {
    if (buf[i] === BACKSLASH || i - keyStart > 32) return undefined;
    i++;
  }
  if (i >= buf.length) return undefined;
  const name = String.fromCharCode(...buf.subarray(keyStart, i));
  i = skipWhitespace(buf, i + 1);
  if (buf[i] !== COLON) return undefined;
  return { name, valueAt: skipWhitespace(buf, i + 1) };
}

function scanRecordArray(buf: Uint8Array, open: number, flags: number, sink: SpanSink, what: string): number {
  const len = buf.length;
  let i = skipWhitespace(buf, open + 1);
  if (buf[i] === CLOSE_BRACKET) return i + 1;
  for (let index = 0; ; index++) {
    if (i >= len) throw truncated(i);
    if (buf[i] !== OPEN_BRACE) {
      throw new DocumentFormatError(`${what}[${index}] is not an object (found ${describeByte(buf, i)})`, i);
    }
    sawUnicodeEscape = false;
    const end = skipComposite(buf, i, i, 0);
    emit(sink, i, end, flags);
    i = skipWhitespace(buf, end);
    if (i >= len) throw truncated(i);
    const c = buf[i];
    if (c === CLOSE_BRACKET) return i + 1;
    if (c !== COMMA) throw new DocumentFormatError(`expected ',' or ']' after ${what}[${index}] at byte ${i}, found ${describeByte(buf, i)}`, i);
    i = skipWhitespace(buf, i + 1);
  }
}

/**
 * Skips to the end of the composite value that started at `start` (an object or array), resuming
 * at `from` with `depth` levels already open. Returns the index after its closing bracket.
 */
function skipComposite(buf: Uint8Array, start: number, from: number, depth: number): number {
  const len = buf.length;
  let i = from;
  for (; i < len; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      // Strings dominate CloudTrail text: a tight loop that only looks for the end and escapes.
      for (i++; i < len; i++) {
        const d = buf[i];
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          i++;
          if (buf[i] === LETTER_U) sawUnicodeEscape = true;
        }
      }
      if (i >= len) throw truncated(start, 'an unterminated string');
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) throw new DocumentFormatError(`unbalanced ${describeByte(buf, i)} at byte ${i}`, i);
    }
  }
  throw truncated(start);
}

function truncated(offset: number, what = 'an unclosed value'): DocumentFormatError {
  return new DocumentFormatError(`truncated JSON: the file ends inside ${what} that starts at byte ${offset}`, offset);
}

export function skipWhitespace(buf: Uint8Array, i: number): number {
  const len = buf.length;
  while (i < len) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function describeByte(buf: Uint8Array, i: number): string {
  const c = buf[i];
  if (c === undefined) return 'the end of the file';
  if (c >= 0x21 && c <= 0x7e) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * Removes the white space between JSON tokens, keeping every token byte for byte, so a
 * pretty-printed record prints on one line without being re-serialised.
 */
export function compactJson(text: string): string {
  if (!/[\n\r\t]|[,:[{] /.test(text)) return text;
  let out = '';
  let runStart = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return out + text.slice(runStart);
}
