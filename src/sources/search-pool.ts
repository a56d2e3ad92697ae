import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { searchBytes, searchFileSync, type FileSearchOptions, type FileSearchResult } from './file-search.js';
import { STDIN_PATH, type InputFile } from './local-files.js';

export interface PoolOptions extends FileSearchOptions {
  /** Worker threads to use; 0 searches in this thread. Default: one per core, when it pays. */
  readonly workers?: number;
  /** Standard input, for the `-` path. */
  readonly readStdin?: () => Promise<Buffer>;
}

/** Below this much input, starting threads costs more than it saves. */
const MIN_BYTES_FOR_WORKERS = 4 * 1024 * 1024;
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

/**
 * Searches `files` and yields one result per file, in the order of `files`, whatever order the
 * threads finish in. At most a few files run ahead of the consumer, so memory stays bounded by a
 * handful of files however large the archive.
 */
export async function* searchFiles(files: readonly InputFile[], spec: FilterSpec, options: PoolOptions = {}): AsyncGenerator<FileSearchResult> {
  const workerCount = chooseWorkerCount(files, options.workers);
  const searchOptions: FileSearchOptions = { keepNewest: options.keepNewest, limit: options.limit, countOnly: options.countOnly };
  if (workerCount === 0) {
    const filter = compileFilter(spec);
    for (const file of files) {
      if (file.path === STDIN_PATH) yield searchBytes('(standard input)', await readStdinOnce(options), filter, searchOptions);
      else yield searchFileSync(file.path, filter, searchOptions);
    }
    return;
  }
  yield* searchWithWorkers(files, spec, searchOptions, workerCount, options);
}

async function readStdinOnce(options: PoolOptions): Promise<Buffer> {
  if (options.readStdin === undefined) return readFileSync(0);
  return options.readStdin();
}

async function* searchWithWorkers(
  files: readonly InputFile[],
  spec: FilterSpec,
  searchOptions: FileSearchOptions,
  workerCount: number,
  options: PoolOptions,
): AsyncGenerator<FileSearchResult> {
  const done = new Map<number, FileSearchResult>();
  const maxAhead = workerCount * 3;
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
  const filter = compileFilter(spec);
  const sendWork = () => {
    while (idle.length > 0 && nextToSend < files.length && nextToSend - nextToYield < maxAhead) {
      const index = nextToSend++;
      const file = files[index] as InputFile;
      if (file.path === STDIN_PATH) {
        // Standard input belongs to this thread.
        void readStdinOnce(options).then((bytes) => {
          done.set(index, searchBytes('(standard input)', bytes, filter, searchOptions));
          signal();
        }, (error: Error) => {
          failure = error;
          signal();
        });
        continue;
      }
      (idle.pop() as Worker).postMessage({ index, path: file.path });
    }
  };

  for (let n = 0; n < workerCount; n++) {
    const worker = new Worker(WORKER_URL, { workerData: { spec, options: searchOptions } });
    worker.on('message', (message: { index: number; result: FileSearchResult }) => {
      done.set(message.index, message.result);
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
      const result = done.get(nextToYield);
      if (result === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      done.delete(nextToYield);
      nextToYield++;
      sendWork();
      yield result;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
