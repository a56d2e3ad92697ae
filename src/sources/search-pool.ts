import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { compileFilter, type CompiledFilter, type FilterSpec } from '../core/record-filter.js';
import { searchFileStream, searchFileSync, searchStream, type FileSearchOptions, type FileSearchResult } from './file-search.js';
import { STDIN_PATH, type InputFile } from './local-files.js';

export interface PoolOptions extends FileSearchOptions {
  /** Worker threads to use; 0 searches in this thread. Default: one per core, when it pays. */
  readonly workers?: number;
  /** Standard input, for the `-` path: read as a stream, never whole. */
  readonly stdin?: () => AsyncIterable<Buffer>;
}

export const STDIN_LABEL = '(standard input)';

/** Below this much input, starting threads costs more than it saves. */
const MIN_BYTES_FOR_WORKERS = 4 * 1024 * 1024;
/**
 * Finished results waiting for an earlier, slower file are held in memory: past this many bytes
 * of their matches, no new file is handed out until the consumer catches up.
 */
const MAX_WAITING_BYTES = 64 * 1024 * 1024;
const WORKER_URL = new URL('./search-worker.js', import.meta.url);

/** How many worker threads a search of `files` should use. */
export function chooseWorkerCount(files: readonly InputFile[], requested: number | undefined): number {
  // Running from the TypeScript sources (tests) there is no compiled worker to start.
  if (!existsSync(fileURLToPath(WORKER_URL))) return 0;
  const searchable = files.filter((f) => f.path !== STDIN_PATH);
  if (requested !== undefined) return Math.max(0, Math.min(requested, searchable.length));
  const bytes = searchable.reduce((sum, f) => sum + f.size, 0);
  if (searchable.length < 2 || bytes < MIN_BYTES_FOR_WORKERS) return 0;
  return Math.min(availableParallelism(), searchable.length, 8);
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
 * finish in. A file small enough is searched in one piece (in a worker thread); a larger one, and
 * standard input, are searched as a stream in this thread when their turn comes, in batches (a
 * file's batches all have `more` set but the last). Files run ahead of the consumer only while
 * their results fit MAX_WAITING_BYTES, so memory stays bounded however large the archive or its
 * files.
 */
export async function* searchFiles(files: readonly InputFile[], spec: FilterSpec, options: PoolOptions = {}): AsyncGenerator<FileSearchResult> {
  const workerCount = chooseWorkerCount(files, options.workers);
  const searchOptions: FileSearchOptions = {
    ...(options.keepNewest === undefined ? {} : { keepNewest: options.keepNewest }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.countOnly === undefined ? {} : { countOnly: options.countOnly }),
  };
  const filter = compileFilter(spec);
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

async function* searchWithWorkers(
  files: readonly InputFile[],
  spec: FilterSpec,
  filter: CompiledFilter,
  searchOptions: FileSearchOptions,
  workerCount: number,
  options: PoolOptions,
): AsyncGenerator<FileSearchResult> {
  const done = new Map<number, FileSearchResult>();
  const maxAhead = workerCount * 3;
  let waitingBytes = 0;
  let nextToSend = 0;
  let nextToYield = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const idle: Worker[] = [];
  const workers: Worker[] = [];
  const sendWork = () => {
    while (idle.length > 0 && nextToSend < files.length && nextToSend - nextToYield < maxAhead && (waitingBytes < MAX_WAITING_BYTES || nextToSend === nextToYield)) {
      const index = nextToSend++;
      const file = files[index] as InputFile;
      // Standard input belongs to this thread, and is streamed when its turn comes.
      if (file.path === STDIN_PATH) continue;
      (idle.pop() as Worker).postMessage({ index, path: file.path });
    }
  };

  for (let n = 0; n < workerCount; n++) {
    const worker = new Worker(WORKER_URL, { workerData: { spec, options: searchOptions } });
    worker.on('message', (message: { index: number; result: FileSearchResult }) => {
      done.set(message.index, message.result);
      waitingBytes += matchBytes(message.result);
      idle.push(worker);
      sendWork();
      signal();
    });
    worker.on('error', (error) => {
      failure = error;
      signal();
    });
    workers.push(worker);
    idle.push(worker);
  }

  try {
    sendWork();
    while (nextToYield < files.length) {
      const file = files[nextToYield] as InputFile;
      if (file.path === STDIN_PATH) {
        nextToYield++;
        sendWork();
        yield* stdinResults(filter, searchOptions, options);
        continue;
      }
      const result = done.get(nextToYield);
      if (result === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      done.delete(nextToYield);
      waitingBytes -= matchBytes(result);
      nextToYield++;
      sendWork();
      if (result.stream === true) yield* searchFileStream(result.path, filter, searchOptions);
      else yield result;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
