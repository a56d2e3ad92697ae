import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { concurrency, seconds, wholeNumber } from '../../src/cli/number-options.js';

describe('numeric flags', () => {
  it('accepts whole numbers in range and nothing else', () => {
    const hours = wholeNumber(1, 2160);
    expect(hours('1')).toBe(1);
    expect(hours('2160')).toBe(2160);
    expect(hours('007')).toBe(7);
    for (const bad of ['', ' ', '0', '2161', '-1', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '12abc', '١٢']) {
      expect(() => hours(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => hours('0')).toThrow("'0' is not a whole number from 1 to 2160");
  });

  it('has no upper bound unless given one, but refuses numbers past 2^53', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(wholeNumber(1)('123456789')).toBe(123456789);
    expect(() => wholeNumber(1)('0')).toThrow("'0' is not a whole number of at least 1");
    expect(() => wholeNumber(0)('9007199254740993')).toThrow(InvalidArgumentError);
    expect(() => wholeNumber(0)('x')).toThrow("'x' is not a whole number");
  });

  it('--concurrency is 1 to 256 on every command', () => {
    expect(concurrency('16')).toBe(16);
    expect(() => concurrency('0')).toThrow(InvalidArgumentError);
    expect(() => concurrency('257')).toThrow("'257' is not a whole number from 1 to 256");
  });

  it('seconds may be fractions, above 0 and up to the limit', () => {
    const interval = seconds(3600);
    expect(interval('0.5')).toBe(0.5);
    expect(interval('3600')).toBe(3600);
    for (const bad of ['', '0', '-1', '3600.5', 'NaN', 'Infinity', 'soon']) expect(() => interval(bad), bad).toThrow(InvalidArgumentError);
  });
});
