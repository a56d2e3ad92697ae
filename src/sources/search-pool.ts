import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MessagePort, Worker } from 'node:worker_threads';
import { compileFilter, type CompiledFilter, type FilterSpec } from '../core/record-filter.js';
import { searchFileStream, searchFileSync, searchStream, type FileSearchOptions, type FileSearchResult } from './file-search.js';
import { STDIN_PATH, type InputFile } from './local-files.js';
import type { WorkerInit, WorkerMessage } from './search-worker.js';

export interface PoolOptions extends FileSearchOptions {
  /**
   * Worker threads to start besides this thread, which searches too; 0 searches in this thread
   * only. Default: one fewer than the cores, when the input is large enough to pay for them.
   */
  readonly workers?: number;
  /** Standard input, for the `-` path: read as a stream, never whole. */
  readonly stdin?: () => AsyncIterable<Buffer>;
  /** Filled in as the search goes: how the work was shared between threads. */
  readonly stats?: PoolStats;
}

export interface PoolStats {
  /** Worker threads started. */
  workers: number;
  /** Files searched by a worker thread (the others were searched by this thread). */
  filesByWorkers: number;
}

export const STDIN_LABEL = '(standard input)';

/**
 * What the search of one file costs besides its bytes (open, read, inflate set-up, result), in
 * bytes of JSON searched in the same time: about 40 µs, the time of some 16 KB.
 */
const FILE_COST_BYTES = 16 * 1024;
/** A gzip file searched is this many times its size in JSON (CloudTrail log files inflate 5 to 15 times). */
const GZIP_RATIO = 9;
/**
 * Below this much work (in bytes of JSON), a worker thread does not pay for itself: one is ready
 * 0.1-0.2 s after it is started and adds 0.2-0.35 s of CPU (a V8 isolate, the search's modules,
 * its own compilation of the hot code). This thread alone inflates and searches 100 MB in about
 * 0.15-0.2 s (the scanning loop in WebAssembly), so on 184 MB of deliveries one worker and none
 * took the same time (the best of ten runs 524 against 535 ms), and on 368 MB the worker saved
 * 10%. On a free core its CPU costs no time; with no core free, it is time lost.
 */
export const MIN_WORK_FOR_WORKERS = 256 * 1024 * 1024;
/** Jobs handed to a worker ahead of the one it is on, so it never waits for this thread to send the next. */
const JOBS_PER_WORKER = 2;
/**
 * Finished results waiting for an earlier, slower file are held in memory: past this many bytes
 * of their matches, no new file is taken until the consumer catches up.
 */
const MAX_WAITING_BYTES = 64 * 1024 * 1024;
const WORKER_URL = new URL('./search-worker.js', import.meta.url);

/** The search work of `files`, in bytes of JSON: what the choice of threads is made on. */
export function estimatedWork(files: readonly InputFile[]): number {
  let work = 0;
  for (const f of files) {
    if (f.path === STDIN_PATH) continue;
    work += FILE_COST_BYTES + (/\.gz$/i.test(f.path) ? GZIP_RATIO * f.size : f.size);
  }
  return work;
}

/** How many worker threads a search of `files` should start besides this thread. */
export function chooseWorkerCount(files: readonly InputFile[], requested: number | undefined): number {
  // Running from the TypeScript sources (tests) there is no compiled worker to start.
  if (!existsSync(fileURLToPath(WORKER_URL))) return 0;
  const searchable = files.filter((f) => f.path !== STDIN_PATH).length;
  if (requested !== undefined) return Math.max(0, Math.min(requested, searchable - 1));
  if (searchable < 2 || estimatedWork(files) < MIN_WORK_FOR_WORKERS) return 0;
  return Math.max(0, Math.min(availableParallelism() - 1, searchable - 1, 7));
}

function matchBytes(result: FileSearchResult): number {
  let n = 256;
  for (const m of result.matches) n += m.raw.length;
  return n;
}

async function* stdinResults(filter: CompiledFilter, search: FileSearchOptions, options: PoolOptions): AsyncGenerator<FileSearchResult> {
  const stdin = options.stdin?.() ?? (process.stdin as AsyncIterable<Buffer>);
  yield* searchStream(STDIN_LABEL, stdin, filter, search);
}

/**
 * Searches `files` and yields their results in the order of `files`, whatever order the threads
 * finish in. A file small enough is searched in one piece, by this thread or a worker thread; a
 * larger one, and standard input, are searched as a stream in this thread when their turn comes,
 * in batches (a file's batches all have `more` set but the last). Files run ahead of the consumer
 * only while their results fit MAX_WAITING_BYTES, so memory stays bounded however large the
 * archive or its files.
 */
export async function* searchFiles(files: readonly InputFile[], spec: FilterSpec, options: PoolOptions = {}): AsyncGenerator<FileSearchResult> {
  const workerCount = chooseWorkerCount(files, options.workers);
  const searchOptions: FileSearchOptions = {
    ...(options.keepNewest === undefined ? {} : { keepNewest: options.keepNewest }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.countOnly === undefined ? {} : { countOnly: options.countOnly }),
    ...(options.keepRecords === undefined ? {} : { keepRecords: options.keepRecords }),
  };
  const filter = compileFilter(spec);
  if (options.stats !== undefined) options.stats.workers = workerCount;
  if (workerCount === 0) {
    for (const file of files) {
      if (file.path === STDIN_PATH) {
        yield* stdinResults(filter, searchOptions, options);
        continue;
      }
      const result = searchFileSync(file.path, filter, searchOptions);
      if (result.stream === true) yield* searchFileStream(file.path, filter, searchOptions);
      else yield result;
    }
    return;
  }
  yield* searchWithWorkers(files, spec, filter, searchOptions, workerCount, options);
}

/** A worker thread and the port its results come back on. */
interface SearchThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  ready: boolean;
  /** Files sent to it and not answered yet. */
  inFlight: number;
}

/**
 * This thread searches files too, in order, while the workers search the files after them: the
 * workers are started at once but take files only once they are ready, so a search never waits
 * for a thread to start, and the start-up of a thread overlaps with the search.
 */
async function* searchWithWorkers(
  files: readonly InputFile[],
  spec: FilterSpec,
  filter: CompiledFilter,
  searchOptions: FileSearchOptions,
  workerCount: number,
  options: PoolOptions,
): AsyncGenerator<FileSearchResult> {
  // Loaded here, where threads are started: Node's worker modules cost every other search (a
  // few small files, in this thread) about 5 ms of start-up.
  const { MessageChannel, receiveMessageOnPort, Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const done = new Map<number, FileSearchResult>();
  /** Files handed to a worker and not answered yet. */
  const taken = new Set<number>();
  const maxAhead = (workerCount + 1) * (JOBS_PER_WORKER + 2);
  let waitingBytes = 0;
  let nextToTake = 0;
  let nextToYield = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  /** Whether the file at nextToTake may be searched now, without running too far ahead of the consumer. */
  const mayTakeNext = () =>
    nextToTake < files.length && (nextToTake === nextToYield || (nextToTake - nextToYield < maxAhead && waitingBytes < MAX_WAITING_BYTES));

  const threads: SearchThread[] = [];
  const handle = (thread: SearchThread, message: WorkerMessage) => {
    if (message.kind === 'ready') {
      thread.ready = true;
      return;
    }
    thread.inFlight--;
    if (options.stats !== undefined) options.stats.filesByWorkers++;
    taken.delete(message.index);
    done.set(message.index, message.result);
    waitingBytes += matchBytes(message.result);
  };
  /** Takes in what the workers have answered, without waiting, and hands them more files. */
  const exchange = () => {
    for (const thread of threads) {
      for (let m = receiveMessageOnPort(thread.port); m !== undefined; m = receiveMessageOnPort(thread.port)) handle(thread, m.message as WorkerMessage);
    }
    for (const thread of threads) {
      while (thread.ready && thread.inFlight < JOBS_PER_WORKER && mayTakeNext()) {
        const index = nextToTake;
        // Standard input belongs to this thread, and is streamed when its turn comes.
        if ((files[index] as InputFile).path === STDIN_PATH) break;
        nextToTake++;
        taken.add(index);
        thread.inFlight++;
        thread.port.postMessage({ index, path: (files[index] as InputFile).path });
      }
    }
  };

  for (let n = 0; n < workerCount; n++) {
    const { port1, port2 } = new MessageChannel();
    // A worker's matches come back without their records (see WireMatch.record).
    const { keepRecords: _notSent, ...workerOptions } = searchOptions;
    const init: WorkerInit = { spec, options: workerOptions, port: port2 };
    const worker = new Worker(WORKER_URL, { workerData: init, transferList: [port2] });
    const thread: SearchThread = { worker, port: port1, ready: false, inFlight: 0 };
    // Answers that arrive while this thread waits; receiveMessageOnPort takes the others.
    port1.on('message', (message: WorkerMessage) => {
      handle(thread, message);
      exchange();
      signal();
    });
    worker.on('error', (error) => {
      failure = error;
      signal();
    });
    threads.push(thread);
  }

  try {
    for (;;) {
      exchange();
      if (nextToYield >= files.length) break;
      const file = files[nextToYield] as InputFile;
      const result = done.get(nextToYield);
      if (result !== undefined) {
        done.delete(nextToYield);
        waitingBytes -= matchBytes(result);
        nextToYield++;
        if (result.stream === true) yield* searchFileStream(result.path, filter, searchOptions);
        else yield result;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (!taken.has(nextToYield)) {
        // Nobody has it: this thread searches it now (or streams it: standard input, a large file).
        nextToTake = Math.max(nextToTake, nextToYield + 1);
        nextToYield++;
        exchange();
        if (file.path === STDIN_PATH) {
          yield* stdinResults(filter, searchOptions, options);
          continue;
        }
        const own = searchFileSync(file.path, filter, searchOptions);
        if (own.stream === true) yield* searchFileStream(file.path, filter, searchOptions);
        else yield own;
        continue;
      }
      // A worker has the next file: search a later one meanwhile, or wait for an answer.
      if (mayTakeNext() && (files[nextToTake] as InputFile).path !== STDIN_PATH) {
        const index = nextToTake++;
        const own = searchFileSync((files[index] as InputFile).path, filter, searchOptions);
        done.set(index, own);
        waitingBytes += matchBytes(own);
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    for (const thread of threads) thread.port.close();
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
