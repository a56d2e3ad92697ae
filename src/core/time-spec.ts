/**
 * Time specs for `--since`/`--until`, and CloudTrail `eventTime` values.
 *
 * A date or date-time written without a zone is UTC, not the local zone: CloudTrail records and
 * S3 key prefixes are all in UTC, and a command must mean the same thing on every machine.
 *
 * Epoch milliseconds are computed with days-from-civil arithmetic rather than `Date.UTC`, which
 * maps years 0-99 to 1900-1999.
 */

export class InvalidTimeError extends Error {
  override name = 'InvalidTimeError';
}

const ACCEPTED_FORMS =
  "expected an ISO 8601 date or date-time (2026-11-20, 2026-11-20T10:00, 2026-11-20 10:00:00.5+02:00, " +
  "2026-11-20T10:00:00Z, or basic 20261120T100000Z; no zone means UTC), epoch seconds (1795168800), " +
  "a duration before now (90s, 15m, 2h, 7d, 1w, 1h30m), 'today', 'yesterday' or 'now'";

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const MS_PER_WEEK = 7 * MS_PER_DAY;

/** The range of a JavaScript Date: ±100,000,000 days around the epoch. */
const MAX_EPOCH_MS = 8.64e15;

/** Units in descending order, each at most once: `1h30m`, not `30m1h` or `1h1h`. */
const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction, 8 `Z`, 9 offset sign,
 * 10 offset hours, 11 offset minutes. A zone is only allowed after a time.
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * The same fields in ISO 8601 basic format (`20260301T000000Z`, `20260301T0000Z`, `20260301`), which
 * aws-cli users pass: eight digits are always a date, never epoch seconds.
 */
const ISO_BASIC =
  /^(\d{4})(\d{2})(\d{2})(?:[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(\d{2})?)?)?$/;

/** Epoch seconds (`1795168800`, `1795168800.5`): nine digits or more, so a basic-format date is never one. */
const EPOCH_SECONDS = /^(\d{9,12})(?:\.(\d{1,9}))?$/;

/**
 * Parses a time flag (`--since`/`--until`, `--start-time`/`--end-time`): an ISO 8601 date or
 * date-time in extended or basic format, epoch seconds, a duration meaning that long before `now`,
 * `today` or `yesterday` (00:00 UTC), or `now`.
 */
export function parseTimeSpec(spec: string, now: Date): Date {
  if (typeof spec !== 'string' || spec.length === 0) fail(String(spec), 'empty');
  if (spec === 'now') return new Date(now.getTime());

  const duration = DURATION.exec(spec);
  if (duration) {
    const ms =
      unit(duration[1], MS_PER_WEEK) +
      unit(duration[2], MS_PER_DAY) +
      unit(duration[3], MS_PER_HOUR) +
      unit(duration[4], MS_PER_MINUTE) +
      unit(duration[5], MS_PER_SECOND);
    const at = now.getTime() - ms;
    if (!(Math.abs(at) <= MAX_EPOCH_MS)) fail(spec, 'too far in the past');
    return new Date(at);
  }

  if (spec === 'today' || spec === 'yesterday') {
    const midnight = Math.floor(now.getTime() / MS_PER_DAY) * MS_PER_DAY;
    return new Date(spec === 'today' ? midnight : midnight - MS_PER_DAY);
  }

  const epoch = EPOCH_SECONDS.exec(spec);
  if (epoch) {
    const ms = Number(epoch[1]) * MS_PER_SECOND + (epoch[2] === undefined ? 0 : Number(epoch[2].slice(0, 3).padEnd(3, '0')));
    return new Date(ms);
  }

  const iso = ISO_DATE_TIME.exec(spec) ?? ISO_BASIC.exec(spec);
  if (iso) {
    const at = isoToEpoch(iso);
    if (typeof at === 'string') fail(spec, at);
    return new Date(at);
  }

  fail(spec);
}

function unit(digits: string | undefined, ms: number): number {
  return digits === undefined ? 0 : Number(digits) * ms;
}

/**
 * Epoch milliseconds of a CloudTrail `eventTime`, or undefined when it is not a date-time with
 * seconds. `2026-11-20T10:00:00Z` takes a path without regex or Date parsing; other forms
 * (`2019-01-01 00:00:00` without a zone, fractional seconds, offsets) take the general parser.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (
    value.length === 20 &&
    value.charCodeAt(4) === 45 && // -
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 84 && // T
    value.charCodeAt(13) === 58 && // :
    value.charCodeAt(16) === 58 &&
    value.charCodeAt(19) === 90 // Z
  ) {
    // A non-digit contributes NOT_A_DIGIT, which makes the field negative whatever the others are.
    const year = digit(value, 0) * 1000 + digit(value, 1) * 100 + digit(value, 2) * 10 + digit(value, 3);
    const month = digit(value, 5) * 10 + digit(value, 6);
    const day = digit(value, 8) * 10 + digit(value, 9);
    const hour = digit(value, 11) * 10 + digit(value, 12);
    const minute = digit(value, 14) * 10 + digit(value, 15);
    const second = digit(value, 17) * 10 + digit(value, 18);
    if (
      year < 0 ||
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(year, month) ||
      hour < 0 ||
      hour > 23 ||
      minute < 0 ||
      minute > 59 ||
      second < 0 ||
      second > 59
    ) {
      return undefined;
    }
    return daysFromCivil(year, month, day) * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND;
  }
  const iso = ISO_DATE_TIME.exec(value);
  if (!iso || iso[6] === undefined) return undefined;
  const at = isoToEpoch(iso);
  return typeof at === 'number' ? at : undefined;
}

const NOT_A_DIGIT = -100_000;

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NOT_A_DIGIT;
}

/** Epoch ms of a matched ISO_DATE_TIME, or the reason it names no instant. */
function isoToEpoch(m: RegExpExecArray): number | string {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return `month ${m[2]} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${m[3]} does not exist in ${m[1]}-${m[2]}`;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23) return `hour ${m[4]} is out of range 00-23`;
  if (minute > 59) return `minute ${m[5]} is out of range 00-59`;
  if (second > 59) return `second ${m[6]} is out of range 00-59`;
  // Milliseconds: digits past the third are truncated, not rounded, so a time never moves forward.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return `offset ${m.input.slice(m.input.lastIndexOf(m[9]))} is out of range`;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * MS_PER_HOUR +
    (minute - offsetMinutes) * MS_PER_MINUTE +
    second * MS_PER_SECOND +
    ms
  );
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function fail(spec: string, why?: string): never {
  throw new InvalidTimeError(`${quote(spec)} is not a valid time${why === undefined ? '' : ` (${why})`}: ${ACCEPTED_FORMS}`);
}

/** Quotes an input for a one-line message, escaping anything that could break the line. */
function quote(s: string): string {
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}'`;
}
