import type { CompiledFilter } from './record-filter.js';
import { cloudTrailShape, isObject, type CloudTrailRecord, type RecordContext } from './record.js';
import { compactJson, RecordScanner, SPAN_LOOKUP_ITEM, SPAN_STANDALONE, SPAN_UNICODE_ESCAPE } from './record-scanner.js';
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
 */
class NeedleProbe {
  private readonly leaves: { bytes: Buffer; next: number }[] = [];
  private readonly root: ProbeNode;

  constructor(private readonly buf: Buffer, needle: Needle) {
    this.root = this.build(needle);
  }

  private build(needle: Needle): ProbeNode {
    switch (needle.kind) {
      case 'any-record':
        return { kind: 'true' };
      case 'text': {
        const leaf = { bytes: Buffer.from(needle.text, 'utf8'), next: -2 };
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
        if (leaf.next !== -1 && leaf.next < start) leaf.next = this.buf.indexOf(leaf.bytes, start);
        return leaf.next !== -1 && leaf.next + leaf.bytes.length <= end;
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

type ProbeNode =
  | { kind: 'true' }
  | { kind: 'leaf'; leaf: { bytes: Buffer; next: number } }
  | { kind: 'all'; of: ProbeNode[] }
  | { kind: 'any'; of: ProbeNode[] };

const LOOKUP_WRAPPER_KEY = { kind: 'text', text: '"CloudTrailEvent"' } as const;

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

  private problem(text: string): void {
    const problems = this.result.problems;
    if (problems.length < 3) problems.push(text);
    else if (problems.length === 3) problems.push('more records could not be read');
  }

  private record(buf: Buffer, start: number, end: number, flags: number): boolean {
    const result = this.result;
    this.index++;
    result.records++;
    if (buf !== this.buf) {
      this.buf = buf;
      this.probe = this.needle.kind === 'any-record' ? undefined : new NeedleProbe(buf, this.needle);
      this.wrapperProbe = new NeedleProbe(buf, LOOKUP_WRAPPER_KEY);
    }
    // The first record is always parsed, to tell CloudTrail from other JSON.
    if (this.probe !== undefined && this.shapeChecked && (flags & (SPAN_UNICODE_ESCAPE | SPAN_LOOKUP_ITEM)) === 0) {
      const mayWrap = (flags & SPAN_STANDALONE) !== 0 && (this.wrapperProbe as NeedleProbe).holds(start, end);
      if (!mayWrap && !this.probe.holds(start, end)) return true;
    }
    result.parsed++;
    let raw = buf.toString('utf8', start, end);
    let record: unknown;
    try {
      record = JSON.parse(raw);
      if ((flags & (SPAN_LOOKUP_ITEM | SPAN_STANDALONE)) !== 0 && isObject(record) && typeof record['CloudTrailEvent'] === 'string' && !('eventVersion' in record)) {
        raw = record['CloudTrailEvent'];
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
    return this.onMatch({ index: this.index, raw: compactJson(raw), time: parseEventTime(event['eventTime']), record: event }) !== false;
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
