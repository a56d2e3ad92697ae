/**
 * Time windows and object order for reading a trail where it is delivered (S3, CloudWatch Logs).
 * Pure: the CLI resolves the window, sources use the ordering and pruning rules.
 */
import { parseLogFileName } from './s3-layout.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface TimeWindow {
  readonly since: number;
  readonly until: number;
  /** Whether --since was not given and the command's default length was used. */
  readonly defaulted: boolean;
}

/**
 * The window to search: the flags when given, else the `defaultMs` before `until` (or now).
 * `grep` on a bucket defaults to the last 24 h, `tail` to the last hour.
 */
export function resolveWindow(since: number | undefined, until: number | undefined, now: number, defaultMs: number): TimeWindow {
  const end = until ?? now;
  if (since !== undefined) return { since, until: end, defaulted: false };
  return { since: end - defaultMs, until: end, defaulted: true };
}

/** `2026-11-20T10:05:00Z`, without milliseconds. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A length of time for a message: `24 h`, `1 h`, `90 min`, `2 d`. */
export function formatSpan(ms: number): string {
  if (ms % DAY_MS === 0 && ms >= 2 * DAY_MS) return `${ms / DAY_MS} d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * Orders keys as a sorted folder walk does: segment by segment. Plain string order would put
 * `CloudTrail-Insight/` before `CloudTrail/` ('-' sorts before '/'), which a walk of the
 * downloaded folder does not, and output order must be the same from S3 and from a download.
 */
export function compareKeys(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Whether a log file can hold events at or after `since`. A file is named by its delivery time
 * (minute precision), and every event in it happened before it was delivered, so a file
 * delivered before `since` holds none. Names that do not parse are always read.
 */
export function mayHoldEventsSince(fileName: string, since: number): boolean {
  const parsed = parseLogFileName(fileName);
  if (parsed === undefined) return true;
  return parsed.deliveredAt + 60_000 > since;
}

/** `YYYYMMDDTHHmmZ` as in a log file name. */
export function logFileStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}Z`;
}

/**
 * The `StartAfter` key for polling a day folder for new files: the last seen file's name with
 * its delivery time moved back by `lateMs`, so a file that arrives late (named by an earlier
 * time than the last one seen) is still listed. Undefined when the whole folder should be listed.
 */
export function rewoundStartAfter(folder: string, lastKey: string, lateMs: number): string | undefined {
  const name = lastKey.slice(lastKey.lastIndexOf('/') + 1);
  const parsed = parseLogFileName(name);
  if (parsed === undefined) return undefined;
  const head = /^(\d{12}_CloudTrail(?:-Insight)?_[a-z0-9-]+_)/.exec(name)?.[1];
  if (head === undefined) return undefined;
  const from = parsed.deliveredAt - lateMs;
  const dayStart = Math.floor(parsed.deliveredAt / DAY_MS) * DAY_MS;
  if (from < dayStart) return undefined;
  return `${folder}${head}${logFileStamp(from)}`;
}
