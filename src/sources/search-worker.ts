import { parentPort, workerData } from 'node:worker_threads';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { searchFileSync, type FileSearchOptions } from './file-search.js';

/** A search worker: searches the files the pool sends it, one at a time, with one compiled filter. */
interface WorkerInit {
  spec: FilterSpec;
  options: FileSearchOptions;
}

const init = workerData as WorkerInit;
const filter = compileFilter(init.spec);

parentPort?.on('message', (job: { index: number; path: string }) => {
  const result = searchFileSync(job.path, filter, init.options);
  parentPort?.postMessage({ index: job.index, result });
});
