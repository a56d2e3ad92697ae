import { workerData, type MessagePort } from 'node:worker_threads';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { searchFileSync, type FileSearchOptions, type FileSearchResult } from './file-search.js';

/** What a search worker is started with: the filter, the search options and the port it answers on. */
export interface WorkerInit {
  spec: FilterSpec;
  options: FileSearchOptions;
  port: MessagePort;
}

/** A job: the file at `index` of the search's list. */
export interface WorkerJob {
  index: number;
  path: string;
}

/** What a worker sends back: that it is ready for jobs, or the result of one. */
export type WorkerMessage = { kind: 'ready' } | { kind: 'result'; index: number; result: FileSearchResult };

/** A search worker: searches the files the pool sends it, one at a time, with one compiled filter. */
const init = workerData as WorkerInit | undefined;
if (init !== undefined) {
  const filter = compileFilter(init.spec);
  const port = init.port;
  port.on('message', (job: WorkerJob) => {
    const message: WorkerMessage = { kind: 'result', index: job.index, result: searchFileSync(job.path, filter, init.options) };
    port.postMessage(message);
  });
  port.postMessage({ kind: 'ready' } satisfies WorkerMessage);
}
