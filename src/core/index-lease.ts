/**
 * The lock of an index kept in S3 (`index --to s3://bucket/prefix`): one object, PREFIX/.lock,
 * that a run creates only if it is absent (a conditional write, If-None-Match: *), rewrites while
 * it builds to show it is alive (If-Match: the ETag of its own last write), and deletes when it is
 * done (If-Match again). A lock not rewritten for STALE_MS is taken to belong to a run that died,
 * and is taken over by replacing exactly the object that was read (If-Match its ETag), so of two
 * runs that find the same stale lock, one gets it. Each write holds a random owner token, so no
 * two writes have the same bytes (nor the same ETag).
 *
 * The rules are here; src/aws/index-s3-lease.ts makes the calls.
 */
import { isObject } from './record.js';

/** The lock's key, relative to the index's prefix. */
export const LEASE_REL = '.lock';
/** How often a run rewrites its lock. */
export const RENEW_MS = 60_000;
/** A lock not rewritten for this long belongs to a run that is gone. */
export const STALE_MS = 10 * 60_000;
/**
 * The longest a run goes on writing to S3 after it last proved the lock its own: past it, the
 * next write waits for a rewrite of the lock. Far below STALE_MS, so a run that stalled (a laptop
 * asleep, a stopped process) long enough for another run to take its lock over learns it before
 * its next write.
 */
export const QUIET_MS = 2 * RENEW_MS;
/** A lock object is a few hundred bytes; one larger was not written by trailkit. */
export const MAX_LEASE_BYTES = 64 * 1024;

export interface LeaseBody {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  /** ISO 8601: when the run took the lock. */
  readonly started: string;
}

export function leaseText(body: LeaseBody, renewedAt: Date): string {
  return `${JSON.stringify({ trailkit: 'index-lock', ...body, renewed: renewedAt.toISOString() })}\n`;
}

/** What a lock object says of its holder, for a message; undefined when it is not a lock trailkit wrote. */
export function parseLease(text: string): (LeaseBody & { renewed: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || value['trailkit'] !== 'index-lock') return undefined;
  const { owner, host, pid, started, renewed } = value;
  if (typeof owner !== 'string' || typeof host !== 'string' || typeof pid !== 'number' || typeof started !== 'string' || typeof renewed !== 'string') return undefined;
  return { owner, host, pid, started, renewed };
}

/**
 * Whether a lock last written at `lastModified` (S3's clock) is stale at `now` (S3's clock too,
 * when the caller has it: the Date of S3's answer), after `staleMs` without a rewrite.
 */
export function isStale(lastModified: Date | undefined, now: Date, staleMs = STALE_MS): boolean {
  if (lastModified === undefined || Number.isNaN(lastModified.getTime())) return false;
  return now.getTime() - lastModified.getTime() >= staleMs;
}

/** The holder of a lock, as a message names it: host, pid, since when, and how long ago it was rewritten. */
export function describeHolder(text: string | undefined, lastModified: Date | undefined, now: Date): string {
  const lease = text === undefined ? undefined : parseLease(text);
  const age = lastModified === undefined ? undefined : Math.max(0, Math.round((now.getTime() - lastModified.getTime()) / 1000));
  const rewritten = age === undefined ? '' : `, last rewritten ${age} s ago`;
  if (lease === undefined) return `a lock trailkit did not write${rewritten}`;
  // The holder's own words are data: only printable ASCII of them reaches a message.
  const clean = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  return `run ${clean(String(lease.pid))} on ${clean(lease.host)}, started ${clean(lease.started)}${rewritten}`;
}
