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
/**
 * The record's `\u` escapes write code units of these classes (the scanner's escape classes,
 * see RecordScanner): the flags shifted right by this many bits.
 */
export const SPAN_ESCAPE_CLASS_SHIFT = 3;
/** Every escape class: what an escape gets whose code unit cannot be known (it ends the chunk), or half a surrogate pair. */
export const ALL_ESCAPE_CLASSES = 0xff;
/**
 * The record's text has a byte at or below 0x20 outside its strings: white space between tokens (a
 * pretty-printed record), or a control character that makes it invalid JSON. Above the escape
 * classes' bits.
 */
export const SPAN_LOOSE = 1 << (SPAN_ESCAPE_CLASS_SHIFT + 8);

import { K_CLASS_SHIFT, K_ESCAPED, K_IN_STRING, K_LOOSE, K_SAW_U, scanKernel, UnbalancedAt, type ScanKernel } from './record-scan-kernel.js';

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

/** The value of the hex digit `c`, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * The classes (`classes[unit]`) of the code unit that the four hex digits at buf[at] write: all
 * of them when the digits run past the buffer or write half a surrogate pair (which may pair
 * into any character), none when they are not hex digits (the record is not valid JSON).
 */
function escapeClassesAt(buf: Uint8Array, at: number, classes: Uint8Array): number {
  if (at + 4 > buf.length) return ALL_ESCAPE_CLASSES;
  const d0 = hexDigit(buf[at] as number);
  const d1 = hexDigit(buf[at + 1] as number);
  const d2 = hexDigit(buf[at + 2] as number);
  const d3 = hexDigit(buf[at + 3] as number);
  if ((d0 | d1 | d2 | d3) < 0) return 0;
  const unit = (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
  if (unit >= 0xd800 && unit <= 0xdfff) return ALL_ESCAPE_CLASSES;
  return classes[unit] as number;
}

/** Receives the records of a stream: each one's bytes `buf[start, end)` and SPAN_* flags. */
export interface RecordSink {
  /** Returns false to stop the scan. */
  record(buf: Buffer, start: number, end: number, flags: number): boolean | void;
  /** A record of `bytes` bytes, over the scanner's limit, was skipped without being kept. */
  oversized?(bytes: number): boolean | void;
}

/** How far a peek at the first key of a top-level object may look before it gives up. */
const MAX_PEEK_BYTES = 4096;

type State =
  | 'top'
  | 'array-open'
  | 'array-item'
  | 'array-next'
  | 'record'
  | 'wrapper-rest';

/**
 * Finds the records of a document that arrives in chunks (a file read piece by piece, a gzip
 * stream, standard input) with the same byte-level pass as scanDocument, holding only the bytes
 * of the record being read: a record that spans chunks is copied out once it is complete, and a
 * record longer than `maxRecordBytes` is skipped (reported to `sink.oversized`) without being
 * kept, so memory is bounded by the limit whatever the document's size. Offsets in error
 * messages are from the start of the document.
 */
export class RecordScanner {
  private state: State = 'top';
  /** Absolute offset of the current chunk's first byte. */
  private base = 0;
  /** A few bytes at the end of a chunk that a decision needs more of (BOM, a top-level object's first key). */
  private carry: Buffer | undefined;
  private documents = 0;
  private stopped = false;

  // The array being read.
  private arrayWhat = '';
  private arrayFlags = 0;
  private arrayIndex = 0;
  private inWrapper = false;
  private wrapperStart = 0;

  // The composite value being skipped (a record, or the rest of a wrapper object).
  private compositeStart = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private sawUnicodeEscape = false;
  /** The escape classes seen in the record so far. */
  private escapeBits = 0;
  private sawLoose = false;
  private recordFlags = 0;
  private parts: Buffer[] = [];
  private held = 0;
  private oversize = false;
  /** The WebAssembly loop, where there is one; and what its copied window belongs to (this chunk). */
  private readonly kernel: ScanKernel | undefined;
  private chunkToken: object = {};
  /** The buffer of the record being handed to the sink, when it is the chunk the kernel read it in. */
  private sinkBuf: Buffer | undefined;

  /**
   * `escapeClasses`, 65,536 entries: the classes (bits) of each UTF-16 code unit. The classes of
   * the code units a record's `\u` escapes write are in its flags (SPAN_ESCAPE_CLASS_SHIFT), so
   * a search can tell, without looking at the record again, whether an escape may hide a
   * character it looks for.
   */
  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecordBytes = Infinity,
    private readonly escapeClasses?: Uint8Array,
    options: { kernel?: boolean } = {},
  ) {
    this.kernel = options.kernel === false ? undefined : scanKernel();
  }

  /** Whether the sink asked to stop; the rest of the document is not looked at. */
  get done(): boolean {
    return this.stopped;
  }

  /** Scans the next chunk. Returns false once the sink has asked to stop. Throws DocumentFormatError. */
  push(chunk: Buffer): boolean {
    if (this.stopped) return false;
    let buf = chunk;
    if (this.carry !== undefined) {
      // `base` is already the offset of the kept bytes.
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    try {
      this.run(buf, false);
    } catch (error) {
      if (error === STOP) {
        this.stopped = true;
        return false;
      }
      throw error;
    }
    return !this.stopped;
  }

  /** The document is complete: throws DocumentFormatError when it ends inside a value, or holds nothing. */
  end(): void {
    if (this.stopped) return;
    const rest = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    try {
      this.run(rest, true);
    } catch (error) {
      if (error === STOP) {
        this.stopped = true;
        return;
      }
      throw error;
    }
    const at = this.base;
    switch (this.state) {
      case 'top':
        if (this.documents === 0) throw new DocumentFormatError('the file is empty', 0);
        return;
      case 'record':
      case 'wrapper-rest':
        throw truncated(this.compositeStart, this.inString ? 'an unterminated string' : undefined);
      default:
        throw truncated(at);
    }
  }

  private run(buf: Buffer, final: boolean): void {
    this.chunkToken = {};
    const len = buf.length;
    let i = 0;
    while (i < len) {
      switch (this.state) {
        case 'top': {
          if (this.base + i === 0 && this.documents === 0) {
            // A UTF-8 byte order mark may open the document.
            if (len < 3 && !final && (buf[0] === 0xef || len === 0)) return this.keep(buf, 0);
            if (len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
          }
          i = skipWhitespace(buf, i);
          if (i >= len) {
            this.advance(len);
            return;
          }
          const c = buf[i];
          if (c === OPEN_BRACE) {
            const key = peekFirstKey(buf, i);
            if (key === 'more' && !final && len - i < MAX_PEEK_BYTES) return this.keep(buf, i);
            if (key !== 'more' && key !== undefined && (key.name === 'Records' || key.name === 'Events')) {
              const valueAt = key.valueAt;
              if (buf[valueAt] !== OPEN_BRACKET) {
                throw new DocumentFormatError(`"${key.name}" is not an array (found ${describeByte(buf, valueAt)})`, this.base + valueAt);
              }
              this.documents++;
              this.openArray(key.name === 'Events' ? SPAN_LOOKUP_ITEM : 0, `"${key.name}"`, true, i);
              i = valueAt + 1;
            } else {
              this.documents++;
              this.openComposite(i, SPAN_STANDALONE, 'top');
            }
          } else if (c === OPEN_BRACKET) {
            this.documents++;
            this.openArray(SPAN_STANDALONE, 'the top-level array', false, i);
            i++;
          } else if (this.documents === 0) {
            throw new DocumentFormatError(`not JSON: starts with ${describeByte(buf, i)}`, this.base + i);
          } else {
            throw new DocumentFormatError(`unexpected ${describeByte(buf, i)} at byte ${this.base + i} after a complete JSON value`, this.base + i);
          }
          break;
        }
        case 'array-open': {
          i = skipWhitespace(buf, i);
          if (i >= len) break;
          if (buf[i] === CLOSE_BRACKET) {
            i = this.closeArray(i + 1);
            break;
          }
          this.state = 'array-item';
          break;
        }
        case 'array-item': {
          i = skipWhitespace(buf, i);
          if (i >= len) break;
          if (buf[i] !== OPEN_BRACE) {
            throw new DocumentFormatError(`${this.arrayWhat}[${this.arrayIndex}] is not an object (found ${describeByte(buf, i)})`, this.base + i);
          }
          this.openComposite(i, this.arrayFlags, 'array-next');
          break;
        }
        case 'array-next': {
          i = skipWhitespace(buf, i);
          if (i >= len) break;
          const c = buf[i];
          if (c === CLOSE_BRACKET) {
            i = this.closeArray(i + 1);
          } else if (c === COMMA) {
            this.arrayIndex++;
            this.state = 'array-item';
            i++;
          } else {
            throw new DocumentFormatError(
              `expected ',' or ']' after ${this.arrayWhat}[${this.arrayIndex}] at byte ${this.base + i}, found ${describeByte(buf, i)}`,
              this.base + i,
            );
          }
          break;
        }
        case 'record':
        case 'wrapper-rest':
          i = this.continueComposite(buf, i);
          break;
      }
    }
    this.advance(len);
  }

  /** Keeps buf[from..] for the next chunk, which it is put in front of. */
  private keep(buf: Buffer, from: number): void {
    this.carry = Buffer.from(buf.subarray(from));
    this.base += from;
  }

  private advance(len: number): void {
    this.base += len;
  }

  private openArray(flags: number, what: string, wrapper: boolean, start: number): void {
    this.arrayFlags = flags;
    this.arrayWhat = what;
    this.arrayIndex = 0;
    this.inWrapper = wrapper;
    this.wrapperStart = this.base + start;
    this.state = 'array-open';
  }

  /** After an array's `]`: the rest of a wrapper object (NextToken, say) holds no records. */
  private closeArray(after: number): number {
    if (this.inWrapper) {
      this.compositeStart = this.wrapperStart;
      this.depth = 1;
      this.inString = false;
      this.escaped = false;
      this.state = 'wrapper-rest';
    } else {
      this.state = 'top';
    }
    return after;
  }

  private afterRecord: State = 'top';

  private openComposite(start: number, flags: number, after: State): void {
    this.compositeStart = this.base + start;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.sawUnicodeEscape = false;
    this.escapeBits = 0;
    this.sawLoose = false;
    this.recordFlags = flags;
    this.parts = [];
    this.held = 0;
    this.oversize = false;
    this.afterRecord = after;
    this.state = 'record';
  }

  /**
   * Continues the composite value being read at buf[from]; returns where scanning goes on. On the
   * value's last byte, a record is handed to the sink (whole, or copied together from its parts).
   */
  private continueComposite(buf: Buffer, from: number): number {
    const kernel = this.kernel;
    let endAt: number;
    if (kernel !== undefined) {
      const state =
        (this.sawUnicodeEscape ? K_SAW_U : 0) |
        (this.sawLoose ? K_LOOSE : 0) |
        (this.escapeBits << K_CLASS_SHIFT) |
        (this.inString ? K_IN_STRING : 0) |
        (this.escaped ? K_ESCAPED : 0);
      try {
        endAt = kernel.scan(this.chunkToken, buf, from, this.depth, state, this.escapeClasses);
      } catch (error) {
        if (!(error instanceof UnbalancedAt)) throw error;
        throw new DocumentFormatError(`unbalanced ${describeByte(buf, error.offset)} at byte ${this.base + error.offset}`, this.base + error.offset);
      }
      const after = kernel.state;
      this.depth = kernel.depth;
      this.inString = (after & K_IN_STRING) !== 0;
      this.escaped = (after & K_ESCAPED) !== 0;
      this.sawUnicodeEscape = (after & K_SAW_U) !== 0;
      this.escapeBits = (after >> K_CLASS_SHIFT) & ALL_ESCAPE_CLASSES;
      this.sawLoose = (after & K_LOOSE) !== 0;
    } else {
      endAt = this.scanInJs(buf, from);
    }
    return this.finishComposite(buf, endAt);
  }

  /** The scanning loop in JavaScript: where the value being read ends in buf, or -1. */
  private scanInJs(buf: Buffer, from: number): number {
    const len = buf.length;
    const classes = this.escapeClasses;
    let i = from;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let sawU = this.sawUnicodeEscape;
    let bits = this.escapeBits;
    let loose = this.sawLoose;
    let endAt = -1;
    for (; i < len; i++) {
      if (inString) {
        // Strings dominate CloudTrail text: a tight loop that only looks for the end and escapes.
        if (escaped) {
          // The previous chunk ended on the backslash of an escape.
          escaped = false;
          if (buf[i] === LETTER_U) {
            sawU = true;
            if (classes !== undefined) bits |= escapeClassesAt(buf, i + 1, classes);
          }
          i++;
        }
        for (; i < len; i++) {
          const d = buf[i];
          if (d === QUOTE) break;
          if (d === BACKSLASH) {
            i++;
            if (i >= len) {
              escaped = true;
              break;
            }
            if (buf[i] === LETTER_U) {
              sawU = true;
              if (classes !== undefined) bits |= escapeClassesAt(buf, i + 1, classes);
            }
          }
        }
        if (i >= len) break;
        inString = false;
        continue;
      }
      const c = buf[i];
      if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          endAt = i + 1;
          break;
        }
        if (depth < 0) throw new DocumentFormatError(`unbalanced ${describeByte(buf, i)} at byte ${this.base + i}`, this.base + i);
      } else if (c !== undefined && c <= 0x20) {
        loose = true;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.sawUnicodeEscape = sawU;
    this.escapeBits = bits;
    this.sawLoose = loose;
    return endAt;
  }

  /** After the scanning loop: hands a complete record to the sink, or keeps its part of this chunk. */
  private finishComposite(buf: Buffer, endAt: number): number {
    const len = buf.length;
    const sawU = this.sawUnicodeEscape;
    const bits = this.escapeBits;
    const loose = this.sawLoose;
    const startInBuf = Math.max(0, this.compositeStart - this.base);
    if (endAt < 0) {
      if (this.state === 'record') this.hold(buf, startInBuf, len);
      return len;
    }
    if (this.state === 'wrapper-rest') {
      this.state = 'top';
      return endAt;
    }
    this.state = this.afterRecord;
    const flags = this.recordFlags | (sawU ? SPAN_UNICODE_ESCAPE : 0) | (bits << SPAN_ESCAPE_CLASS_SHIFT) | (loose ? SPAN_LOOSE : 0);
    if (this.oversize || this.held + endAt - startInBuf > this.maxRecordBytes) {
      const bytes = this.held + endAt - startInBuf;
      this.parts = [];
      this.held = 0;
      if (this.sink.oversized?.(bytes) === false) throw STOP;
      return endAt;
    }
    let answer: boolean | void;
    if (this.parts.length === 0) {
      this.sinkBuf = buf;
      try {
        answer = this.sink.record(buf, startInBuf, endAt, flags);
      } finally {
        this.sinkBuf = undefined;
      }
    } else {
      const whole = Buffer.concat([...this.parts, buf.subarray(0, endAt)]);
      this.parts = [];
      this.held = 0;
      answer = this.sink.record(whole, 0, whole.length, flags);
    }
    if (answer === false) throw STOP;
    return endAt;
  }

  /**
   * From inside `sink.record`: the first offset at or after `start` of `buf` where `literal`
   * occurs, searched in the copy the WebAssembly loop read the record from, which holds at least
   * [start, end) and goes on past it; -1 when it does not occur before `searchedTo` (the copy's
   * end). Undefined when there is no copy to search (the JavaScript loop, a record put together
   * from several chunks).
   */
  findAhead(buf: Buffer, literal: Uint8Array, start: number, end: number): number | undefined {
    if (buf !== this.sinkBuf || this.kernel === undefined) return undefined;
    return this.kernel.find(this.chunkToken, literal, start, end);
  }

  /** After findAhead() returned -1: the offset of `buf` the search went up to. */
  get searchedTo(): number {
    return this.kernel?.searchedTo ?? 0;
  }

  /** Keeps the part of an unfinished record in this chunk, unless the record is over the limit. */
  private hold(buf: Buffer, start: number, end: number): void {
    this.held += end - start;
    if (this.oversize) return;
    if (this.held > this.maxRecordBytes) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(buf.subarray(start, end)));
  }
}

class StopScan {}
const STOP = new StopScan();

/** Scans a whole document, calling `sink` for each record in order. Throws DocumentFormatError. */
export function scanDocument(buf: Buffer, sink: SpanSink): void {
  const scanner = new RecordScanner({ record: (_b, start, end, flags) => sink(start, end, flags) });
  if (scanner.push(buf)) scanner.end();
}

/** The first key of the object at `start`, when it is a plain (escape-free) string; 'more' when the buffer ends first. */
function peekFirstKey(buf: Uint8Array, start: number): { name: string; valueAt: number } | undefined | 'more' {
  let i = skipWhitespace(buf, start + 1);
  if (i >= buf.length) return 'more';
  if (buf[i] !== QUOTE) return undefined;
  const keyStart = i + 1;
  i = keyStart;
  while (i < buf.length && buf[i] !== QUOTE) {
    if (buf[i] === BACKSLASH || i - keyStart > 32) return undefined;
    i++;
  }
  if (i >= buf.length) return 'more';
  let name = '';
  for (let j = keyStart; j < i; j++) name += String.fromCharCode(buf[j] as number);
  i = skipWhitespace(buf, i + 1);
  if (i >= buf.length) return 'more';
  if (buf[i] !== COLON) return undefined;
  const valueAt = skipWhitespace(buf, i + 1);
  if (valueAt >= buf.length) return 'more';
  return { name, valueAt };
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
