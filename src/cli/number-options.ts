import { InvalidArgumentError } from 'commander';

/**
 * Parsers for numeric flags, shared so that every command accepts and refuses numbers the same
 * way and says so in the same words: `'x' is not a whole number from 1 to 256`.
 */
export function wholeNumber(min: number, max?: number): (value: string) => number {
  const range = max === undefined ? (min === 0 ? '' : ` of at least ${min}`) : ` from ${min} to ${max}`;
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(`'${value}' is not a whole number${range}`);
    }
    return n;
  };
}

/** A number of seconds (fractions allowed) above 0 and at most `max`. */
export function seconds(max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`'${value}' is not a number of seconds above 0 and at most ${max}`);
    return n;
  };
}

/** Parallel requests to AWS: --concurrency on every command that has it. */
export const concurrency = wholeNumber(1, 256);
