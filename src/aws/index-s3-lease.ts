/**
 * The calls of an S3 index's lock (see src/core/index-lease.ts for the rules): take it with a
 * conditional write, rewrite it every minute while the run goes on, check it is still this run's
 * before anything is uploaded or deleted, and delete it at the end. Every write is conditional,
 * so a run never replaces or deletes a lock it does not hold.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrailkitError } from '../core/errors.js';
import { describeHolder, isStale, LEASE_REL, leaseText, MAX_LEASE_BYTES, QUIET_MS, RENEW_MS, STALE_MS, type LeaseBody } from '../core/index-lease.js';
import { normalizeEtag, objectKey, s3Url, type S3Location } from '../core/index-sync.js';
import { awsErrorCode, isNotFound, mapAwsError } from './errors.js';
import { ObjectTooLargeError, objectReader, readObjectBytes } from './s3-object-reader.js';

interface SdkAnswer {
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const statusOf = (error: unknown) => (error as SdkAnswer | undefined)?.$metadata?.httpStatusCode;
/** The condition did not hold: the object exists (If-None-Match) or is another (If-Match). */
const isPreconditionFailed = (error: unknown) => statusOf(error) === 412 || awsErrorCode(error) === 'PreconditionFailed';
/** Another conditional request on the same key was in progress; S3 asks for a retry. */
const isConflict = (error: unknown) => statusOf(error) === 409 || awsErrorCode(error) === 'ConditionalRequestConflict';

/** S3's clock when it answered (the answer's Date), so that a lock's age does not depend on this machine's clock. */
function serverTime(error: unknown, fallback: Date): Date {
  const date = (error as SdkAnswer | undefined)?.$response?.headers?.['date'];
  const parsed = date === undefined ? NaN : Date.parse(date);
  return Number.isNaN(parsed) ? fallback : new Date(parsed);
}

export interface LeaseOptions {
  readonly now?: () => Date;
  /** A clock in ms that only goes forward (process.hrtime's by default); guard() also reads `now`. */
  readonly monotonic?: () => number;
  /** See QUIET_MS. */
  readonly quietMs?: number;
  readonly renewMs?: number;
  readonly staleMs?: number;
  readonly debug?: (message: string) => void;
  /** Attempts when S3 answers 409 ConditionalRequestConflict (another write on the key at the same time). */
  readonly attempts?: number;
}

interface HeldLock {
  readonly text: string | undefined;
  readonly etag: string;
  readonly lastModified: Date | undefined;
}

export class S3IndexLease {
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  private lost: string | undefined;
  private released = false;
  /** When the lock was last written by this run, by the monotonic clock and by the wall clock. */
  private confirmedAt: { readonly mono: number; readonly wall: number };
  private confirming: Promise<void> | undefined;

  private constructor(
    private readonly s3: S3Client,
    private readonly location: S3Location,
    private readonly body: LeaseBody,
    private etag: string,
    private readonly options: LeaseOptions,
  ) {
    this.confirmedAt = this.clock();
  }

  private clock(): { mono: number; wall: number } {
    return { mono: this.options.monotonic?.() ?? Number(process.hrtime.bigint() / 1_000_000n), wall: (this.options.now?.() ?? new Date()).getTime() };
  }

  /**
   * How long since the lock was last written by this run: the longer of the two clocks' answers.
   * The monotonic clock ignores changes to the time of day, but on Linux and macOS it stops while
   * the machine sleeps; the wall clock goes on then. Either one overstating only costs a rewrite.
   */
  private sinceConfirmed(): number {
    const at = this.clock();
    return Math.max(at.mono - this.confirmedAt.mono, at.wall - this.confirmedAt.wall);
  }

  /** The lock's address, as messages name it. */
  static url(location: S3Location): string {
    return s3Url(location, LEASE_REL);
  }

  /**
   * Takes the lock of the index at `location`, or throws a TrailkitError ('busy') naming the run
   * that holds it. A lock not rewritten for STALE_MS is taken over.
   */
  static async acquire(s3: S3Client, location: S3Location, options: LeaseOptions = {}): Promise<S3IndexLease> {
    const now = options.now ?? (() => new Date());
    const staleMs = options.staleMs ?? STALE_MS;
    const url = S3IndexLease.url(location);
    const body: LeaseBody = { owner: randomBytes(16).toString('hex'), host: hostname(), pid: process.pid, started: now().toISOString() };
    const attempts = options.attempts ?? 5;
    let holder = 'another run';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** attempt));
      let refusal: unknown;
      try {
        const etag = await putLease(s3, location, body, now(), { IfNoneMatch: '*' });
        return new S3IndexLease(s3, location, body, etag, options).start();
      } catch (error) {
        if (isConflict(error)) continue;
        if (!isPreconditionFailed(error)) throw mapAwsError(error, { action: 's3:PutObject', resource: url });
        refusal = error;
      }
      const held = await readLock(s3, location);
      // Deleted in between: try to create it again.
      if (held === undefined) continue;
      const at = serverTime(refusal, now());
      holder = describeHolder(held.text, held.lastModified, at);
      if (!isStale(held.lastModified, at, staleMs)) break;
      options.debug?.(`${url}: taking over the lock of ${holder}, not rewritten for ${Math.round(staleMs / 60000)} minutes (its run is gone)`);
      try {
        const etag = await putLease(s3, location, body, now(), { IfMatch: `"${held.etag}"` });
        return new S3IndexLease(s3, location, body, etag, options).start();
      } catch (error) {
        // Another run took it over first, or it changed: look again.
        if (isConflict(error) || isPreconditionFailed(error) || isNotFound(error)) continue;
        throw mapAwsError(error, { action: 's3:PutObject', resource: url });
      }
    }
    throw new TrailkitError('busy', `--to ${s3Url(location)}: another index run holds its lock (${url}: ${holder}); nothing was built, uploaded or deleted`, {
      hint: `run again once it is done; a lock not rewritten for ${Math.round(staleMs / 60000)} minutes (its run died) is taken over`,
    });
  }

  private start(): this {
    const every = this.options.renewMs ?? RENEW_MS;
    this.timer = setInterval(() => void this.renew().catch(() => undefined), every);
    this.timer.unref();
    return this;
  }

  /** Rewrites the lock (If-Match: this run's last write). A lock that was replaced or deleted is lost for good. */
  private renew(): Promise<void> {
    // One rewrite at a time, each after the one before, whether that one failed or not.
    this.renewing = this.renewing.catch(() => undefined).then(async () => {
      if (this.lost !== undefined || this.released) return;
      try {
        this.etag = await putLease(this.s3, this.location, this.body, (this.options.now ?? (() => new Date()))(), { IfMatch: `"${this.etag}"` });
        this.confirmedAt = this.clock();
      } catch (error) {
        if (isPreconditionFailed(error) || isNotFound(error)) {
          const held = await readLock(this.s3, this.location).catch(() => undefined);
          this.lost = held === undefined ? 'it was deleted' : `it was taken over (${describeHolder(held.text, held.lastModified, serverTime(error, new Date()))})`;
          this.stop();
          return;
        }
        throw error;
      }
    });
    return this.renewing;
  }

  /**
   * Proves the lock is still this run's, by rewriting it now: called before anything is uploaded
   * or deleted. Throws a TrailkitError when it was taken over or deleted while the run went on.
   */
  async confirm(): Promise<void> {
    try {
      await this.renew();
    } catch (error) {
      throw mapAwsError(error, { action: 's3:PutObject', resource: S3IndexLease.url(this.location) });
    }
    if (this.lost !== undefined) {
      throw new TrailkitError('busy', `--to ${s3Url(this.location)}: this run's lock ${S3IndexLease.url(this.location)} was lost while it was building: ${this.lost}; nothing was uploaded or deleted`, {
        hint: 'run again: the working folder is brought up to date from S3 first',
      });
    }
  }

  /**
   * Called before each object the run writes or deletes: nothing to do while the lock was written
   * by this run within QUIET_MS, a confirm() otherwise. So no write starts more than QUIET_MS after
   * the lock was last this run's, and a run that stalled for longer (while another took the lock
   * over) stops before its next write instead of writing over the other run's index. Concurrent
   * callers share one confirm(). A write already under way when the run stalls is not stopped.
   */
  async guard(): Promise<void> {
    if (this.lost === undefined && this.sinceConfirmed() < (this.options.quietMs ?? QUIET_MS)) return;
    this.confirming ??= this.confirm().finally(() => (this.confirming = undefined));
    await this.confirming;
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes the lock if it is still this run's (If-Match). Never throws: says why it could not. */
  async release(): Promise<string | undefined> {
    this.stop();
    await this.renewing.catch(() => undefined);
    if (this.released || this.lost !== undefined) return undefined;
    this.released = true;
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: objectKey(this.location, LEASE_REL), IfMatch: `"${this.etag}"` }));
      return undefined;
    } catch (error) {
      if (isPreconditionFailed(error) || isNotFound(error)) return undefined;
      return `${S3IndexLease.url(this.location)} was left behind (${mapAwsError(error, { action: 's3:DeleteObject', resource: S3IndexLease.url(this.location) }).message}); the next run takes it over after ${Math.round((this.options.staleMs ?? STALE_MS) / 60000)} minutes`;
    }
  }
}

async function putLease(s3: S3Client, location: S3Location, body: LeaseBody, at: Date, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string> {
  const answer = await s3.send(new PutObjectCommand({
    Bucket: location.bucket,
    Key: objectKey(location, LEASE_REL),
    Body: leaseText(body, at),
    ContentType: 'application/json',
    ...condition,
  }));
  return normalizeEtag(answer.ETag);
}

/** The lock as it is now, or undefined when there is none. Its text is left out when it is not a lock's (too large). */
async function readLock(s3: S3Client, location: S3Location): Promise<HeldLock | undefined> {
  const url = s3Url(location, LEASE_REL);
  try {
    const object = await objectReader(s3).get(location.bucket, objectKey(location, LEASE_REL));
    try {
      let text: string | undefined;
      try {
        text = (await readObjectBytes(object, MAX_LEASE_BYTES)).toString('utf8');
      } catch (error) {
        if (!(error instanceof ObjectTooLargeError)) throw error;
      }
      return { text, etag: normalizeEtag(object.etag), lastModified: object.lastModified };
    } finally {
      object.body.destroy();
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw mapAwsError(error, { action: 's3:GetObject', resource: url });
  }
}
