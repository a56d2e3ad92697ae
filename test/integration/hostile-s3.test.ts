/**
 * Attacks through a trail bucket (moto_server): decompression bombs among the objects, hostile
 * object keys echoed in warnings, and links planted in the folder `download` writes to.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonLines, startCli, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const FOLDER = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/';
const name = (stamp: string, unique: string) => `111111111111_CloudTrail_us-east-1_20261120T${stamp}Z_${unique.padEnd(16, 'x')}.json.gz`;
const WINDOW = ['--since', '2026-11-20T00:00:00Z', '--until', '2026-11-20T23:59:59Z'];
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

function event(id: string): Record<string, unknown> {
  return { eventVersion: '1.08', eventTime: '2026-11-20T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', eventID: id, recipientAccountId: '111111111111' };
}

const logFile = (...ids: string[]) => gzipSync(JSON.stringify({ Records: ids.map(event) }));

/** A gzip of about 250 KB that inflates to about 250 MB of valid records. */
function bomb(): Buffer {
  const unit = Buffer.from(`${JSON.stringify(event('b'))},`.repeat(4096));
  const parts = [Buffer.from('{"Records":[')];
  for (let i = 0; i < (250 * 1024 * 1024) / unit.length; i++) parts.push(unit);
  parts.push(Buffer.from(`${JSON.stringify(event('b'))}]}`));
  return gzipSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION });
}

describeWithMoto('hostile buckets (moto_server)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let work: string;
  const cli = async (args: string[]): Promise<CliResult> => {
    const run = startCli([...args, '--endpoint-url', moto.endpoint], motoEnv(moto));
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  };
  const put = (bucket: string, key: string, body: Buffer | string, metadata?: Record<string, string>) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(metadata === undefined ? {} : { Metadata: metadata }) }));

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    work = mkdtempSync(join(tmpdir(), 'trailkit-hostile-s3-'));
    await s3.send(new CreateBucketCommand({ Bucket: 'bomb-trail' }));
    const payload = bomb();
    await put('bomb-trail', `${FOLDER}${name('0900', 'good1')}`, logFile('good-1'));
    for (let i = 0; i < 4; i++) await put('bomb-trail', `${FOLDER}${name(`100${i}`, `bomb${i}`)}`, payload);
    await put('bomb-trail', `${FOLDER}${name('1100', 'good2')}`, logFile('good-2'));

    await s3.send(new CreateBucketCommand({ Bucket: 'hostile-keys' }));
    // Valid in XML 1.0, so S3 lists them: a C1 CSI (U+009B) and a right-to-left override.
    await put('hostile-keys', `${FOLDER}notification\u009b31m\u202egnp.json`, JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] }));
    await put('hostile-keys', `${FOLDER}${name('1000', 'good')}`, logFile('k-1'));
    await put('hostile-keys', `AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/20/digest\u009b2J\u202e.json.gz`, gzipSync('{}'));

    await s3.send(new CreateBucketCommand({ Bucket: 'link-trail' }));
    await put('link-trail', `${FOLDER}${name('1000', 'a')}`, logFile('a'));
    // Named like the temporary file older versions wrote beside the object above.
    await put('link-trail', `${FOLDER}.${name('1000', 'a')}.partial`, logFile('partial-named'));
  }, 240_000);

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('grep --bucket reports each decompression bomb by its key, stays bounded, and prints the other objects', async () => {
    const r = await cli(['grep', '--bucket', 'bomb-trail', ...WINDOW, '--event-id', 'good-1,good-2']);
    expect(r.status).toBe(2);
    expect(jsonLines(r.stdout).map((e) => e['eventID'])).toEqual(['good-1', 'good-2']);
    const bombs = r.stderr.split('\n').filter((l) => /decompression bomb: it inflates past \d+ MB from [\d.]+ MB, more than 200 times its compressed size/.test(l));
    expect(bombs).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(bombs[i]).toContain(`s3://bomb-trail/${FOLDER}${name(`100${i}`, `bomb${i}`)}`);
    const tail = await cli(['tail', '--bucket', 'bomb-trail', ...WINDOW, '--event-id', 'good-2', '-n', '1']);
    expect(tail.status).toBe(2);
    expect(jsonLines(tail.stdout).map((e) => e['eventID'])).toEqual(['good-2']);
  }, 180_000);

  it('escapes hostile keys in the warnings of grep --bucket and download', async () => {
    const grep = await cli(['grep', '--bucket', 'hostile-keys', ...WINDOW]);
    expect(grep.stderr).toContain('warning:');
    expect(grep.stderr).toContain('notification\\u009b31m\\u202egnp.json');
    expect(grep.stderr).not.toMatch(rawControl);
    const download = await cli(['download', '--bucket', 'hostile-keys', '--to', join(work, 'keys'), ...WINDOW]);
    expect(download.stderr).toContain('digest\\u009b2J\\u202e.json.gz');
    expect(download.stderr).not.toMatch(rawControl);
    expect(download.stdout).not.toMatch(rawControl);
  }, 60_000);

  it('download never writes through a link planted at a temporary name, at the file itself or at its state file', async () => {
    const dir = join(work, 'planted');
    const local = join(dir, FOLDER);
    mkdirSync(local, { recursive: true });
    mkdirSync(join(dir, '.trailkit'), { recursive: true });
    const victims = ['via-partial', 'via-file', 'via-state'].map((v) => {
      const path = join(work, `${v}.txt`);
      writeFileSync(path, 'precious\n');
      return path;
    });
    symlinkSync(victims[0] as string, join(local, `.${name('1000', 'a')}.partial`));
    symlinkSync(victims[1] as string, join(local, name('1000', 'a')));
    symlinkSync(victims[2] as string, join(dir, '.trailkit', 'download-state.jsonl'));
    const r = await cli(['download', '--bucket', 'link-trail', '--to', dir, ...WINDOW]);
    for (const victim of victims) expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    // The object replaced the link at its own name. The object with a hidden name is not a file any
    // command reads (core/trail-files.ts), so it is not fetched, and the link at that name is left as it is.
    expect(lstatSync(join(local, name('1000', 'a'))).isFile()).toBe(true);
    expect(readFileSync(join(local, name('1000', 'a')))).toEqual(logFile('a'));
    expect(lstatSync(join(local, `.${name('1000', 'a')}.partial`)).isSymbolicLink()).toBe(true);
    // The state file's link is refused with a reason, not followed.
    expect(r.stderr).toMatch(/download-state\.jsonl in the target folder is a symbolic link/);
  }, 60_000);

  it('download refuses to write through a linked folder on the way', async () => {
    const dir = join(work, 'linked-folder');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(dir, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(elsewhere, join(dir, 'AWSLogs'));
    const r = await cli(['download', '--bucket', 'link-trail', '--to', dir, ...WINDOW]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/AWSLogs in the target folder is a symbolic link; download does not write through links/);
    expect(readdirSync(elsewhere)).toEqual([]);
  }, 60_000);

  it('an object named like a temporary file never collides with one: hidden names are read by no command and not fetched', async () => {
    const dir = join(work, 'plain');
    const r = await cli(['download', '--bucket', 'link-trail', '--to', dir, ...WINDOW, '--output', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ objects: 1, downloaded: 1, failed: 0 });
    expect(readFileSync(join(dir, FOLDER, name('1000', 'a')))).toEqual(logFile('a'));
    // No temporary file is left behind, and none ever had a name in the trail's folders.
    expect(readdirSync(join(dir, '.trailkit', 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, FOLDER)).sort()).toEqual([name('1000', 'a')]);
    // grep --bucket reads the same set: the hidden object's event is not found.
    const grep = await cli(['grep', '--bucket', 'link-trail', ...WINDOW, '--count']);
    expect(grep.stdout).toBe('1\n');
  }, 60_000);
});
