import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateArchive } from '../../fixtures/generate.mjs';
import { parseDigestMetadata } from '../../src/core/digest-metadata.js';
import { jsonLines, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

interface Ev { eventID: string; eventTime: string; eventName: string; recipientAccountId: string; awsRegion: string; errorCode?: string }

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out.sort();
}

describeWithMoto('grep --bucket and download against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let work: string;
  const events: Ev[] = [];
  let keys: string[] = [];
  const bucket = 'trail-archive';
  const prefix = 'trails/main';
  const org = 'o-abcdef1234';
  const digestKey = `${prefix}/AWSLogs/${org}/111111111111/CloudTrail-Digest/us-east-1/2026/11/20/111111111111_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261120T000512Z.json.gz`;
  // Not spawnSync: moto logs every request to a pipe this process must keep draining.
  const cli = async (args: string[]): Promise<CliResult> => {
    const run = startCli([...args, '--endpoint-url', moto.endpoint], motoEnv(moto));
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  };
  const window = ['--since', '2026-11-19T23:30:00Z', '--until', '2026-11-20T00:45:00Z'];
  const inWindow = (e: Ev) => e.eventTime >= '2026-11-19T23:30:00Z' && e.eventTime <= '2026-11-20T00:45:00Z';

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    work = mkdtempSync(join(tmpdir(), 'trailkit-s3-'));
    const archive = join(work, 'archive');
    generateArchive({
      out: archive, seed: 7, accounts: ['111111111111', '222222222222', '333333333333'], regions: ['us-east-1', 'eu-west-1'],
      start: '2026-11-19T22:00:00Z', hours: 4, filesPerHour: 2, eventsPerFile: [10, 20], prefix, orgId: org, insights: false, hostile: true, marker: false,
    });
    const files = walk(archive);
    keys = files.map((f) => relative(archive, f));
    for (const f of files) events.push(...(JSON.parse(gunzipSync(readFileSync(f)).toString()) as { Records: Ev[] }).Records);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < files.length) {
        const i = next++;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[i], Body: readFileSync(files[i] as string) }));
      }
    }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: digestKey, Body: gzipSync('{"digestEndTime":"2026-11-20T00:05:12Z"}'), Metadata: { signature: 'a1b2c3', 'signature-algorithm': 'SHA256withRSA' } }));
    // Outside the layout and outside the window: never read.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/AWSLogs/${org}/111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0000Z_oldoldoldoldoldo.json.gz`, Body: 'not gzip at all' }));
  }, 180_000);

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('counts exactly the events of a window that crosses midnight, in every account and region, and says the window', async () => {
    const r = (await cli(['grep', '--bucket', bucket, '--prefix', prefix, ...window, '--count']));
    expect(r.stderr).toContain('searching s3://trail-archive/trails/main/ from 2026-11-19T23:30:00Z to 2026-11-20T00:45:00Z');
    expect(r.status).toBe(0);
    const expected = events.filter(inWindow).length;
    expect(expected).toBeGreaterThan(100);
    expect(Number(r.stdout.trim())).toBe(expected);
    const ids = jsonLines((await cli(['grep', '--bucket', bucket, '--prefix', prefix, ...window, '--output', 'json'])).stdout).map((e) => e['eventID']);
    expect(ids.length).toBe(expected);
  });

  it('applies the filters, and --account/--region/--organization-id pick the folders', async () => {
    const count = async (args: string[]) => Number((await cli(['grep', '--bucket', bucket, '--prefix', prefix, ...window, '--count', ...args])).stdout.trim());
    expect(await count(['--account', '222222222222', '--event-region', 'eu-west-1'])).toBe(events.filter((e) => inWindow(e) && e.recipientAccountId === '222222222222' && e.awsRegion === 'eu-west-1').length);
    expect(await count(['--errors'])).toBe(events.filter((e) => inWindow(e) && e.errorCode !== undefined).length);
    expect(await count(['--event-name', 'Describe*', '--organization-id', org])).toBe(events.filter((e) => inWindow(e) && e.eventName.startsWith('Describe')).length);
    const none = (await cli(['grep', '--bucket', bucket, '--prefix', prefix, ...window, '--organization-id', 'o-zzzzzzzzzz', '--count']));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no CloudTrail log folders under s3:\/\/trail-archive\/trails\/main\/AWSLogs\//);
  });

  it('download then grep offline gives the same output as grep --bucket, digests keep their signature beside them', async () => {
    const dir = join(work, 'mirror');
    const d = (await cli(['download', '--bucket', bucket, '--prefix', prefix, '--to', dir, ...window]));
    expect(d.stderr).not.toMatch(/^trailkit: s3:\/\//m);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/^downloaded \d+ objects, .* skipped 0 already present, 0 failed: s3:\/\/trail-archive -> /);
    const sidecar = JSON.parse(readFileSync(join(dir, `${digestKey}.meta.json`), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ format: 'trailkit-digest-metadata/1', bucket, key: digestKey, signature: 'a1b2c3', signatureAlgorithm: 'SHA256withRSA' });
    expect(parseDigestMetadata(readFileSync(join(dir, `${digestKey}.meta.json`), 'utf8')).ok).toBe(true);
    expect(existsSync(join(dir, digestKey))).toBe(true);
    const offline = runCli(['grep', dir, ...window, '--output', 'json']);
    const online = (await cli(['grep', '--bucket', bucket, '--prefix', prefix, ...window, '--output', 'json']));
    expect(offline.status).toBe(0);
    expect(offline.stdout.length).toBeGreaterThan(0);
    expect(online.stdout).toBe(offline.stdout);
  });

  it('resumes: unchanged objects are skipped, missing or different ones fetched again, no partial file ever has a name in the trail', async () => {
    const dir = join(work, 'resume');
    const first = (await cli(['download', '--bucket', bucket, '--prefix', prefix, '--to', dir, '--no-digests']));
    expect(first.status).toBe(0);
    const total = Number(/^downloaded (\d+) objects/.exec(first.stdout)?.[1]);
    // Everything under the trail's folders, also the October object outside every window above.
    expect(total).toBe(keys.length + 1);
    expect(existsSync(join(dir, digestKey))).toBe(false);
    rmSync(join(dir, keys[3] as string));
    appendFileSync(join(dir, keys[5] as string), 'junk');
    // Temporary files live in .trailkit/tmp under random names; an interrupted run's are swept once an hour old.
    const temp = (n: string) => join(dir, '.trailkit', 'tmp', `${n.repeat(24)}.partial`);
    writeFileSync(temp('a'), 'left by an interrupted run');
    writeFileSync(temp('b'), 'being written by another run');
    utimesSync(temp('a'), new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const second = (await cli(['download', '--bucket', bucket, '--prefix', prefix, '--to', dir, '--no-digests', '--output', 'json']));
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ objects: total, downloaded: 2, skipped: total - 2, failed: 0 });
    expect(readFileSync(join(dir, keys[5] as string)).equals(readFileSync(join(work, 'archive', keys[5] as string)))).toBe(true);
    expect(existsSync(temp('a'))).toBe(false);
    expect(existsSync(temp('b'))).toBe(true);
    expect(existsSync(join(dir, keys[3] as string))).toBe(true);
    // Nothing but the objects has a name in the trail's folders.
    expect(walk(dir).length).toBe(total);
  });

  it('reports a corrupt object by its key and searches the rest (exit 2)', async () => {
    const other = 'corrupt-trail';
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    const good = keys.find((k) => k.includes('/2026/11/20/')) as string;
    const bad = good.replace(/_[A-Za-z0-9]{16}\.json\.gz$/, '_BROKENBROKENBROK.json.gz');
    await s3.send(new PutObjectCommand({ Bucket: other, Key: good, Body: readFileSync(join(work, 'archive', good)) }));
    await s3.send(new PutObjectCommand({ Bucket: other, Key: bad, Body: readFileSync(join(work, 'archive', good)).subarray(0, 40) }));
    const r = (await cli(['grep', '--bucket', other, '--prefix', prefix, '--since', '2026-11-19', '--until', '2026-11-21', '--output', 'json']));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`s3://${other}/${bad}: truncated gzip`);
    expect(jsonLines(r.stdout).length).toBe((JSON.parse(gunzipSync(readFileSync(join(work, 'archive', good))).toString()) as { Records: unknown[] }).Records.length);
  });

  it('fails with one line for a missing bucket and for a prefix that holds no trail', async () => {
    const missing = (await cli(['grep', '--bucket', 'no-such-trail-bucket', '--count']));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^trailkit: bucket no-such-trail-bucket does not exist/m);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const noPrefix = (await cli(['download', '--bucket', bucket, '--to', join(work, 'x')]));
    expect(noPrefix.status).toBe(2);
    expect(noPrefix.stderr).toMatch(/no CloudTrail log folders under s3:\/\/trail-archive\/AWSLogs\/ \(the bucket's top-level folders are trails\/: is one of them the trail's --prefix\?\)/);
  });
});
