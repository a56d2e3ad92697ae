import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../src/sources/lookup-events.js';

describe('RequestPacer: two LookupEvents requests a second, counted on arrival', () => {
  it('never lets a request start within a second of the answer two requests back, nor within 500 ms of the last start', async () => {
    let clock = 0;
    const pacer = new RequestPacer(2, () => clock, async (ms) => {
      clock += ms;
    });
    const starts: number[] = [];
    const answers: number[] = [];
    // The first request takes 700 ms to be answered (it loads credentials), the others 100 ms.
    for (let i = 0; i < 8; i++) {
      await pacer.wait();
      starts.push(clock);
      clock += i === 0 ? 700 : 100;
      answers.push(clock);
      pacer.done();
    }
    for (let i = 2; i < starts.length; i++) expect(starts[i] as number).toBeGreaterThanOrEqual((answers[i - 2] as number) + 1000);
    for (let i = 1; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(500);
    // Any window of one second holds at most two arrivals (an arrival lies between start and answer).
    for (let i = 2; i < starts.length; i++) expect((starts[i] as number) - (answers[i - 2] as number)).toBeGreaterThanOrEqual(1000);
    // And it does not wait longer than it must: eight requests in under five seconds.
    expect(clock).toBeLessThan(5000);
  });
});
