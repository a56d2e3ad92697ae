/**
 * The lock of an index kept in S3 (PREFIX/.lock) against moto_server, which honours S3's
 * conditional writes and deletes (If-None-Match: *, If-Match: ETag): taken once, refused to a
 * second run while it is fresh, rewritten while held, taken over once stale, lost when another run
 * replaces or deletes it, never deleted by a run that no longer holds it. S3's 409
 * ConditionalRequestConflict and AccessDenied come from a fault proxy in front of moto.
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3IndexLease } from '../../src/aws/index-s3-lease.js';
import { buildIndex } from '../../src/jobs/index-events.js';
import { S3IndexSync } from '../../src/sources/index-s3-sync.js';
import { LocalIndex } from '../../src/sources/index-store.js';
import { SAMPLE, waitFor } from '../helpers/cli.js';
import { TrailkitError } from '../../src/core/errors.js';
import { parseLease } from '../../src/core/index-lease.js';
import type { S3Location } from '../../src/core/index-sync.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { describeWithMoto, MOTO_REGION, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

describeWithMoto('the lock of an S3 index against moto_server', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let s3: S3Client;
  let viaProxy: S3Client;
  const BUCKET = 'lease-bucket';
  let n = 0;
  /** A prefix of its own for each test. */
  const fresh = (): S3Location => ({ bucket: BUCKET, prefix: `indexes/t${++n}` });
  const key = (at: S3Location) => `${at.prefix}/.lock`;
  const head = async (at: S3Location) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key(at) })).then((h) => (h.ETag ?? '').replace(/"/g, ''), () => undefined);
  const text = async (at: S3Location) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(at) })).then((o) => o.Body?.transformToString()));
  /** The message of the TrailkitError a promise rejects with (the command line adds its hint). */
  const refusal = async (p: Promise<unknown>) => {
    const error = await p.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    return (error as TrailkitError).message;
  };
  const hintOf = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as TrailkitError).hint;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    s3 = new S3Client(motoClientConfig(moto));
    viaProxy = new S3Client({ ...motoClientConfig(moto), endpoint: proxy.endpoint, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    viaProxy?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  it('is taken once: a second run is refused while it is held, naming the holder; released, it can be taken again', async () => {
    const at = fresh();
    const first = await S3IndexLease.acquire(s3, at);
    const held = parseLease((await text(at)) as string);
    expect(held).toMatchObject({ pid: process.pid });
    const message = await refusal(S3IndexLease.acquire(s3, at, { attempts: 1 }));
    expect(message).toMatch(new RegExp(`^--to s3://${BUCKET}/${at.prefix}/: another index run holds its lock \\(s3://${BUCKET}/${at.prefix}/\\.lock: run ${process.pid} on .+, started ${held?.started}, last rewritten \\d+ s ago\\); nothing was built, uploaded or deleted$`));
    // The refused run changed nothing.
    expect(parseLease((await text(at)) as string)?.owner).toBe(held?.owner);
    expect(await first.release()).toBeUndefined();
    expect(await head(at)).toBeUndefined();
    const again = await S3IndexLease.acquire(s3, at);
    expect(await head(at)).toBeDefined();
    await again.release();
  });

  it('is rewritten while held, and confirm() rewrites it at once', async () => {
    const at = fresh();
    const lease = await S3IndexLease.acquire(s3, at, { renewMs: 300 });
    const first = await head(at);
    await sleep(1_200);
    const later = await head(at);
    expect(later).toBeDefined();
    expect(later).not.toBe(first);
    await lease.confirm();
    expect(await head(at)).not.toBe(later);
    await lease.release();
    expect(await head(at)).toBeUndefined();
  });

  it('is taken over once not rewritten for the stale time; the run that lost it cannot upload, and its release leaves the new holder\'s lock', async () => {
    const at = fresh();
    const gone = await S3IndexLease.acquire(s3, at, { renewMs: 3_600_000 });
    // Fresh: refused.
    await refusal(S3IndexLease.acquire(s3, at, { staleMs: 60_000, attempts: 1 }));
    // Last-Modified has a resolution of a second.
    await sleep(2_200);
    const debug: string[] = [];
    const taker = await S3IndexLease.acquire(s3, at, { staleMs: 1_500, debug: (m) => debug.push(m) });
    expect(debug.join('\n')).toMatch(/taking over the lock of run \d+ on .+ \(its run is gone\)/);
    const takerLock = await head(at);
    expect(await refusal(gone.confirm())).toMatch(/this run's lock s3:\/\/.+\/\.lock was lost while it was building: it was taken over \(run \d+ on .+\); nothing was uploaded or deleted$/);
    expect(await gone.release()).toBeUndefined();
    expect(await head(at)).toBe(takerLock);
    await taker.confirm();
    await taker.release();
    expect(await head(at)).toBeUndefined();
  });

  it('a run that stalls past the stale time learns at its next write that its lock was taken over, and writes nothing more (attack: a second run takes over the lock of a sleeping one)', async () => {
    const at = fresh();
    let mono = 0;
    let wall = Date.parse('2026-12-03T09:00:00Z');
    const stalled = await S3IndexLease.acquire(s3, at, { renewMs: 3_600_000, monotonic: () => mono, now: () => new Date(wall) });
    const first = await head(at);
    // Proven its own a minute ago: a write goes ahead without touching the lock.
    mono += 60_000;
    wall += 60_000;
    await stalled.guard();
    expect(await head(at)).toBe(first);
    // Two minutes by the monotonic clock alone (the time of day set back meanwhile): rewritten first.
    mono += 61_000;
    wall -= 3_600_000;
    await stalled.guard();
    const second = await head(at);
    expect(second).not.toBe(first);
    // The machine sleeps: its monotonic clock stops, the wall clock goes on, and another run
    // finds the lock stale and takes it over.
    await sleep(2_200);
    const taker = await S3IndexLease.acquire(s3, at, { staleMs: 1_500 });
    const takerLock = await head(at);
    wall += 11 * 60_000;
    expect(await refusal(stalled.guard())).toMatch(/this run's lock s3:\/\/.+\/\.lock was lost while it was building: it was taken over \(run \d+ on .+\); nothing was uploaded or deleted$/);
    // Every later write is refused too, and the new holder's lock is left as it is.
    await refusal(stalled.guard());
    expect(await stalled.release()).toBeUndefined();
    expect(await head(at)).toBe(takerLock);
    await taker.release();
  });

  it('uploads at once after a quiet spell share one rewrite of the lock', async () => {
    const at = fresh();
    let mono = 0;
    const lease = await S3IndexLease.acquire(viaProxy, at, { renewMs: 3_600_000, monotonic: () => mono });
    const writes = proxy.add({ match: (q) => q.method === 'PUT' && q.url.includes(`/${key(at)}`), forwardAfterMs: 0, status: 0, body: '', times: Infinity });
    try {
      await Promise.all(Array.from({ length: 8 }, () => lease.guard()));
      expect(writes.hits).toBe(0);
      mono += 5 * 60_000;
      await Promise.all(Array.from({ length: 8 }, () => lease.guard()));
      expect(writes.hits).toBe(1);
      await Promise.all(Array.from({ length: 8 }, () => lease.guard()));
      expect(writes.hits).toBe(1);
    } finally {
      proxy.clear();
      await lease.release();
    }
  });

  it('push awaits the guard before each upload and before deleting: once it fails, nothing more is written', async () => {
    const at = fresh();
    const dir = mkdtempSync(join(tmpdir(), 'trailkit-push-guard-'));
    const src = join(dir, 'src');
    const to = join(dir, 'index');
    try {
      cpSync(SAMPLE, src, { recursive: true });
      await buildIndex({ source: { kind: 'files', paths: [src] }, to });
      const sync = new S3IndexSync(at, new LocalIndex(to), { concurrency: 1 });
      const listed = async () => (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${at.prefix}/` }))).Contents?.map((o) => o.Key ?? '') ?? [];
      let calls = 0;
      const failing = async () => {
        if (++calls > 3) throw new TrailkitError('busy', 'lock lost');
      };
      await expect(sync.push(s3, failing)).rejects.toThrow('lock lost');
      // Three part files went up, one per guard that passed; no manifest names them, no marker.
      const partial = await listed();
      expect(partial).toHaveLength(3);
      expect(partial.every((k) => k.startsWith(`${at.prefix}/data/`))).toBe(true);
      // With a guard that holds, the same push finishes.
      let passed = 0;
      const counting = async () => void passed++;
      const done = await sync.push(s3, counting);
      expect(done.uploaded).toBeGreaterThan(3);
      expect(passed).toBe(done.uploaded);
      expect((await listed()).some((k) => k.startsWith(`${at.prefix}/batches/`))).toBe(true);
      // A file changed in place: its day's part file is written again and the old one deleted,
      // after one more guard.
      const [victim, second] = readdirSync(src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.json.gz'));
      if (victim === undefined || second === undefined) throw new Error('the sample has fewer than two .json.gz files');
      writeFileSync(join(victim.parentPath, victim.name), gzipSync(JSON.stringify({ Records: [] })));
      await buildIndex({ source: { kind: 'files', paths: [src] }, to });
      passed = 0;
      const again = await sync.push(s3, counting);
      expect(again.deleted).toBeGreaterThan(0);
      expect(passed).toBe(again.uploaded + 1);
      // And a guard that fails there (every upload done, the new batch's manifest in S3) leaves
      // the files that are no longer part of the index in place.
      writeFileSync(join(second.parentPath, second.name), gzipSync(JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-20T00:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', eventID: 'guard-1', recipientAccountId: '111111111111' }] })));
      await buildIndex({ source: { kind: 'files', paths: [src] }, to });
      const newest = `${at.prefix}/batches/${readdirSync(join(to, 'batches')).filter((f) => f.endsWith('.json')).sort().at(-1) ?? ''}`;
      const before = await listed();
      let deletesRefused = 0;
      const failsBeforeDeleting = async () => {
        if (!(await listed()).includes(newest)) return;
        deletesRefused++;
        throw new TrailkitError('busy', 'lock lost');
      };
      await expect(sync.push(s3, failsBeforeDeleting)).rejects.toThrow('lock lost');
      expect(deletesRefused).toBe(1);
      const kept = await listed();
      expect(kept).toContain(newest);
      expect(before.filter((k) => !kept.includes(k))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('buildIndex to s3://, woken after its lock was taken over while its uploads were held: writes no manifest and leaves the new lock (attack: a sleeping run wakes)', async () => {
    const at = fresh();
    const dir = mkdtempSync(join(tmpdir(), 'trailkit-push-sleep-'));
    let offset = 0;
    // Every part file's upload is held 3 s: the run is asleep in the middle of its push.
    const held = proxy.add({ match: (q) => q.method === 'PUT' && q.url.includes(`/${at.prefix}/data/`), forwardAfterMs: 3_000, status: 0, body: '', times: Infinity });
    // The SDK reads credentials from the process's environment.
    const saved = { ...process.env };
    Object.assign(process.env, motoEnv(moto));
    try {
      const run = buildIndex(
        { source: { kind: 'files', paths: [SAMPLE] }, to: `s3://${BUCKET}/${at.prefix}`, workDir: join(dir, 'work') },
        { aws: { endpointUrl: proxy.endpoint, region: MOTO_REGION }, env: motoEnv(moto), now: () => new Date(Date.now() + offset) },
      ).then(() => undefined, (e: unknown) => e);
      let early: unknown = 'pending';
      void run.then((e) => (early = e));
      await waitFor(() => held.hits > 0 || early !== 'pending', 60_000);
      expect(early).toBe('pending');
      // Meanwhile the lock goes stale (its last rewrite was just before the push) and another
      // run takes it over; when the sleeper wakes, its clock says 11 minutes went by.
      await sleep(2_200);
      const taker = await S3IndexLease.acquire(s3, at, { staleMs: 1_500 });
      const takerLock = await head(at);
      offset = 11 * 60_000;
      const error = await run;
      expect(error).toBeInstanceOf(TrailkitError);
      expect((error as TrailkitError).message).toMatch(/this run's lock s3:\/\/.+\/\.lock was lost while it was building: it was taken over \(run \d+ on .+\)/);
      const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${at.prefix}/` }))).Contents?.map((o) => (o.Key ?? '').slice(at.prefix.length + 1)) ?? [];
      // The uploads already sent landed; nothing after them: no manifest names them, no marker.
      expect(keys.filter((k) => !k.startsWith('data/'))).toEqual(['.lock']);
      expect(await head(at)).toBe(takerLock);
      await taker.release();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      proxy.clear();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('is lost when deleted by someone else; the run then refuses to upload and recreates nothing', async () => {
    const at = fresh();
    const lease = await S3IndexLease.acquire(s3, at);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key(at) }));
    expect(await refusal(lease.confirm())).toMatch(/was lost while it was building: it was deleted; nothing was uploaded or deleted$/);
    expect(await lease.release()).toBeUndefined();
    expect(await head(at)).toBeUndefined();
  });

  it('treats an object it did not write as a lock (fresh: refused), whatever it holds, and prints none of its bytes', async () => {
    const at = fresh();
    for (const body of ['not json', 'x'.repeat(100 * 1024), JSON.stringify({ trailkit: 'index-lock', owner: 'o', host: 'evil\u001b[2J\u202ehost\u0000', pid: 1, started: '2026-12-01T00:00:00Z\u001b]8;;http://x\u0007', renewed: 'r' })]) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(at), Body: body }));
      const etag = await head(at);
      const message = await refusal(S3IndexLease.acquire(s3, at, { attempts: 1 }));
      expect(message).toMatch(/another index run holds its lock/);
      expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(message).toContain(body.startsWith('{') ? 'run 1 on evil?[2J?host?' : 'a lock trailkit did not write');
      expect(await head(at)).toBe(etag);
    }
  });

  it('retries when S3 answers 409 ConditionalRequestConflict (another write on the key at that moment)', async () => {
    const at = fresh();
    const conflict = proxy.add({ match: (q) => q.method === 'PUT' && q.url.includes(`/${key(at)}`), status: 409, body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting operation occurred</Message></Error>', contentType: 'application/xml', times: 2 });
    try {
      const lease = await S3IndexLease.acquire(viaProxy, at);
      expect(conflict.hits).toBe(2);
      expect(await head(at)).toBeDefined();
      await lease.release();
    } finally {
      proxy.clear();
    }
  });

  it('AccessDenied on the lock is one line naming the object and the IAM action', async () => {
    const at = fresh();
    proxy.add({ match: (q) => q.method === 'PUT', status: 403, body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', contentType: 'application/xml', times: Infinity });
    try {
      expect(await refusal(S3IndexLease.acquire(viaProxy, at))).toBe(`s3:PutObject on s3://${BUCKET}/${at.prefix}/.lock: access denied`);
      expect(await hintOf(S3IndexLease.acquire(viaProxy, at))).toBe('the caller needs the IAM permission s3:PutObject');
    } finally {
      proxy.clear();
    }
    expect(await head(at)).toBeUndefined();
  });
});
