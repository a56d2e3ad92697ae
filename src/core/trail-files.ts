/**
 * The one set of files: which files under a trail's folders hold events, and so which files
 * `grep`, `tail` and `download` read and `validate-digest` judges. A folder walk and a bucket
 * listing both apply these rules, so no file can be read by one command and unseen by another.
 *
 * - A file holds events when its name is not hidden, is not a digest or a digest's signature
 *   sidecar, and ends in `.json`, `.jsonl`, `.ndjson` (each optionally `.gz`) or `.gz`, in any case.
 * - Under a region folder (`.../CloudTrail/REGION/` or `.../CloudTrail-Insight/REGION/`) a file is
 *   dated by its `YYYY/MM/DD/` day folder. A file that is not in a well-formed day folder (in the
 *   region or month folder, in `2026/3/1/`, in a sub-folder of anything but a day) is undated: it
 *   belongs to every window, so it is always read and always judged.
 * - A CloudTrail log file is named `ACCOUNT_KIND_REGION_YYYYMMDDTHHmmZ_UNIQUE16.json.gz` and lies in
 *   the day folder of its delivery date, in the region folder of its account, kind and region.
 *   Anything else in scope is not a file CloudTrail delivered there.
 */
import { dayFolders, type TrailFileKind } from './s3-layout.js';

const EVENT_FILE_EXTENSION = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

/** Suffix of the signature sidecar `download` keeps beside each digest. */
export const SIDECAR_SUFFIX = '.meta.json';

/** Whether a file with this name (the last path segment) holds events. */
export function isEventFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (!EVENT_FILE_EXTENSION.test(name)) return false;
  return !name.includes('_CloudTrail-Digest_') && !name.endsWith(SIDECAR_SUFFIX);
}

const DAY_FOLDER = /^(\d{4})\/(\d{2})\/(\d{2})\//;

function isRealDay(y: number, m: number, d: number): boolean {
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  return y >= 1970 && back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
}

/**
 * The `YYYY/MM/DD` of a path relative to a region folder when it starts with a well-formed,
 * zero-padded, real day folder, else undefined (an undated path).
 */
export function dayOfRegionPath(relative: string): string | undefined {
  const m = DAY_FOLDER.exec(relative);
  if (m === null) return undefined;
  return isRealDay(Number(m[1]), Number(m[2]), Number(m[3])) ? `${m[1]}/${m[2]}/${m[3]}` : undefined;
}

/** A window of a read: the day folders that can hold [since, until], and whether a file belongs. */
export interface FileWindow {
  readonly since: number;
  readonly until: number;
}

const DAY_MS = 86_400_000;

/** Day folders read for a window: one day of margin either side, for late deliveries and midnight. */
export function windowDays(window: FileWindow): Set<string> {
  return new Set(dayFolders(window.since, window.until, 1).map((d) => d.slice(0, -1)));
}

/**
 * How long after the end of a window a log file is still read for it: events reach a log file
 * within minutes of the call, and aws-cli validates the digests of an hour past the end of a range
 * for the same reason ("log files that spilled over").
 */
export const LATE_DELIVERY_MS = 3_600_000;

/**
 * Whether a file at `relative` (below a region folder, any depth) is read for `window`. The walk of
 * a bucket lists the region folder, the year and month folders on the way to the window's days
 * (those that can hold them), and those days in full; anything it meets that is not a well-formed
 * day folder is listed whole. So a file belongs when every well-formed date folder on its path is
 * on the way to one of the window's days, and, in a real day folder, that day is one of them and
 * a well-named log file there was delivered from `since` (it holds no event at or after it if it
 * was delivered before) to an hour after `until`. With no window, every file belongs.
 */
export function inWindow(relative: string, window: FileWindow | undefined, days: ReadonlySet<string> | undefined): boolean {
  if (window === undefined) return true;
  const wanted = days ?? windowDays(window);
  const dirs = relative.split('/').slice(0, -1);
  const year = dirs[0];
  if (year === undefined || !/^\d{4}$/.test(year)) return true;
  const on = (prefix: string) => [...wanted].some((day) => day.startsWith(prefix));
  if (!on(`${year}/`)) return false;
  const month = dirs[1];
  if (month === undefined || !/^\d{2}$/.test(month)) return true;
  if (!on(`${year}/${month}/`)) return false;
  const day = dayOfRegionPath(relative);
  if (day === undefined) return true;
  if (!wanted.has(day)) return false;
  const delivered = strictLogName(relative.slice(relative.lastIndexOf('/') + 1))?.deliveredAt;
  return delivered === undefined || (delivered + 60_000 > window.since && delivered <= window.until + LATE_DELIVERY_MS);
}

export interface StrictLogName {
  readonly account: string;
  readonly kind: 'CloudTrail' | 'CloudTrail-Insight';
  readonly region: string;
  /** `YYYY/MM/DD` of the delivery date. */
  readonly day: string;
  /** Epoch ms of the delivery minute. */
  readonly deliveredAt: number;
}

const STRICT_LOG_NAME = /^(\d{12})_(CloudTrail|CloudTrail-Insight)_([a-z]{2,4}(?:-[a-z]+)+-\d+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/;

/** A log or Insights file name exactly as CloudTrail writes it, or undefined. */
export function strictLogName(name: string): StrictLogName | undefined {
  const m = STRICT_LOG_NAME.exec(name);
  if (m === null) return undefined;
  const [y, mo, d, h, mi] = [m[4], m[5], m[6], m[7], m[8]].map(Number) as [number, number, number, number, number];
  if (!isRealDay(y, mo, d) || h > 23 || mi > 59) return undefined;
  return { account: m[1] as string, kind: m[2] as StrictLogName['kind'], region: m[3] as string, day: `${m[4]}/${m[5]}/${m[6]}`, deliveredAt: Date.UTC(y, mo - 1, d, h, mi) };
}

/** Where a log file must be: the folder of one account-region and kind. */
export interface LogFolder {
  readonly account: string;
  readonly region: string;
  readonly kind: TrailFileKind;
}

export type LogFilePlace =
  | { readonly ok: true; readonly name: StrictLogName }
  | { readonly ok: false; readonly problem: string };

/**
 * Whether a file at `relative` below a region folder is where CloudTrail would have put it, with
 * the name it would have given it; else why not, in words for the detail of a verdict.
 */
export function checkLogFilePlace(relative: string, folder: LogFolder): LogFilePlace {
  const day = dayOfRegionPath(relative);
  const name = relative.slice(relative.lastIndexOf('/') + 1);
  if (day === undefined) return { ok: false, problem: `not in a YYYY/MM/DD day folder of ${folder.kind}/${folder.region}/` };
  if (relative.length !== day.length + 1 + name.length) return { ok: false, problem: `in a sub-folder of the day folder ${day}/` };
  const parsed = strictLogName(name);
  if (parsed === undefined) return { ok: false, problem: 'the name is not ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE16.json.gz' };
  if (parsed.account !== folder.account) return { ok: false, problem: `the name says account ${parsed.account}, the folder ${folder.account}` };
  if (parsed.region !== folder.region) return { ok: false, problem: `the name says region ${parsed.region}, the folder ${folder.region}` };
  if (parsed.kind !== folder.kind) return { ok: false, problem: `a ${parsed.kind} name in the ${folder.kind} folder` };
  if (parsed.day !== day) return { ok: false, problem: `delivered on ${parsed.day} by its name, in the day folder ${day}` };
  return { ok: true, name: parsed };
}

/** The epoch ms of the start of a `YYYY/MM/DD` day. */
export function dayStart(day: string): number {
  const [y, m, d] = day.split('/').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

export { DAY_MS };
