import { usageError } from '../core/errors.js';
import { InvalidTimeError, parseTimeSpec } from '../core/time-spec.js';

/**
 * A time flag's value (ISO 8601, epoch seconds, a duration back from now, today, yesterday), or a
 * usage error naming the flag. `separator` follows the flag in the message (aws-cli's
 * validate-logs flags are followed by ': ').
 */
export function parseTimeFlag(flag: string, value: string | undefined, now: Date, separator = ' '): Date | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTimeSpec(value, now);
  } catch (error) {
    if (error instanceof InvalidTimeError) throw usageError(`${flag}${separator}${error.message}`);
    throw error;
  }
}

/** parseTimeFlag in epoch milliseconds. */
export function parseTimeFlagMs(flag: string, value: string | undefined, now: Date): number | undefined {
  return parseTimeFlag(flag, value, now)?.getTime();
}
