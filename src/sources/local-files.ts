import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isEventFileName } from '../core/trail-files.js';
import { notAFileReason } from './regular-file.js';

/** One input to search: a file on disk, or standard input. */
export interface InputFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export const STDIN_PATH = '-';

/**
 * Whether a file met in a folder walk holds events (core/trail-files.ts: the rule a bucket listing
 * applies too). Digest files hold none, and neither do the signature-metadata files `download`
 * keeps beside them (`*.meta.json`) or hidden files. Files named on the command line are read
 * whatever their name.
 */
export function isLogFileName(path: string): boolean {
  return isEventFileName(basename(path));
}

export interface ExpandedInputs {
  files: InputFile[];
  /** One line per input that could not be used (missing path, unreadable folder, empty folder). */
  problems: InputProblem[];
}

export interface InputProblem {
  readonly path: string;
  readonly message: string;
  /** `empty`: a folder with no log files yet, which `tail -f` waits on. */
  readonly kind: 'unusable' | 'empty';
}

/**
 * Turns the PATH arguments into the files to read: folders are walked recursively (sorted, so an
 * S3-layout archive is read in delivery order within each region), `-` is standard input.
 */
export async function expandInputs(paths: readonly string[]): Promise<ExpandedInputs> {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  for (const path of paths) {
    if (path === STDIN_PATH) {
      files.push({ path, size: 0, mtimeMs: 0 });
      continue;
    }
    let info;
    try {
      // Synchronously, as the walk does: a shell glob can name thousands of files.
      info = statSync(path);
    } catch (error) {
      problems.push({ path, message: describeFsError(error), kind: 'unusable' });
      continue;
    }
    if (info.isDirectory()) {
      const before = files.length;
      try {
        walk(path, files);
      } catch (error) {
        problems.push({ path, message: describeFsError(error), kind: 'unusable' });
        continue;
      }
      if (files.length === before) {
        problems.push({ path, kind: 'empty', message: 'no CloudTrail log files in this folder (looked for *.json, *.json.gz, *.jsonl, *.ndjson; digest files are skipped)' });
      }
    } else {
      // A device never ends and a FIFO blocks until someone writes to it: only regular files are read.
      const reason = notAFileReason(info);
      if (reason === undefined) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      else problems.push({ path, message: reason, kind: 'unusable' });
    }
  }
  return { files, problems };
}

/**
 * The files a folder walk reads under `dir`, sorted as the walk meets them: what `grep` and `tail`
 * read of a folder, and what `validate-digest` judges of a downloaded trail's region folders.
 */
export async function walkEventFiles(dir: string): Promise<InputFile[]> {
  const out: InputFile[] = [];
  walk(dir, out);
  return out;
}

/**
 * The walk is synchronous: a trail folder holds thousands of small files, and an asynchronous
 * stat of each one costs a round trip through the thread pool and the event loop, which took
 * longer than searching the files.
 */
function walk(dir: string, out: InputFile[]): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      // Digest folders hold no events.
      if (entry.name === 'CloudTrail-Digest') continue;
      walk(full, out);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && isLogFileName(full)) {
      try {
        const info = statSync(full);
        if (info.isFile()) out.push({ path: full, size: info.size, mtimeMs: info.mtimeMs });
      } catch {
        // A dangling link or a file removed during the walk: nothing to read.
      }
    }
  }
}

/** A one-line reason for a file-system error, without Node's stack or syscall noise. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (check the file mode or run as a user who can read it)';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
