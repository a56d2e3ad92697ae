import { usageError } from '../core/errors.js';
import type { FilterSpec } from '../core/record-filter.js';
import type { FileSearchResult } from '../sources/file-search.js';
import { expandInputs, STDIN_PATH, type InputFile } from '../sources/local-files.js';
import { searchFiles, type PoolOptions, type PoolStats } from '../sources/search-pool.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';

/** The PATH arguments, or standard input when none are given and it is not a terminal. */
export function inputPaths(ctx: CliContext, paths: readonly string[], command: string): string[] {
  if (paths.length > 0) return [...paths];
  if (ctx.stdin.isTTY !== true) return [STDIN_PATH];
  throw usageError(`${command}: needs a file or folder to read`, `e.g. trailkit ${command} ./AWSLogs --event-name 'Delete*', or pipe a log file into it`);
}

/** Expands PATH arguments, reporting the ones that cannot be used. */
export async function resolveInputs(ctx: CliContext, paths: readonly string[], options: { emptyIsFine?: boolean } = {}): Promise<{ files: InputFile[]; hadError: boolean }> {
  const { files, problems } = await expandInputs(paths);
  const reported = problems.filter((p) => !(options.emptyIsFine === true && p.kind === 'empty'));
  for (const problem of reported) reportInputError(ctx, problem.path, problem.message);
  return { files, hadError: reported.length > 0 };
}

/** Reports what a file's search found wrong; returns whether it counts as an error. */
export function reportFileResult(ctx: CliContext, result: FileSearchResult): boolean {
  if (result.error !== undefined) {
    reportInputError(ctx, result.path, result.error);
    return true;
  }
  for (const problem of result.problems) reportInputError(ctx, result.path, problem);
  if (result.notCloudTrail > 0) {
    const message = result.notCloudTrail === result.parsed
      ? 'is JSON but not CloudTrail events (an S3 event notification, say); skipped'
      : `${result.notCloudTrail} of its records are not CloudTrail events; skipped them`;
    ctx.warn(`${result.path}: ${message}`);
  }
  return result.problems.length > 0;
}

/**
 * Searches the files in order, reporting problems; `onResult` gets each result (a large file's
 * in batches, see FileSearchResult.more) and returns false to stop.
 */
export async function searchInputs(
  ctx: CliContext,
  files: readonly InputFile[],
  spec: FilterSpec,
  options: PoolOptions,
  onResult: (result: FileSearchResult) => Promise<boolean>,
): Promise<{ hadError: boolean; stats: { files: number; records: number; parsed: number; threads: PoolStats } }> {
  let hadError = false;
  const threads: PoolStats = { workers: 0, filesByWorkers: 0 };
  const stats = { files: 0, records: 0, parsed: 0, threads };
  const workers = ctx.env['TRAILKIT_WORKERS'];
  const pool: PoolOptions = {
    ...options,
    stats: threads,
    stdin: () => ctx.stdin as AsyncIterable<Buffer>,
    ...(workers !== undefined && /^\d+$/.test(workers) ? { workers: Number(workers) } : {}),
  };
  for await (const result of searchFiles(files, spec, pool)) {
    if (result.more !== true) stats.files++;
    stats.records += result.records;
    stats.parsed += result.parsed;
    if (reportFileResult(ctx, result)) hadError = true;
    // Events found before a file's problem are real events: they are printed too.
    if (!(await onResult(result))) break;
  }
  return { hadError, stats };
}
