import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/sources/read-ahead.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

async function* counted(n: number, pulled: number[], failAt?: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    await tick();
    if (i === failAt) throw new Error(`page ${i} failed`);
    pulled.push(i);
    yield i;
  }
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('readAhead', () => {
  it('yields every item in order', async () => {
    expect(await collect(readAhead(counted(50, []), 7))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await collect(readAhead(counted(0, []), 3))).toEqual([]);
  });

  it('starts pulling before the first item is asked for, and stops at the limit', async () => {
    const pulled: number[] = [];
    const ahead = readAhead(counted(100, pulled), 5);
    for (let i = 0; i < 30; i++) await tick();
    expect(pulled).toEqual([0, 1, 2, 3, 4]);
    const iterator = ahead[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(0);
    for (let i = 0; i < 30; i++) await tick();
    // One taken, one more pulled: never more than 5 waiting.
    expect(pulled).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('throws the source\'s failure after the items before it', async () => {
    const got: number[] = [];
    await expect(async () => {
      for await (const item of readAhead(counted(10, [], 4), 3)) got.push(item);
    }).rejects.toThrow('page 4 failed');
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('a failure while nobody is reading is held, not an unhandled rejection', async () => {
    const ahead = readAhead(counted(10, [], 0), 3);
    for (let i = 0; i < 20; i++) await tick();
    await expect(collect(ahead)).rejects.toThrow('page 0 failed');
  });
});
