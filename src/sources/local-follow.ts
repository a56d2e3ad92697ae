import type { CompiledFilter } from '../core/record-filter.js';
import { searchFileStream, searchFileSync, type FileSearchResult, type WireMatch } from './file-search.js';
import { expandInputs, type InputFile } from './local-files.js';

interface FileState {
  size: number;
  mtimeMs: number;
  /** Records already seen in the file: a grown file's new records come after them. */
  records: number;
  /** Why the file failed to parse at this size: it may still be being written. */
  failure?: string;
  reported?: boolean;
}

/** Matches a poll holds before it prints them, sorted by time, and goes on. */
const FLUSH_BYTES = 32 * 1024 * 1024;

function byTime(a: WireMatch, b: WireMatch): number {
  return (a.time ?? -Infinity) - (b.time ?? -Infinity);
}

/** Remembers the last event ids printed, to never print an event twice. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

export interface PollResult {
  /** New matching events, oldest first. */
  matches: WireMatch[];
  /** Files that stayed broken across two polls, one line each. */
  errors: { path: string; message: string }[];
  /** Results whose problems (broken records, non-CloudTrail JSON) the caller should report. */
  results: FileSearchResult[];
}

/** What tail -f de-duplicates on: the top-level eventID, else the record's whole text. */
export function dedupKey(match: WireMatch): string {
  return match.eventId ?? match.raw;
}

/**
 * Watches local files and folders for new or grown log files by polling (portable, and it sees
 * files that a sync tool renames into place). A file that fails to parse is retried while it
 * grows, and reported only once it stays the same size and still fails.
 */
export class LocalFollower {
  private readonly known = new Map<string, FileState>();
  private readonly printed = new RecentIds(100_000);

  constructor(
    private readonly paths: readonly string[],
    private readonly filter: CompiledFilter,
  ) {}

  /** Records what the first pass read, so polling starts after it. */
  seed(file: InputFile, result: FileSearchResult): void {
    this.known.set(file.path, {
      size: file.size,
      mtimeMs: file.mtimeMs,
      records: result.records,
      ...(result.error === undefined ? {} : { failure: result.error, reported: true }),
    });
    for (const match of result.matches) this.remember(match);
  }

  /** Marks an event as printed; false when it was printed before. */
  remember(match: WireMatch): boolean {
    return this.printed.add(dedupKey(match));
  }

  /**
   * Looks for new events. `flush` prints what a poll holds early when a huge file (streamed in
   * batches) brings more than FLUSH_BYTES of new events.
   */
  async poll(flush?: (matches: WireMatch[]) => Promise<void>): Promise<PollResult> {
    const { files } = await expandInputs(this.paths);
    const out: PollResult = { matches: [], errors: [], results: [] };
    let held = 0;
    for (const file of files) {
      const state = this.known.get(file.path);
      if (state !== undefined && state.size === file.size && state.mtimeMs === file.mtimeMs) {
        if (state.failure !== undefined && state.reported !== true) {
          out.errors.push({ path: file.path, message: state.failure });
          state.reported = true;
        }
        continue;
      }
      // A file that shrank was replaced: all of it is new, and the id check drops repeats.
      const from = state !== undefined && file.size >= state.size ? state.records : 0;
      const one = searchFileSync(file.path, this.filter);
      const batches: AsyncIterable<FileSearchResult> | FileSearchResult[] = one.stream === true ? searchFileStream(file.path, this.filter) : [one];
      let records = 0;
      for await (const result of batches) {
        records += result.records;
        // A file still being written fails to parse: it is read again when it grows.
        if (result.error !== undefined) {
          this.known.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, records: state?.records ?? 0, failure: result.error });
          break;
        }
        for (const match of result.matches) {
          if (match.index >= from && this.remember(match)) {
            out.matches.push(match);
            held += match.raw.length;
          }
        }
        if (flush !== undefined && held > FLUSH_BYTES) {
          out.matches.sort(byTime);
          await flush(out.matches);
          out.matches = [];
          held = 0;
        }
        if (result.more === true) continue;
        this.known.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, records });
        out.results.push({ ...result, records });
      }
    }
    out.matches.sort(byTime);
    return out;
  }
}
