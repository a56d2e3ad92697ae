import { usageError } from '../core/errors.js';
import type { FileSearchResult } from '../sources/file-search.js';
import { STDIN_PATH } from '../sources/local-files.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';

/** The PATH arguments, or standard input when none are given and it is not a terminal. */
export function inputPaths(ctx: CliContext, paths: readonly string[], command: string): string[] {
  if (paths.length > 0) return [...paths];
  if (ctx.stdin.isTTY !== true) return [STDIN_PATH];
  throw usageError(`${command}: needs a file or folder to read`, `e.g. trailkit ${command} ./AWSLogs --event-name 'Delete*', or pipe a log file into it`);
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
