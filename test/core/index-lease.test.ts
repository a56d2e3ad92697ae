import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeHolder, isStale, leaseText, parseLease, STALE_MS } from '../../src/core/index-lease.js';

const body = { owner: 'a1b2', host: 'build-3', pid: 812, started: '2026-12-02T10:00:00.000Z' };

describe('the lock of an S3 index', () => {
  it('reads back what it writes, and nothing that is not a lock trailkit wrote', () => {
    const text = leaseText(body, new Date('2026-12-02T10:05:00Z'));
    expect(parseLease(text)).toEqual({ ...body, renewed: '2026-12-02T10:05:00.000Z' });
    // Two writes differ in bytes (so in ETag) as soon as their times do.
    expect(leaseText(body, new Date('2026-12-02T10:06:00Z'))).not.toBe(text);
    for (const other of ['', 'null', '[]', '{}', '{"trailkit":"other"}', JSON.stringify({ ...JSON.parse(text), pid: '812' }), JSON.stringify({ ...JSON.parse(text), host: null }), text.slice(0, -5)]) {
      expect(parseLease(other)).toBeUndefined();
    }
  });

  it('is stale only after STALE_MS without a rewrite, by the clock given; a time it cannot read is never stale', () => {
    const written = new Date('2026-12-02T10:00:00Z');
    expect(isStale(written, new Date(written.getTime() + STALE_MS - 1))).toBe(false);
    expect(isStale(written, new Date(written.getTime() + STALE_MS))).toBe(true);
    // A clock behind the lock's (another machine's skew) does not make it stale.
    expect(isStale(written, new Date(written.getTime() - STALE_MS * 10))).toBe(false);
    expect(isStale(undefined, new Date())).toBe(false);
    expect(isStale(new Date(NaN), new Date())).toBe(false);
    expect(isStale(written, new Date(written.getTime() + 2000), 1500)).toBe(true);
  });

  it('names the holder in printable ASCII only, whatever the lock object holds (attack: escapes, bidi, NUL in its host)', () => {
    const now = new Date('2026-12-02T10:00:30Z');
    const lastModified = new Date('2026-12-02T10:00:00Z');
    expect(describeHolder(leaseText(body, lastModified), lastModified, now)).toBe('run 812 on build-3, started 2026-12-02T10:00:00.000Z, last rewritten 30 s ago');
    expect(describeHolder('garbage', lastModified, now)).toBe('a lock trailkit did not write, last rewritten 30 s ago');
    expect(describeHolder(undefined, undefined, now)).toBe('a lock trailkit did not write');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), (host, started) => {
        const text = JSON.stringify({ trailkit: 'index-lock', owner: 'o', host, pid: 1, started, renewed: 'r' });
        const line = describeHolder(text, lastModified, now);
        expect(line).toMatch(/^[\x20-\x7e]*$/);
        expect(line.length).toBeLessThan(300);
      }),
      { numRuns: 500 },
    );
  });
});
