/**
 * `trailkit index --to s3://bucket/prefix` against moto_server: the index built in a working
 * folder and synced to S3 (uploads, incremental re-runs, a second machine, stale objects
 * deleted only after every upload, refusals that delete nothing), `athena ddl --parquet` over
 * what was uploaded, and `index --bucket` on decompression bombs in S3 in bounded memory.
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateArchive } from '../../fixtures/generate.mjs';
import { bombEvent, recordsBomb, watchPeak, zerosBomb } from '../helpers/bombs.js';
import { BIN, startCli, type CliResult } from '../helpers/cli.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out.sort();
}

interface Listed { key: string; size: number; etag: string }

describeWithMoto('index --to s3://bucket/prefix against moto_server', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let s3: S3Client;
  let work: string;
  const TRAIL = 'trail-archive';
  const INDEX = 'index-bucket';
  const target = `s3://${INDEX}/indexes/main`;
  const cli = async (args: string[], extraEnv: Record<string, string> = {}, endpoint?: string): Promise<CliResult> => {
    const run = startCli([...args, '--endpoint-url', endpoint ?? moto.endpoint], { ...motoEnv(moto), ...extraEnv });
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  };
  const index = (workDir: string, extra: string[] = [], endpoint?: string) => cli(['index', '--bucket', TRAIL, '--to', target, '--work-dir', workDir, '--output', 'json', ...extra], {}, endpoint);
  const listed = async (prefix = 'indexes/main/'): Promise<Listed[]> => {
    const out: Listed[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: INDEX, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push({ key: (o.Key as string).slice(prefix.length), size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, '') });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  };
  /** The files of a working folder that belong in S3, with their MD5. */
  const localFiles = (dir: string): Listed[] => walk(dir)
    .map((f) => relative(dir, f))
    .filter((rel) => rel === 'trailkit-index.json' || rel.startsWith('data/') || rel.startsWith('batches/'))
    .map((rel) => {
      const bytes = readFileSync(join(dir, rel));
      return { key: rel, size: bytes.length, etag: createHash('md5').update(bytes).digest('hex') };
    });
  const upload = async (dir: string) => {
    for (const file of walk(dir)) await s3.send(new PutObjectCommand({ Bucket: TRAIL, Key: relative(dir, file), Body: readFileSync(file) }));
  };
  const countOf = async (dir: string) => {
    const run = startCli(['query', 'SELECT count(*) AS n FROM events', '--index', dir, '--output', 'json']);
    await run.exited;
    return (JSON.parse(run.output.stdout) as { n: number }).n;
  };

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    s3 = new S3Client(motoClientConfig(moto));
    work = mkdtempSync(join(tmpdir(), 'trailkit-index-s3-'));
    await s3.send(new CreateBucketCommand({ Bucket: TRAIL }));
    await s3.send(new CreateBucketCommand({ Bucket: INDEX }));
    const first = join(work, 'first');
    generateArchive({ out: first, seed: 3, accounts: ['111111111111'], regions: ['us-east-1', 'eu-west-1'], start: '2026-11-19T22:00:00Z', hours: 3, filesPerHour: 2, eventsPerFile: [10, 20], insights: false, hostile: false, marker: false });
    await upload(first);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await proxy?.stop();
    await moto?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a --to that is not an S3 location and --work-dir without one, before any call', async () => {
    const bad = await cli(['index', '--bucket', TRAIL, '--to', 's3://Not_A_Bucket/x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^trailkit: --to 's3:\/\/Not_A_Bucket\/x' is not an S3 location/)]);
    const lone = await cli(['index', '--bucket', TRAIL, '--to', join(work, 'x'), '--work-dir', join(work, 'y')]);
    expect(lone.status).toBe(2);
    expect(lone.stderr).toMatch(/^trailkit: --work-dir goes with --to s3:\/\/bucket\/prefix/);
  });

  it('uploads the index; athena ddl --parquet describes exactly the uploaded layout', async () => {
    const w1 = join(work, 'w1');
    const r = await index(w1);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { uploaded: number; deleted: number; downloaded: number; events: number };
    const remote = await listed();
    // Every file of the index, with its bytes (the ETag of a single-part upload is their MD5), and nothing else.
    expect(remote).toEqual(localFiles(w1));
    expect(summary).toMatchObject({ uploaded: remote.length, deleted: 0, downloaded: 0 });
    expect(remote.some((o) => o.key.startsWith('batches/'))).toBe(true);
    expect(await countOf(w1)).toBe(summary.events);

    const ddl = await cli(['athena', 'ddl', '--parquet', `${target}/`, '--account', '111111111111', '--event-region', 'us-east-1,eu-west-1']);
    expect(ddl.status, ddl.stderr).toBe(0);
    const location = /LOCATION\s+'([^']+)'/.exec(ddl.stdout)?.[1];
    const template = /'storage\.location\.template'\s*=\s*'([^']+)'/.exec(ddl.stdout)?.[1] as string;
    const regions = (/'projection\.region\.values'\s*=\s*'([^']+)'/.exec(ddl.stdout)?.[1] as string).split(',');
    const accounts = (/'projection\.account\.values'\s*=\s*'([^']+)'/.exec(ddl.stdout)?.[1] as string).split(',');
    expect(location).toBe(`${target}/data/`);
    const shape = new RegExp(`^${template.replace(/[.*+?^${}()|[\]\\/]/g, (c) => (c === '$' || c === '{' || c === '}' ? c : `\\${c}`)).replace(/\$\{account\}/, '(?<account>[^/]+)').replace(/\$\{region\}/, '(?<region>[^/]+)').replace(/\$\{date\}/, '(?<date>[^/]+)')}/[^/]+\\.parquet$`);
    const parts = remote.filter((o) => o.key.startsWith('data/'));
    expect(parts.length).toBeGreaterThan(0);
    for (const part of parts) {
      const m = shape.exec(`${target}/${part.key}`);
      expect(m, part.key).not.toBeNull();
      expect(accounts).toContain(m?.groups?.['account']);
      expect(regions).toContain(m?.groups?.['region']);
      expect(m?.groups?.['date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  }, 120_000);

  it('a re-run uploads nothing; new log files upload only their new files', async () => {
    const w1 = join(work, 'w1');
    const before = await listed();
    const again = await index(w1);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ indexed: 0, uploaded: 0, deleted: 0, unchanged: expect.any(Number) });
    expect(await listed()).toEqual(before);

    const second = join(work, 'second');
    generateArchive({ out: second, seed: 4, accounts: ['111111111111'], regions: ['us-east-1'], start: '2026-11-20T01:00:00Z', hours: 1, filesPerHour: 2, eventsPerFile: [10, 20], insights: false, hostile: false, marker: false });
    await upload(second);
    const more = await index(w1);
    expect(more.status, more.stderr).toBe(0);
    const after = await listed();
    const added = after.filter((o) => !before.some((b) => b.key === o.key));
    // The old objects are untouched; the new batch's manifest and files are the only uploads.
    for (const b of before) expect(after).toContainEqual(b);
    expect(JSON.parse(more.stdout)).toMatchObject({ indexed: 2, uploaded: added.length, deleted: 0 });
    expect(added.filter((o) => o.key.startsWith('batches/'))).toHaveLength(1);
    expect(after).toEqual(localFiles(w1));
  }, 120_000);

  it('another machine (an empty working folder) downloads the index and carries on incrementally; the first one catches up', async () => {
    const w1 = join(work, 'w1');
    const w2 = join(work, 'w2');
    const fresh = await index(w2);
    expect(fresh.status, fresh.stderr).toBe(0);
    const summary = JSON.parse(fresh.stdout) as { indexed: number; downloaded: number; uploaded: number };
    expect(summary).toMatchObject({ indexed: 0, uploaded: 0 });
    expect(summary.downloaded).toBe((await listed()).length - 1);
    expect(localFiles(w2)).toEqual(localFiles(w1));

    // w2 indexes a new hour; w1, behind it, downloads that batch before it builds, and uploads nothing.
    const third = join(work, 'third');
    generateArchive({ out: third, seed: 5, accounts: ['111111111111'], regions: ['eu-west-1'], start: '2026-11-20T03:00:00Z', hours: 1, filesPerHour: 1, eventsPerFile: [10, 20], insights: false, hostile: false, marker: false });
    await upload(third);
    const ahead = await index(w2);
    expect(JSON.parse(ahead.stdout)).toMatchObject({ indexed: 1, deleted: 0 });
    const behind = await index(w1);
    expect(behind.status, behind.stderr).toBe(0);
    expect(JSON.parse(behind.stdout)).toMatchObject({ indexed: 0, uploaded: 0, deleted: 0, downloaded: expect.any(Number) });
    expect((JSON.parse(behind.stdout) as { downloaded: number }).downloaded).toBeGreaterThan(1);
    expect(localFiles(w1)).toEqual(localFiles(w2));
    expect(await listed()).toEqual(localFiles(w1));
    expect(await countOf(w1)).toBe(await countOf(w2));
  }, 180_000);

  it('re-uploads a file replaced locally or in S3, and deletes the files the index replaced and strays', async () => {
    const w1 = join(work, 'w1');
    const part = localFiles(w1).find((f) => f.key.startsWith('data/')) as Listed;
    const path = join(w1, part.key);
    const original = readFileSync(path);
    // Replaced locally (same size, other bytes): uploaded again; then the original is put back, and uploaded again.
    const altered = Buffer.from(original);
    altered[8] = (altered[8] as number) ^ 0xff;
    writeFileSync(path, altered);
    const local = await index(w1);
    expect(JSON.parse(local.stdout)).toMatchObject({ uploaded: 1, deleted: 0 });
    expect((await listed()).find((o) => o.key === part.key)?.etag).toBe(createHash('md5').update(altered).digest('hex'));
    writeFileSync(path, original);
    expect(JSON.parse((await index(w1)).stdout)).toMatchObject({ uploaded: 1 });
    // Replaced in S3 with other bytes of the same size.
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: `indexes/main/${part.key}`, Body: Buffer.alloc(original.length, 7) }));
    expect(JSON.parse((await index(w1)).stdout)).toMatchObject({ uploaded: 1 });
    expect(await listed()).toEqual(localFiles(w1));

    // A log file that changed: its events move to new files, and the files that held them are deleted, with a stray part no batch names.
    const stray = 'data/account=111111111111/region=us-east-1/date=2026-11-19/00000099-stray.parquet';
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: `indexes/main/${stray}`, Body: 'not named by any batch' }));
    const before = await listed();
    const key = walk(join(work, 'first')).map((f) => relative(join(work, 'first'), f)).find((k) => k.includes('us-east-1')) as string;
    const body = JSON.stringify({ Records: [{ ...bombEvent('changed-1'), eventTime: '2026-11-19T22:10:00Z' }] });
    await s3.send(new PutObjectCommand({ Bucket: TRAIL, Key: key, Body: gzipSync(body) }));
    const changed = await index(w1);
    expect(changed.status, changed.stderr).toBe(0);
    const after = await listed();
    const gone = before.filter((b) => !after.some((a) => a.key === b.key)).map((b) => b.key);
    expect(gone).toContain(stray);
    expect(gone.length).toBeGreaterThan(1);
    expect(JSON.parse(changed.stdout)).toMatchObject({ indexed: 1, deleted: gone.length });
    expect(after).toEqual(localFiles(w1));
  }, 180_000);

  it('refuses a prefix holding other files under data/, deleting nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: 'indexes/main/data/notes.txt', Body: 'mine' }));
    const before = await listed();
    const r = await index(join(work, 'w1'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('trailkit: ') && !l.includes(' is built in '))).toEqual([
      `trailkit: --to ${target}/: ${target}/data/notes.txt is not a file of a trailkit index; nothing was written or deleted (give the index a prefix of its own: trailkit deletes what it no longer needs under data/ and batches/)`,
    ]);
    expect(await listed()).toEqual(before);
    await s3.send(new DeleteObjectCommand({ Bucket: INDEX, Key: 'indexes/main/data/notes.txt' }));
  }, 60_000);

  it('AccessDenied on an upload or a delete is one line, exit 2, and deletes nothing; the next run finishes the sync', async () => {
    const w1 = join(work, 'w1');
    const stray = 'data/account=111111111111/region=eu-west-1/date=2026-11-19/00000098-stray.parquet';
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: `indexes/main/${stray}`, Body: 'stray' }));
    const part = localFiles(w1).find((f) => f.key.startsWith('data/')) as Listed;
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: `indexes/main/${part.key}`, Body: 'damaged' }));
    const before = await listed();
    const denied = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>fault</RequestId></Error>`;
    // Every upload of the index is refused, not the writes of its lock (PREFIX/.lock).
    const put = proxy.add({ match: (q) => q.method === 'PUT' && !q.url.includes('/.lock'), status: 403, body: denied, contentType: 'application/xml', times: Infinity });
    const r = await index(w1, [], proxy.endpoint);
    proxy.clear();
    expect(r.status, r.stderr).toBe(2);
    expect(put.hits).toBeGreaterThan(0);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('trailkit: ') && !l.includes(' is built in ') && !l.includes('indexing'));
    expect(errors).toEqual([`trailkit: s3:PutObject on ${target}/${part.key}: access denied (the caller needs the IAM permission s3:PutObject)`]);
    expect(await listed()).toEqual(before);

    // DeleteObjects answers 200 with an error per key it did not delete.
    const deleteDenied = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult><Error><Key>indexes/main/${stray}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`;
    proxy.add({ match: (q) => q.method === 'POST' && q.url.includes('delete'), status: 200, body: deleteDenied, contentType: 'application/xml', times: Infinity });
    const r2 = await index(w1, [], proxy.endpoint);
    proxy.clear();
    expect(r2.status).toBe(2);
    expect(r2.stderr.trim().split('\n').filter((l) => l.startsWith('trailkit: s3:DeleteObject'))).toEqual([
      `trailkit: s3:DeleteObject on s3://${INDEX}/indexes/main/${stray}: access denied (the caller needs the IAM permission s3:DeleteObject)`,
    ]);
    const fixed = await index(w1);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ uploaded: 0, deleted: 1 });
    expect(await listed()).toEqual(localFiles(w1));
  }, 120_000);

  it('refuses a manifest in S3 that names a file outside the index (attack: an edited batch), writing nothing outside the working folder', async () => {
    const evil = { format: 'trailkit-index', version: 1, batch: '00000001-20261120T000000-deadbeef', committedAt: '2026-11-20T00:00:00Z', sources: [], addedParts: [{ path: '../../../../tmp/trailkit-evil.parquet', rows: 1 }], removedParts: [] };
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: 'indexes/evil/batches/00000001-20261120T000000-deadbeef.json', Body: JSON.stringify(evil) }));
    const w4 = join(work, 'w4');
    const r = await cli(['index', join(work, 'first'), '--to', `s3://${INDEX}/indexes/evil`, '--work-dir', w4]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.includes(' is built in '))).toEqual([
      `trailkit: --to s3://${INDEX}/indexes/evil/: s3://${INDEX}/indexes/evil/batches/00000001-20261120T000000-deadbeef.json: '../../../../tmp/trailkit-evil.parquet' is not a part file of the index (the index in S3 was changed by hand; give --to a new prefix)`,
    ]);
    expect(existsSync('/tmp/trailkit-evil.parquet')).toBe(false);
    expect(walk(join(w4, 'batches'))).toEqual([]);
  }, 60_000);

  it('an unreachable endpoint or a missing bucket is one line, exit 2, before anything is built', async () => {
    const w3 = join(work, 'w3');
    const refused = await cli(['index', join(work, 'first'), '--to', target, '--work-dir', w3], { AWS_MAX_ATTEMPTS: '1' }, 'http://127.0.0.1:9');
    expect(refused.status).toBe(2);
    // The first call is the one that takes the index's lock.
    expect(refused.stderr.trim().split('\n').filter((l) => !l.includes(' is built in '))).toEqual([expect.stringMatching(/^trailkit: s3:PutObject on s3:\/\/index-bucket\/indexes\/main\/\.lock: connection refused .*\(check --endpoint-url\)$/)]);
    expect(walk(join(w3, 'data'))).toEqual([]);
    const missing = await cli(['index', join(work, 'first'), '--to', 's3://no-such-index-bucket/x', '--work-dir', w3]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n').filter((l) => !l.includes(' is built in '))).toEqual([expect.stringMatching(/^trailkit: s3:PutObject on s3:\/\/no-such-index-bucket\/x\/\.lock: AWS answered NoSuchBucket/)]);
  }, 60_000);

  it('one run at a time per prefix (attacks: a second run; a run whose lock is replaced while it builds): neither uploads nor deletes anything, and a run leaves no lock behind', async () => {
    const lockKey = 'indexes/main/.lock';
    const before = await listed();
    expect(before.map((o) => o.key)).not.toContain('.lock');
    // Another run holds the lock (a fresh one: just written); its host is hostile text.
    const other = JSON.stringify({ trailkit: 'index-lock', owner: 'f00d', host: 'runner-7\u001b[31m\u202e', pid: 4242, started: '2026-12-02T10:00:00.000Z', renewed: '2026-12-02T10:00:00.000Z' });
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: lockKey, Body: other }));
    const held = await listed();
    const w5 = join(work, 'w5');
    const refused = await index(w5);
    expect(refused.status).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^trailkit: --to s3:\/\/index-bucket\/indexes\/main\/: another index run holds its lock \(s3:\/\/index-bucket\/indexes\/main\/\.lock: run 4242 on runner-7\?\[31m\?, started 2026-12-02T10:00:00\.000Z, last rewritten \d+ s ago\); nothing was built, uploaded or deleted \(run again once it is done; a lock not rewritten for 10 minutes \(its run died\) is taken over\)$/)]);
    expect(await listed()).toEqual(held);
    expect(walk(join(w5, 'data'))).toEqual([]);
    await s3.send(new DeleteObjectCommand({ Bucket: INDEX, Key: lockKey }));

    // A run that takes the lock, then loses it while it builds (its listing of the prefix is held
    // back 3 s, during which another run replaces the lock): it uploads and deletes nothing.
    await s3.send(new PutObjectCommand({ Bucket: TRAIL, Key: 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/21/111111111111_CloudTrail_us-east-1_20261121T0000Z_lock0001.json.gz', Body: gzipSync(JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-21T00:01:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', eventID: 'lock-test-1', recipientAccountId: '111111111111', userIdentity: { type: 'IAMUser', accountId: '111111111111' } }] })) }));
    const slow = proxy.add({ match: (q) => q.method === 'GET' && q.url.startsWith(`/${INDEX}/?`) && q.url.includes('list-type'), forwardAfterMs: 3_000, status: 0, body: '', times: 1 });
    const w1 = join(work, 'w1');
    const run = startCli(['index', '--bucket', TRAIL, '--to', target, '--work-dir', w1, '--output', 'json', '--endpoint-url', proxy.endpoint], motoEnv(moto));
    const ours = async () => s3.send(new GetObjectCommand({ Bucket: INDEX, Key: lockKey })).then(async (o) => o.Body?.transformToString(), () => undefined);
    const deadline = Date.now() + 15_000;
    while ((await ours()) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse((await ours()) as string)).toMatchObject({ trailkit: 'index-lock', pid: run.child.pid });
    await s3.send(new PutObjectCommand({ Bucket: INDEX, Key: lockKey, Body: other }));
    const replaced = await listed();
    const status = await run.exited;
    proxy.clear();
    expect(slow.hits).toBe(1);
    expect(status, run.output.stderr).toBe(2);
    expect(run.output.stderr).toMatch(/^trailkit: --to s3:\/\/index-bucket\/indexes\/main\/: this run's lock s3:\/\/index-bucket\/indexes\/main\/\.lock was lost while it was building: it was taken over \(run 4242 on runner-7\?\[31m\?, started 2026-12-02T10:00:00\.000Z, last rewritten \d+ s ago\); nothing was uploaded or deleted/m);
    expect(await listed()).toEqual(replaced);
    // Its lock replaced, the run did not delete the new one.
    expect(await ours()).toBe(other);
    await s3.send(new DeleteObjectCommand({ Bucket: INDEX, Key: lockKey }));

    // Alone again: the run uploads what the refused one built (the new file's events, committed
    // in the working folder) and leaves no lock.
    const ok = await index(w1);
    expect(ok.status, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { uploaded: number }).uploaded).toBeGreaterThan(0);
    expect((await listed()).map((o) => o.key)).not.toContain('.lock');
    expect(await listed()).toEqual(localFiles(w1));
  }, 120_000);

  it('Ctrl-C stops a run and releases its lock in S3, so the next run need not wait for it to go stale', async () => {
    const lockKey = 'indexes/main/.lock';
    const before = await listed();
    const slow = proxy.add({ match: (q) => q.method === 'GET' && q.url.startsWith(`/${INDEX}/?`) && q.url.includes('list-type'), forwardAfterMs: 2_000, status: 0, body: '', times: 1 });
    const w1 = join(work, 'w1');
    const run = startCli(['index', '--bucket', TRAIL, '--to', target, '--work-dir', w1, '--endpoint-url', proxy.endpoint], motoEnv(moto));
    const lock = async () => s3.send(new GetObjectCommand({ Bucket: INDEX, Key: lockKey })).then(async (o) => o.Body?.transformToString(), () => undefined);
    const deadline = Date.now() + 15_000;
    while ((await lock()) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse((await lock()) as string)).toMatchObject({ pid: run.child.pid });
    run.child.kill('SIGINT');
    const status = await run.exited;
    proxy.clear();
    expect(slow.hits).toBe(1);
    expect(status, run.output.stderr).toBe(130);
    expect(await lock()).toBeUndefined();
    expect(await listed()).toEqual(before);
    // The next run goes ahead at once.
    const next = await index(w1);
    expect(next.status, next.stderr).toBe(0);
  }, 60_000);

  it('index --bucket reports decompression bombs in S3 in one line each, indexes the other objects, and stays under 512 MiB', async () => {
    const bucket = 'bomb-archive';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const day = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20';
    const name = (t: string, u: string) => `${day}/111111111111_CloudTrail_us-east-1_20261120T${t}Z_${u}.json.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name('1000', 'aaaaaaaaaaaaaaaa'), Body: recordsBomb(2 * 1024 ** 3) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name('1005', 'bbbbbbbbbbbbbbbb'), Body: zerosBomb(2 * 1024 ** 3) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name('1010', 'cccccccccccccccc'), Body: gzipSync(JSON.stringify({ Records: [bombEvent('good')] })) }));
    const dir = join(work, 'bomb-index');
    const child = spawn(process.execPath, [BIN, 'index', '--bucket', bucket, '--to', dir, '--output', 'json', '--endpoint-url', moto.endpoint], { env: { ...process.env, ...motoEnv(moto), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchPeak(child.pid as number);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const peakMiB = peak.stop();
    expect(status, stderr).toBe(2);
    expect(stderr.split('\n').filter((l) => l.startsWith('trailkit: s3://'))).toEqual([
      expect.stringMatching(new RegExp(`^trailkit: s3://${bucket}/${day}/111111111111_CloudTrail_us-east-1_20261120T1000Z_a{16}\\.json\\.gz: decompression bomb: it inflates past \\d+ MB`)),
      expect.stringMatching(new RegExp(`^trailkit: s3://${bucket}/${day}/111111111111_CloudTrail_us-east-1_20261120T1005Z_b{16}\\.json\\.gz: "Records"\\[0\\] is not an object`)),
    ]);
    // The records bomb's events before the guard stopped it are indexed, as grep --bucket prints them.
    const summary = JSON.parse(stdout) as { events: number; failedEvents: number };
    expect(summary).toMatchObject({ files: 3, indexed: 1, failed: 2 });
    expect(summary.failedEvents).toBeGreaterThan(50);
    expect(summary.events).toBe(1 + summary.failedEvents);
    const grep = await cli(['grep', '--bucket', bucket, '--since', '2026-11-20T00:00:00Z', '--until', '2026-11-21T00:00:00Z', '--count']);
    expect(Number(grep.stdout), grep.stderr).toBe(summary.events);
    if (peakMiB !== undefined) expect(peakMiB).toBeLessThan(512);
    // The S3 copy of the object is read, not gone: GetObject still answers.
    await s3.send(new GetObjectCommand({ Bucket: bucket, Key: name('1010', 'cccccccccccccccc') }));
  }, 180_000);
});
