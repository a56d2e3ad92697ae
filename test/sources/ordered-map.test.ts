import { describe, expect, it } from 'vitest';
import { mapOrdered } from '../../src/sources/ordered-map.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapOrdered', () => {
  it('yields in input order, runs at most `concurrency` at once and stays bounded for a slow consumer', async () => {
    let running = 0;
    let peak = 0;
    let started = 0;
    const out: number[] = [];
    for await (const value of mapOrdered(Array.from({ length: 40 }, (_, i) => i), 4, async (i) => {
      started++;
      running++;
      peak = Math.max(peak, running);
      await delay((40 - i) % 7);
      running--;
      return i * 2;
    })) {
      out.push(value);
      // Nothing runs far ahead of the consumer: at most lookahead (4 x 4) items past it.
      expect(started - out.length).toBeLessThanOrEqual(16);
      await delay(1);
    }
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(peak).toBeLessThanOrEqual(4);
  });

  it('yields as work finishes when unordered, and aborts the work in flight on an early return', async () => {
    const aborted: number[] = [];
    const gen = mapOrdered([30, 1, 20], 3, async (ms, signal) => {
      let finished = false;
      signal.addEventListener('abort', () => {
        if (!finished) aborted.push(ms);
      });
      await delay(ms);
      finished = true;
      return ms;
    }, { ordered: false });
    for await (const first of gen) {
      expect(first).toBe(1);
      break;
    }
    expect(aborted.sort((a, b) => a - b)).toEqual([20, 30]);
  });

  it('throws when the item stream fails', async () => {
    async function* items() {
      yield 1;
      throw new Error('listing failed');
    }
    await expect((async () => {
      for await (const _ of mapOrdered(items(), 2, async (i) => i)) void _;
    })()).rejects.toThrow('listing failed');
  });
});
