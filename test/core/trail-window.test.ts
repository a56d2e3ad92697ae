import { describe, expect, it } from 'vitest';
import { compareKeys, formatSpan, mayHoldEventsSince, resolveWindow, rewoundStartAfter } from '../../src/core/trail-window.js';

const T = (s: string) => Date.parse(s);

describe('trail windows', () => {
  it('defaults to the given length before --until or now, and keeps explicit flags', () => {
    const now = T('2026-11-21T05:00:00Z');
    expect(resolveWindow(undefined, undefined, now, 86_400_000)).toEqual({ since: T('2026-11-20T05:00:00Z'), until: now, defaulted: true });
    expect(resolveWindow(undefined, T('2026-11-20T00:00:00Z'), now, 3_600_000)).toEqual({ since: T('2026-11-19T23:00:00Z'), until: T('2026-11-20T00:00:00Z'), defaulted: true });
    expect(resolveWindow(T('2026-11-19T00:00:00Z'), undefined, now, 3_600_000)).toEqual({ since: T('2026-11-19T00:00:00Z'), until: now, defaulted: false });
    expect(formatSpan(86_400_000)).toBe('24 h');
    expect(formatSpan(3_600_000)).toBe('1 h');
  });

  it('orders keys as a sorted folder walk does, not as plain strings', () => {
    const keys = [
      'AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/11/20/b.json.gz',
      'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/a.json.gz',
      'AWSLogs/o-abcdefghij/222222222222/CloudTrail/eu-west-1/2026/11/20/c.json.gz',
      'AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/21/d.json.gz',
    ];
    expect([...keys].sort(compareKeys)).toEqual([keys[3], keys[1], keys[0], keys[2]]);
    // Plain string order would put CloudTrail-Insight first.
    expect([...keys].sort()[0]).toBe(keys[0]);
  });

  it('drops only log files delivered before the window starts', () => {
    const name = (stamp: string) => `111111111111_CloudTrail_us-east-1_${stamp}_AbCdEfGhIjKlMnOp.json.gz`;
    const since = T('2026-11-20T10:00:00Z');
    expect(mayHoldEventsSince(name('20261120T0958Z'), since)).toBe(false);
    // Minute precision: a file named 09:59 may have been delivered at 09:59:59, still before.
    expect(mayHoldEventsSince(name('20261120T0959Z'), since)).toBe(false);
    expect(mayHoldEventsSince(name('20261120T1000Z'), since)).toBe(true);
    expect(mayHoldEventsSince(name('20261121T0000Z'), since)).toBe(true);
    expect(mayHoldEventsSince('not-a-log-name.json.gz', since)).toBe(true);
  });

  it('rewinds the StartAfter key of a folder so late files are still listed', () => {
    const folder = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/';
    const last = `${folder}111111111111_CloudTrail_us-east-1_20261120T1005Z_AbCdEfGhIjKlMnOp.json.gz`;
    const start = rewoundStartAfter(folder, last, 3_600_000);
    expect(start).toBe(`${folder}111111111111_CloudTrail_us-east-1_20261120T0905Z`);
    const late = `${folder}111111111111_CloudTrail_us-east-1_20261120T0930Z_ZzZzZzZzZzZzZzZz.json.gz`;
    expect(late > (start as string)).toBe(true);
    // Before the day starts: the whole folder is listed.
    expect(rewoundStartAfter(folder, `${folder}111111111111_CloudTrail_us-east-1_20261120T0030Z_x.json.gz`, 3_600_000)).toBeUndefined();
  });
});
