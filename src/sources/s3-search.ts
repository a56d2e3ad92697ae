import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { TrailkitError } from '../core/errors.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { dayFolders } from '../core/s3-layout.js';
import { rewoundStartAfter } from '../core/trail-window.js';
import { ObjectTooLargeError, objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { listObjects } from '../aws/s3-trail-listing.js';
import { isGzip, searchBytes, searchStream, WHOLE_DOCUMENT_BYTES, type FileSearchOptions, type FileSearchResult, type WireMatch } from './file-search.js';
import { dedupKey, RecentIds } from './local-follow.js';
import { mapOrdered } from './ordered-map.js';
import { describeObjectFailure, type ObjectFailure } from './s3-object-errors.js';
import { EVENT_KINDS, listingError, s3Url, trailFolders, type S3TrailQuery, type TrailObject } from './s3-trail-objects.js';

const gunzipAsync = promisify(gunzip);

/** A searched object (or a batch of one searched as a stream); `failure` is set when it could not be fetched. */
export interface ObjectSearchResult extends FileSearchResult {
  readonly key: string;
  readonly failure?: ObjectFailure;
}

function failed(bucket: string, key: string, error: unknown): ObjectSearchResult {
  const failure = describeObjectFailure(error);
  return { path: s3Url(bucket, key), key, failure, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [], error: failure.message };
}

/**
 * Fetches and searches one object in memory exactly as a file with the same bytes is searched
 * (same decoding, scanner, filter and messages). Gunzip runs on libuv's thread pool so several
 * objects decompress while this thread scans. An object larger than WHOLE_DOCUMENT_BYTES, or
 * inflating past it, comes back with `stream` set and nothing searched: searchObjectStream reads
 * it again as a stream, when its turn comes.
 */
export async function searchObject(s3: S3Client, bucket: string, key: string, filter: CompiledFilter, options: FileSearchOptions, signal?: AbortSignal): Promise<ObjectSearchResult> {
  const path = s3Url(bucket, key);
  let bytes: Buffer;
  try {
    const object = await objectReader(s3).get(bucket, key, signal);
    try {
      bytes = await readObjectBytes(object, WHOLE_DOCUMENT_BYTES);
    } finally {
      object.body.destroy();
    }
  } catch (error) {
    if (error instanceof ObjectTooLargeError) return { path, key, stream: true, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
    return failed(bucket, key, error);
  }
  let document = bytes;
  if (isGzip(bytes)) {
    try {
      document = await gunzipAsync(bytes, { maxOutputLength: WHOLE_DOCUMENT_BYTES });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { path, key, stream: true, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [] };
      // The file search reports a broken gzip the usual way.
      document = bytes;
    }
  }
  return { ...searchBytes(path, document, filter, options), key };
}

/** Searches one object as a stream (see searchStream), in batches: for objects too large to hold. */
export async function* searchObjectStream(s3: S3Client, bucket: string, key: string, filter: CompiledFilter, options: FileSearchOptions, signal?: AbortSignal): AsyncGenerator<ObjectSearchResult> {
  let body: Readable;
  try {
    body = (await objectReader(s3).get(bucket, key, signal)).body;
  } catch (error) {
    yield failed(bucket, key, error);
    return;
  }
  try {
    for await (const batch of searchStream(s3Url(bucket, key), body as AsyncIterable<Buffer>, filter, options)) yield { ...batch, key };
  } finally {
    body.destroy();
  }
}

/**
 * Bytes held by objects in flight, fetched ahead of the one being printed: an object waits for
 * room before it is fetched, except the next one to print, which always goes ahead (so the
 * search never waits on itself).
 */
class ByteBudget {
  private used = 0;
  private head = 0;
  private readonly waiting: { seq: number; bytes: number; go: () => void }[] = [];

  constructor(private readonly limit: number) {}

  async acquire(seq: number, bytes: number): Promise<void> {
    if (seq === this.head || this.used + bytes <= this.limit) {
      this.used += bytes;
      return;
    }
    await new Promise<void>((go) => {
      this.waiting.push({ seq, bytes, go });
      this.waiting.sort((a, b) => a.seq - b.seq);
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.wake();
  }

  /** The object printed next. */
  advance(seq: number): void {
    this.head = seq;
    this.wake();
  }

  private wake(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0] as { seq: number; bytes: number; go: () => void };
      if (first.seq !== this.head && this.used + first.bytes > this.limit) return;
      this.waiting.shift();
      this.used += first.bytes;
      first.go();
    }
  }
}

/** What fetching and searching an object of `size` bytes may hold at once: it, its inflated text, and its matches. */
function footprint(size: number): number {
  const compressed = Math.min(Math.max(size, 0), WHOLE_DOCUMENT_BYTES);
  return compressed + 2 * Math.min(WHOLE_DOCUMENT_BYTES, compressed * 16) + 4096;
}

function resultBytes(result: FileSearchResult): number {
  let n = 256;
  for (const m of result.matches) n += m.raw.length;
  return n;
}

/** Bytes that objects fetched ahead of the one being printed may hold, whatever their number. */
export const MAX_BYTES_IN_FLIGHT = 128 * 1024 * 1024;

export interface S3SearchOptions extends FileSearchOptions {
  readonly concurrency: number;
  /** Give up after this many objects in a row were denied (a missing permission, not one object). */
  readonly maxDeniedInARow?: number;
}

/**
 * Searches the objects in order, `concurrency` at a time and within MAX_BYTES_IN_FLIGHT, yielding
 * their results in listing order (so output is deterministic); an object too large to hold is
 * searched as a stream when its turn comes, in batches. The consumer's pace bounds what is
 * fetched ahead.
 */
export async function* searchObjects(
  s3: S3Client,
  bucket: string,
  objects: AsyncIterable<TrailObject>,
  filter: CompiledFilter,
  options: S3SearchOptions,
): AsyncGenerator<ObjectSearchResult> {
  const search: FileSearchOptions = {
    ...(options.keepNewest === undefined ? {} : { keepNewest: options.keepNewest }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.countOnly === undefined ? {} : { countOnly: options.countOnly }),
  };
  const maxDenied = options.maxDeniedInARow ?? 10;
  let deniedInARow = 0;
  for await (const result of searchOrdered(s3, bucket, objects, filter, search, options.concurrency)) {
    if (result.more === true) {
      yield result;
      continue;
    }
    if (result.failure?.denied === true) {
      deniedInARow++;
      if (deniedInARow >= maxDenied) {
        yield result;
        throw new TrailkitError('access-denied', `${maxDenied} objects in a row could not be read in s3://${bucket}; stopping`, {
          hint: /kms/i.test(result.failure.message) ? 'the caller needs kms:Decrypt on the trail\'s KMS key' : 'the caller needs s3:GetObject on the bucket\'s objects',
        });
      }
    } else {
      deniedInARow = 0;
    }
    yield result;
  }
}

/** The objects' results in order, within the byte budget; large objects streamed at their turn. */
async function* searchOrdered(
  s3: S3Client,
  bucket: string,
  objects: AsyncIterable<TrailObject> | Iterable<TrailObject>,
  filter: CompiledFilter,
  options: FileSearchOptions,
  concurrency: number,
): AsyncGenerator<ObjectSearchResult> {
  const budget = new ByteBudget(MAX_BYTES_IN_FLIGHT);
  let seq = 0;
  async function* numbered(): AsyncGenerator<{ object: TrailObject; seq: number }> {
    for await (const object of objects) yield { object, seq: seq++ };
  }
  const work = async ({ object, seq: n }: { object: TrailObject; seq: number }, signal: AbortSignal): Promise<{ result: ObjectSearchResult; held: number }> => {
    const reserved = footprint(object.size);
    await budget.acquire(n, reserved);
    let result: ObjectSearchResult;
    try {
      result = await searchObject(s3, bucket, object.key, filter, options, signal);
    } catch (error) {
      budget.release(reserved);
      throw error;
    }
    const held = resultBytes(result);
    budget.release(reserved);
    await budget.acquire(n, held);
    return { result, held };
  };
  let next = 0;
  for await (const { result, held } of mapOrdered(numbered(), concurrency, work)) {
    next++;
    budget.release(held);
    budget.advance(next);
    if (result.stream === true) yield* searchObjectStream(s3, bucket, result.key, filter, options);
    else yield result;
  }
}

interface FolderState {
  lastKey: string | undefined;
  /** Keys already read in the part of the folder that is listed again on each poll. */
  seen: Set<string>;
}

export interface S3PollResult {
  matches: WireMatch[];
  results: ObjectSearchResult[];
  /** Objects that failed in a way worth retrying; they are read again on the next poll. */
  retrying: number;
}

/**
 * Follows a trail in S3 (`tail --bucket -f`): each poll lists, per day folder of today (and
 * yesterday until late files stop arriving), only the keys after the last one seen, rewound by
 * `lateMs` so a file that is delivered late or out of order is still found; keys already read are
 * skipped, and events already printed (by eventID) are never printed again.
 */
export class S3Follower {
  private readonly folders = new Map<string, FolderState>();
  private readonly printed = new RecentIds(200_000);

  constructor(
    private readonly s3: S3Client,
    private readonly query: S3TrailQuery,
    private readonly filter: CompiledFilter,
    private readonly options: { concurrency: number; lateMs?: number },
  ) {}

  private get lateMs(): number {
    return this.options.lateMs ?? 3_600_000;
  }

  private state(folder: string): FolderState {
    let state = this.folders.get(folder);
    if (state === undefined) {
      state = { lastKey: undefined, seen: new Set() };
      this.folders.set(folder, state);
    }
    return state;
  }

  /** Records a key the first pass listed (read or skipped as too old), so polling starts after it. */
  seedKey(key: string): void {
    const folder = key.slice(0, key.lastIndexOf('/') + 1);
    const state = this.state(folder);
    state.seen.add(key);
    if (state.lastKey === undefined || key > state.lastKey) state.lastKey = key;
  }

  /** Forgets a key the first pass could not read for a passing reason, so a poll reads it again. */
  forgetKey(key: string): void {
    this.folders.get(key.slice(0, key.lastIndexOf('/') + 1))?.seen.delete(key);
  }

  /** Marks events as printed; returns the ones that were not printed before. */
  fresh(matches: readonly WireMatch[]): WireMatch[] {
    return matches.filter((m) => this.printed.add(dedupKey(m)));
  }

  /** `flush` prints matches early when a poll finds more than FLUSH_BYTES of them (a huge delivery). */
  async poll(now: number, flush?: (matches: WireMatch[]) => Promise<void>): Promise<S3PollResult> {
    const { bucket } = this.query;
    const folders = await trailFolders(this.s3, this.query, EVENT_KINDS);
    const listed: TrailObject[] = [];
    for (const folder of folders) {
      for (const day of dayFolders(now - this.lateMs, now, 0)) {
        const prefix = `${folder.root}${day}`;
        const state = this.state(prefix);
        const startAfter = state.lastKey === undefined ? undefined : rewoundStartAfter(prefix, state.lastKey, this.lateMs);
        try {
          for await (const object of listObjects(this.s3, bucket, prefix, startAfter)) {
            if (!state.seen.has(object.key)) listed.push({ ...object, kind: folder.kind, folder });
          }
        } catch (error) {
          throw listingError(error, bucket);
        }
        // Keys before the rewound start are never listed again: forget them.
        if (startAfter !== undefined) for (const key of state.seen) if (key <= startAfter) state.seen.delete(key);
      }
    }
    const out: S3PollResult = { matches: [], results: [], retrying: 0 };
    let held = 0;
    for await (const result of searchOrdered(this.s3, bucket, listed, this.filter, {}, this.options.concurrency)) {
      if (result.failure?.transient === true) {
        out.retrying++;
        continue;
      }
      const fresh = this.fresh(result.matches);
      out.matches.push(...fresh);
      held += resultsBytes(fresh);
      if (flush !== undefined && held > FLUSH_BYTES) {
        out.matches.sort(byTime);
        await flush(out.matches);
        out.matches = [];
        held = 0;
      }
      if (result.more === true) continue;
      this.seedKey(result.key);
      out.results.push(result);
    }
    out.matches.sort(byTime);
    return out;
  }
}

/** Matches a poll holds before it prints them, sorted by time, and goes on. */
export const FLUSH_BYTES = 32 * 1024 * 1024;

function byTime(a: WireMatch, b: WireMatch): number {
  return (a.time ?? -Infinity) - (b.time ?? -Infinity);
}

export function resultsBytes(matches: readonly WireMatch[]): number {
  let n = 0;
  for (const m of matches) n += m.raw.length;
  return n;
}
