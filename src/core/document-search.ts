import type { CompiledFilter } from './record-filter.js';
import { cloudTrailShape, isObject, type CloudTrailRecord } from './record.js';
import { compactJson, scanDocument, SPAN_LOOKUP_ITEM, SPAN_STANDALONE, SPAN_UNICODE_ESCAPE } from './record-scanner.js';
import type { Needle } from './needle.js';
import { parseEventTime } from './time-spec.js';

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

/**
 * Searches one decompressed document. Calls `onMatch` for each matching event in document order;
 * `onMatch` returns false to stop early. Throws DocumentFormatError when the document's structure
 * is broken; a record that is not valid JSON is reported in `problems` and the search goes on.
 */
export function searchDocument(
  buf: Buffer,
  filter: CompiledFilter,
  onMatch: (match: Match) => boolean | void,
): DocumentSearchResult {
  const result: DocumentSearchResult = { records: 0, parsed: 0, matched: 0, notCloudTrail: 0, problems: [] };
  const probe = filter.needle.kind === 'any-record' ? undefined : new NeedleProbe(buf, filter.needle);
  const wrapperProbe = new NeedleProbe(buf, LOOKUP_WRAPPER_KEY);
  let index = -1;
  let shapeChecked = false;

  scanDocument(buf, (start, end, flags) => {
    index++;
    result.records++;
    // The first record is always parsed, to tell CloudTrail from other JSON.
    if (probe !== undefined && shapeChecked && (flags & (SPAN_UNICODE_ESCAPE | SPAN_LOOKUP_ITEM)) === 0) {
      const mayWrap = (flags & SPAN_STANDALONE) !== 0 && wrapperProbe.holds(start, end);
      if (!mayWrap && !probe.holds(start, end)) return true;
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
      if (result.problems.length < 3) result.problems.push(`record ${index} is not valid JSON (${(error as Error).message})`);
      else if (result.problems.length === 3) result.problems.push('more records are not valid JSON');
      return true;
    }
    const shape = cloudTrailShape(record);
    if (shape !== 'cloudtrail') {
      result.notCloudTrail++;
      // A document whose first record is not CloudTrail (an S3 event notification, say) is not a trail log.
      if (!shapeChecked) return false;
      return true;
    }
    shapeChecked = true;
    const event = record as CloudTrailRecord;
    if (!filter.test(event, raw)) return true;
    result.matched++;
    return onMatch({ index, raw: compactJson(raw), time: parseEventTime(event['eventTime']), record: event }) !== false;
  });
  return result;
}
