import type { S3Client } from '@aws-sdk/client-s3';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { TrailkitError } from '../core/errors.js';
import type { CompiledFilter } from '../core/record-filter.js';
import { dayFolders } from '../core/s3-layout.js';
import { rewoundStartAfter } from '../core/trail-window.js';
import { objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { listObjects } from '../aws/s3-trail-listing.js';
import { isGzip, searchBytes, type FileSearchOptions, type FileSearchResult, type WireMatch } from './file-search.js';
import { dedupKey, RecentIds } from './local-follow.js';
import { mapOrdered } from './ordered-map.js';
import { describeObjectFailure, type ObjectFailure } from './s3-object-errors.js';
import { EVENT_KINDS, listingError, s3Url, trailFolders, type S3TrailQuery, type TrailObject } from './s3-trail-objects.js';

const gunzipAsync = promisify(gunzip);
const MAX_DECOMPRESSED_BYTES = 2 ** 31 - 1;

/** A searched object; `failure` is set when it could not be fetched. */
export interface ObjectSearchResult extends FileSearchResult {
  readonly key: string;
  readonly failure?: ObjectFailure;
}

/** Fetches one object's bytes into memory (never to disk). */
export async function fetchObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<Buffer> {
  const object = await objectReader(s3).get(bucket, key, signal);
  try {
    return await readObjectBytes(object);
  } finally {
    object.body.destroy();
  }
}

/**
 * Fetches and searches one object exactly as a file with the same bytes is searched (same
 * decoding, scanner, filter and messages). Gunzip runs on libuv's thread pool so several objects
 * decompress while this thread scans; when it fails, the file search reports it the usual way.
 */
export async function searchObject(s3: S3Client, bucket: string, key: string, filter: CompiledFilter, options: FileSearchOptions, signal?: AbortSignal): Promise<ObjectSearchResult> {
  const path = s3Url(bucket, key);
  let bytes: Buffer;
  try {
    bytes = await fetchObject(s3, bucket, key, signal);
  } catch (error) {
    const failure = describeObjectFailure(error);
    return { path, key, failure, matches: [], matched: 0, records: 0, parsed: 0, notCloudTrail: 0, problems: [], error: failure.message };
  }
  let document = bytes;
  if (isGzip(bytes)) {
    try {
      document = await gunzipAsync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch {
      document = bytes;
    }
  }
  return { ...searchBytes(path, document, filter, options), key };
}

export interface S3SearchOptions extends FileSearchOptions {
  readonly concurrency: number;
  /** Give up after this many objects in a row were denied (a missing permission, not one object). */
  readonly maxDeniedInARow?: number;
}

/**
 * Searches the objects in order, `concurrency` at a time, yielding one result per object in
 * listing order (so output is deterministic); the consumer's pace bounds what is fetched ahead.
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
  for await (const result of mapOrdered(objects, options.concurrency, (object, signal) => searchObject(s3, bucket, object.key, filter, search, signal))) {
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

  async poll(now: number): Promise<S3PollResult> {
    const { bucket } = this.query;
    const folders = await trailFolders(this.s3, this.query, EVENT_KINDS);
    const fresh: TrailObject[] = [];
    for (const folder of folders) {
      for (const day of dayFolders(now - this.lateMs, now, 0)) {
        const prefix = `${folder.root}${day}`;
        const state = this.state(prefix);
        const startAfter = state.lastKey === undefined ? undefined : rewoundStartAfter(prefix, state.lastKey, this.lateMs);
        try {
          for await (const object of listObjects(this.s3, bucket, prefix, startAfter)) {
            if (!state.seen.has(object.key)) fresh.push({ ...object, kind: folder.kind, folder });
          }
        } catch (error) {
          throw listingError(error, bucket);
        }
        // Keys before the rewound start are never listed again: forget them.
        if (startAfter !== undefined) for (const key of state.seen) if (key <= startAfter) state.seen.delete(key);
      }
    }
    const out: S3PollResult = { matches: [], results: [], retrying: 0 };
    for await (const result of mapOrdered(fresh, this.options.concurrency, (object, signal) => searchObject(this.s3, bucket, object.key, this.filter, {}, signal))) {
      if (result.failure?.transient === true) {
        out.retrying++;
        continue;
      }
      this.seedKey(result.key);
      out.results.push(result);
      if (result.error === undefined) out.matches.push(...this.fresh(result.matches));
    }
    out.matches.sort((a, b) => (a.time ?? -Infinity) - (b.time ?? -Infinity));
    return out;
  }
}
