import type { CompiledFilter } from './record-filter.js';
import { cloudTrailShape, isObject, type CloudTrailRecord, type RecordContext } from './record.js';
import { compactJson, RecordScanner, SPAN_ESCAPE_CLASS_SHIFT, SPAN_LOOKUP_ITEM, SPAN_LOOSE, SPAN_STANDALONE } from './record-scanner.js';
import type { Needle } from './needle.js';
import { parseEventTime } from './time-spec.js';
import { jsonSyntaxReason } from './errors.js';

/** One matching event: its JSON text as found in the input (one line) and its time. */
export interface Match {
  /** The record's position in its document, from 0. */
  readonly index: number;
  readonly raw: string;
  /** Epoch ms of `eventTime`, or undefined when missing or unparseable. */
  readonly time: number | undefined;
  readonly record: CloudTrailRecord;
}

export interface DocumentSearchResult {
  /** Records seen in the document. */
  records: number;
  /** Records that were parsed (the others were ruled out by their raw text). */
  parsed: number;
  matched: number;
  /** Records that are JSON but not CloudTrail (e.g. an S3 event notification). */
  notCloudTrail: number;
  /** What was wrong with the document, one line each; the rest of it was still searched. */
  problems: string[];
}

/**
 * Literal searches over one document's bytes. Records are visited in order, so each needle's
 * next occurrence only moves forward: the whole document is searched at most once per needle.
 * Where the WebAssembly loop read the record, the search runs in its copy of the document (16
 * bytes at a time, several times faster than Buffer.indexOf) and goes on to the copy's end, so a
 * literal found in a later record, or nowhere, rules out the records before it without another
 * call; otherwise it goes on to the next occurrence in the document.
 */
class NeedleProbe {
  private readonly leaves: ProbeLeaf[] = [];
  private readonly root: ProbeNode;

  /** `scanner`: its copy of the document is searched (see RecordScanner.findAhead) when it has one. */
  constructor(
    private buf: Buffer,
    needle: Needle,
    private readonly scanner?: RecordScanner,
  ) {
    this.root = this.build(needle);
  }

  /** Moves the probe to another document (the same needle, searched from its start). */
  reset(buf: Buffer): void {
    this.buf = buf;
    for (const leaf of this.leaves) leaf.next = UNKNOWN;
  }

  private build(needle: Needle): ProbeNode {
    switch (needle.kind) {
      case 'any-record':
        return { kind: 'true' };
      case 'text': {
        const leaf: ProbeLeaf = { bytes: textBytes(needle), next: UNKNOWN, clearFrom: 0, clearTo: 0 };
        this.leaves.push(leaf);
        return { kind: 'leaf', leaf };
      }
      case 'all':
        return { kind: 'all', of: needle.of.map((n) => this.build(n)) };
      case 'any':
        return { kind: 'any', of: needle.of.map((n) => this.build(n)) };
    }
  }

  holds(start: number, end: number): boolean {
    return this.eval(this.root, start, end);
  }

  private eval(node: ProbeNode, start: number, end: number): boolean {
    switch (node.kind) {
      case 'true':
        return true;
      case 'leaf': {
        const leaf = node.leaf;
        if (leaf.next >= start) return leaf.next + leaf.bytes.length <= end;
        if (leaf.next === NOWHERE) return false;
        if (leaf.next === NOT_BETWEEN && leaf.clearFrom <= start && end <= leaf.clearTo) return false;
        const found = this.scanner?.findAhead(this.buf, leaf.bytes, start, end);
        if (found === undefined) {
          leaf.next = this.buf.indexOf(leaf.bytes, start);
          return leaf.next !== NOWHERE && leaf.next + leaf.bytes.length <= end;
        }
        if (found >= 0) {
          leaf.next = found;
          return found + leaf.bytes.length <= end;
        }
        // Not in the copy from here on: nor in any record that ends within it.
        leaf.next = NOT_BETWEEN;
        leaf.clearFrom = start;
        leaf.clearTo = (this.scanner as RecordScanner).searchedTo;
        return false;
      }
      case 'all':
        for (const child of node.of) if (!this.eval(child, start, end)) return false;
        return true;
      case 'any':
        for (const child of node.of) if (this.eval(child, start, end)) return true;
        return false;
    }
  }
}

/** The UTF-8 bytes of a text needle, made once per needle rather than once per document. */
const needleBytes = new WeakMap<Needle, Buffer>();
function textBytes(needle: Needle & { kind: 'text' }): Buffer {
  let bytes = needleBytes.get(needle);
  if (bytes === undefined) {
    bytes = Buffer.from(needle.text, 'utf8');
    needleBytes.set(needle, bytes);
  }
  return bytes;
}

/** A leaf's `next`, when it is not an offset: not searched yet; nowhere after; not in [clearFrom, clearTo). */
const UNKNOWN = -2;
const NOWHERE = -1;
const NOT_BETWEEN = -3;

/**
 * One literal of a needle, and what is known of where it occurs: `next` is its first occurrence
 * at or after the start of the record last asked about, or one of the values above.
 */
interface ProbeLeaf {
  readonly bytes: Buffer;
  next: number;
  clearFrom: number;
  clearTo: number;
}

type ProbeNode =
  | { kind: 'true' }
  | { kind: 'leaf'; leaf: ProbeLeaf }
  | { kind: 'all'; of: ProbeNode[] }
  | { kind: 'any'; of: ProbeNode[] };

const LOOKUP_WRAPPER_KEY = { kind: 'text', text: '"CloudTrailEvent"' } as const;

/** The UTF-16 code units of a needle's literals: the characters an escape could hide from it. */
function collectUnits(needle: Needle, into: Set<number>): Set<number> {
  switch (needle.kind) {
    case 'any-record':
      break;
    case 'text':
      for (let i = 0; i < needle.text.length; i++) into.add(needle.text.charCodeAt(i));
      break;
    case 'all':
    case 'any':
      for (const n of needle.of) collectUnits(n, into);
      break;
  }
  return into;
}

/** Escape class of the code units of the needle's literals. */
const NEEDLE_UNIT = 1;
/** Escape class of the code units of the lookup-events wrapper key (looked for in top-level records). */
const WRAPPER_UNIT = 2;

/**
 * The escape classes (see RecordScanner) of every code unit for a needle: a record whose literal
 * search failed can still match only when one of its `\u` escapes writes a character of the
 * needle (or of the wrapper key, for a top-level record), or half of a surrogate pair. An escape
 * that writes another character (CloudTrail writes `=`, `<`, `>`, `&` and `'` as `\u003d`...)
 * breaks no needle occurrence, since no occurrence can include it. Made once per needle.
 */
const classesOfNeedle = new WeakMap<Needle, Uint8Array>();
function escapeClasses(needle: Needle): Uint8Array {
  let classes = classesOfNeedle.get(needle);
  if (classes === undefined) {
    classes = new Uint8Array(0x10000);
    for (const unit of collectUnits(LOOKUP_WRAPPER_KEY, new Set())) classes[unit] = WRAPPER_UNIT;
    for (const unit of collectUnits(needle, new Set())) classes[unit] = (classes[unit] as number) | NEEDLE_UNIT;
    classesOfNeedle.set(needle, classes);
  }
  return classes;
}

export interface DocumentSearchOptions {
  /** Records longer than this are skipped and reported (the document goes on). */
  readonly maxRecordBytes?: number;
}

/**
 * Searches one decompressed document that arrives in pieces: `push` each chunk, then `end`.
 * Calls `onMatch` for each matching event in document order; `onMatch` returns false to stop
 * early. `push`/`end` throw DocumentFormatError when the document's structure is broken; a record
 * that is not valid JSON, or that is over the size limit, is reported in `result.problems` and
 * the search goes on. Memory is bounded by the largest record, not the document.
 */
export class DocumentSearch {
  readonly result: DocumentSearchResult = { records: 0, parsed: 0, matched: 0, notCloudTrail: 0, problems: [] };
  private readonly scanner: RecordScanner;
  private readonly needle: Needle;
  private buf: Buffer | undefined;
  private probe: NeedleProbe | undefined;
  private wrapperProbe: NeedleProbe | undefined;
  private index = -1;
  private shapeChecked = false;

  constructor(
    private readonly filter: CompiledFilter,
    private readonly onMatch: (match: Match) => boolean | void,
    private readonly context?: RecordContext,
    options: DocumentSearchOptions = {},
  ) {
    this.needle = filter.needleFor(context);
    this.scanner = new RecordScanner(
      {
        record: (buf, start, end, flags) => this.record(buf, start, end, flags),
        oversized: (bytes) => {
          this.index++;
          this.result.records++;
          this.problem(`record ${this.index} is ${formatSize(bytes)}, over the ${formatSize(options.maxRecordBytes ?? Infinity)} a record may have; skipped`);
        },
      },
      options.maxRecordBytes,
      this.needle.kind === 'any-record' ? undefined : escapeClasses(this.needle),
    );
  }

  /** Searches the next chunk; false once the search has stopped (onMatch said so). */
  push(chunk: Buffer): boolean {
    return this.scanner.push(chunk);
  }

  end(): void {
    this.scanner.end();
  }

  get stopped(): boolean {
    return this.scanner.done;
  }

  /** Points the probes at a new buffer: the next chunk of a stream, or a record copied out of several. */
  private useBuffer(buf: Buffer): void {
    this.buf = buf;
    if (this.needle.kind === 'any-record') return;
    if (this.probe === undefined) {
      this.probe = new NeedleProbe(buf, this.needle, this.scanner);
      this.wrapperProbe = new NeedleProbe(buf, LOOKUP_WRAPPER_KEY, this.scanner);
    } else {
      this.probe.reset(buf);
      (this.wrapperProbe as NeedleProbe).reset(buf);
    }
  }

  private problem(text: string): void {
    const problems = this.result.problems;
    if (problems.length < 3) problems.push(text);
    else if (problems.length === 3) problems.push('more records could not be read');
  }

  private record(buf: Buffer, start: number, end: number, flags: number): boolean {
    const result = this.result;
    this.index++;
    result.records++;
    if (buf !== this.buf) this.useBuffer(buf);
    // The first record is always parsed, to tell CloudTrail from other JSON; so is a lookup-events
    // item, whose event is a JSON string with its quotes escaped.
    if (this.probe !== undefined && this.shapeChecked && (flags & SPAN_LOOKUP_ITEM) === 0) {
      const standalone = (flags & SPAN_STANDALONE) !== 0;
      const mayWrap = standalone && (this.wrapperProbe as NeedleProbe).holds(start, end);
      // Unless one of its escapes may hide a character the literals need (see escapeClasses).
      if (!mayWrap && !this.probe.holds(start, end) && ((flags >>> SPAN_ESCAPE_CLASS_SHIFT) & (standalone ? NEEDLE_UNIT | WRAPPER_UNIT : NEEDLE_UNIT)) === 0) return true;
    }
    result.parsed++;
    let raw = buf.toString('utf8', start, end);
    // A record with no white space between its tokens (the scanner says) prints as it is.
    let compact = (flags & SPAN_LOOSE) === 0;
    let record: unknown;
    try {
      record = JSON.parse(raw);
      if ((flags & (SPAN_LOOKUP_ITEM | SPAN_STANDALONE)) !== 0 && isObject(record) && typeof record['CloudTrailEvent'] === 'string' && !('eventVersion' in record)) {
        raw = record['CloudTrailEvent'];
        compact = false;
        record = JSON.parse(raw);
      }
    } catch (error) {
      this.problem(`record ${this.index} is not valid JSON (${jsonSyntaxReason(error)})`);
      return true;
    }
    const shape = cloudTrailShape(record);
    if (shape !== 'cloudtrail') {
      result.notCloudTrail++;
      // A document whose first record is not CloudTrail (an S3 event notification, say) is not a trail log.
      return this.shapeChecked;
    }
    this.shapeChecked = true;
    const event = record as CloudTrailRecord;
    if (!this.filter.test(event, raw, this.context)) return true;
    result.matched++;
    return this.onMatch({ index: this.index, raw: compact ? raw : compactJson(raw), time: parseEventTime(event['eventTime']), record: event }) !== false;
  }
}

function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'the limit';
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * Searches one whole decompressed document (see DocumentSearch). Throws DocumentFormatError when
 * the document's structure is broken.
 */
export function searchDocument(
  buf: Buffer,
  filter: CompiledFilter,
  onMatch: (match: Match) => boolean | void,
  context?: RecordContext,
): DocumentSearchResult {
  const search = new DocumentSearch(filter, onMatch, context);
  if (search.push(buf)) search.end();
  return search.result;
}
