/**
 * `trailkit index` on inputs built to exhaust memory: decompression bombs, a file larger than one
 * piece, a record over the size a record may have. Each is reported in one line naming the file,
 * as grep reports it, the events grep prints are indexed (those of a bomb before the guard stopped
 * it too), and the process stays under 512 MiB. Also the
 * progress bar: drawn on a terminal, absent when stderr is a pipe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bombEvent, recordsBomb, watchPeak, zerosBomb } from '../helpers/bombs.js';
import { BIN, runCli, SAMPLE } from '../helpers/cli.js';

const LIMIT_MIB = 512;

/** Runs the CLI as a child and measures its peak RSS while it runs. */
async function runMeasured(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string; peakMiB: number | undefined }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const peak = watchPeak(child.pid as number);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { status, stdout, stderr, peakMiB: peak.stop() };
}

/** The SHA-256 and line count of what the CLI prints, read as it is printed (never held whole). */
async function outputDigest(args: readonly string[]): Promise<{ sha256: string; lines: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const hash = createHash('sha256');
  let lines = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(undefined)));
  return { sha256: hash.digest('hex'), lines };
}

describe('index on hostile inputs', () => {
  let work: string;
  let folder: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'trailkit-index-hostile-'));
    folder = join(work, 'in');
    mkdirSync(folder);
    // Two gigabytes of valid records, and two of zeros after a valid opening, from about 4 MB of gzip.
    writeFileSync(join(folder, 'a-records-bomb.json.gz'), recordsBomb(2 * 1024 ** 3));
    writeFileSync(join(folder, 'b-zeros-bomb.json.gz'), zerosBomb(2 * 1024 ** 3));
    // A file of 24 MB of JSON (read as a stream, not in one piece), with one record over 8 MiB.
    const big = Array.from({ length: 60_000 }, (_, i) => bombEvent(`big-${i}`));
    const huge = { ...bombEvent('huge'), requestParameters: { blob: 'x'.repeat(9 * 1024 * 1024) } };
    writeFileSync(join(folder, 'c-large.json'), JSON.stringify({ Records: [...big.slice(0, 30_000), huge, ...big.slice(30_000)] }));
    writeFileSync(join(folder, 'd-good.json.gz'), gzipSync(JSON.stringify({ Records: [bombEvent('good')] })));
    // 120 MB of JSON in 1 MB records, one file: more than DuckDB can write in one COPY within 256 MB.
    const wide = Array.from({ length: 120 }, (_, i) => JSON.stringify({ ...bombEvent(`wide-${i}`), userAgent: String.fromCharCode(65 + (i % 26)).repeat(1024 * 1024) }));
    writeFileSync(join(folder, 'e-wide.json'), `{"Records":[${wide.join(',')}]}`);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reports each bomb in one line naming it, indexes the other files, and stays under 512 MiB', async () => {
    const index = join(work, 'index');
    const r = await runMeasured(['index', folder, '--to', index, '--output', 'json']);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('trailkit: /'));
    expect(lines).toEqual([
      expect.stringMatching(/a-records-bomb\.json\.gz: decompression bomb: it inflates past \d+ MB from [\d.]+ MB, more than 200 times its compressed size/),
      expect.stringMatching(/b-zeros-bomb\.json\.gz: expected ',' or '\]' after "Records"\[0\]|b-zeros-bomb\.json\.gz: "Records"\[0\] is not an object/),
      expect.stringMatching(/c-large\.json: record 30000 is 9\.0 MB, over the 8\.0 MB a record may have; skipped/),
    ]);
    // The same words as grep's about the same files (the index stops a bomb sooner: the sizes differ).
    const grep = runCli(['grep', folder, '--count'], { timeoutMs: 120_000 });
    const words = (l: string) => l.replace(`${folder}/`, '').replace(/[\d.]+ MB/g, 'N MB');
    expect(grep.stderr.split('\n').filter((l) => l.startsWith('trailkit: ')).map(words)).toEqual(lines.map(words));
    // The records bomb's events before the guard stopped it (at 64 MB) are indexed, as grep prints them.
    const bombEvents = Number(runCli(['grep', join(folder, 'a-records-bomb.json.gz'), '--count'], { timeoutMs: 120_000 }).stdout);
    expect(bombEvents).toBeGreaterThan(50);
    expect(bombEvents).toBeLessThan(100);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 5, indexed: 3, failed: 2, events: 60_121 + bombEvents, failedEvents: bombEvents });
    expect(Number(grep.stdout)).toBe(60_121 + bombEvents);
    const ids = runCli(['query', "SELECT count(*) AS n, count(DISTINCT eventid) AS d, max(eventid) FILTER (WHERE eventid = 'good') AS good, count(*) FILTER (WHERE eventid = 'bomb') AS bomb, count(DISTINCT record_index) FILTER (WHERE eventid = 'bomb') AS places FROM events", '--index', index, '--output', 'json']);
    expect(JSON.parse(ids.stdout)).toEqual({ n: 60_121 + bombEvents, d: 60_122, good: 'good', bomb: bombEvents, places: bombEvents });
    // The same events as grep, in the same order and bytes (hundreds of MB: compared by digest).
    const fromIndex = await outputDigest(['grep', '--index', index, '--output', 'json']);
    const fromFiles = await outputDigest(['grep', folder, '--output', 'json']);
    expect(fromIndex.lines).toBe(60_121 + bombEvents);
    expect(fromIndex).toEqual(fromFiles);
    if (r.peakMiB !== undefined) expect(r.peakMiB).toBeLessThan(LIMIT_MIB);
  }, 240_000);

  it('tries the bombs again on the next run, replacing what it kept of them, and stays under 512 MiB', async () => {
    const index = join(work, 'index');
    const before = runCli(['query', 'SELECT count(*) AS n FROM events', '--index', index, '--output', 'json']).stdout;
    const r = await runMeasured(['index', folder, '--to', index, '--output', 'json']);
    expect(r.status).toBe(2);
    const summary = JSON.parse(r.stdout) as { events: number; failedEvents: number };
    expect(summary).toMatchObject({ files: 5, unchanged: 3, failed: 2 });
    expect(summary.events).toBeGreaterThan(50);
    expect(summary.failedEvents).toBe(summary.events);
    // Read again and replaced: not one event twice.
    expect(runCli(['query', 'SELECT count(*) AS n FROM events', '--index', index, '--output', 'json']).stdout).toBe(before);
    if (r.peakMiB !== undefined) expect(r.peakMiB).toBeLessThan(LIMIT_MIB);
  }, 180_000);

  it('a memory limit DuckDB cannot write a batch in is one line naming --memory-limit, exit 2, nothing half-written; a re-run with more finishes', () => {
    const index = join(work, 'tight');
    const r = runCli(['index', SAMPLE, '--to', index, '--memory-limit', '8MB']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('trailkit: ') && !l.includes('indexing'))).toEqual([
      'trailkit: DuckDB ran out of its 8MB memory limit writing a batch of 1511 events, even on one thread (raise --memory-limit, e.g. --memory-limit 1GB; what is committed stays and a re-run carries on)',
    ]);
    // Nothing was committed: no batch manifest and no Parquet file under data/.
    expect(readdirSync(join(index, 'batches'))).toEqual([]);
    expect(existsSync(join(index, 'data')) ? readdirSync(join(index, 'data'), { recursive: true }).filter((f) => String(f).endsWith('.parquet')) : []).toEqual([]);
    const again = runCli(['index', SAMPLE, '--to', index, '--output', 'json']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 56, indexed: 56, events: 1511 });
  }, 120_000);

  it('records DuckDB refuses (lone surrogate escapes), 150 MB of them: judged as they stream, under 512 MiB, printed as grep prints them', async () => {
    const dir = join(work, 'surrogates');
    mkdirSync(dir);
    const pad = 'B'.repeat(1500);
    const records = Array.from({ length: 100_000 }, (_, i) => `{"eventVersion":"1.08","eventTime":"2026-11-20T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","recipientAccountId":"111111111111","userAgent":"\\ud800${pad}","eventID":"s${i}"}`);
    writeFileSync(join(dir, 'surrogates.json'), `{"Records":[${records.join(',')}]}`);
    const index = join(work, 'surrogates-index');
    const r = await runMeasured(['index', dir, '--to', index, '--output', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 1, indexed: 1, events: 100_000 });
    expect(await outputDigest(['grep', '--index', index, '--output', 'json'])).toEqual(await outputDigest(['grep', dir, '--output', 'json']));
    // Read whole, they took 1.3 GB.
    if (r.peakMiB !== undefined) expect(r.peakMiB).toBeLessThan(LIMIT_MIB);
  }, 180_000);

  it('broken records judged after DuckDB, across several COPYs: the first three in file order, as grep names them', () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    const good = (i: number) => JSON.stringify({ ...bombEvent(`ok-${i}`), userAgent: 'x'.repeat(9000) });
    // Broken where only a JSON parser sees it (a bare word as a value), late in the file first.
    const parts = Array.from({ length: 400 }, (_, i) => ([390, 17, 250, 3].includes(i) ? `{"eventVersion":"1.08","eventName":"B${i}","eventID":"b${i}","readOnly":tru}` : good(i)));
    writeFileSync(join(dir, 'broken.json'), `{"Records":[${parts.join(',')}]}`);
    const index = join(work, 'broken-index');
    const r = runCli(['index', dir, '--to', index], { env: { TRAILKIT_INDEX_BATCH_BYTES: '200000' } });
    const grep = runCli(['grep', dir, '--count']);
    const lines = (text: string) => text.split('\n').filter((l) => l.includes('broken.json:'));
    expect(lines(r.stderr)).toEqual(lines(grep.stderr));
    expect(lines(r.stderr).map((l) => l.replace(/^.*broken\.json: /, '').replace(/ is not valid JSON.*$/, ''))).toEqual(['record 3', 'record 17', 'record 250', 'more records could not be read']);
    expect(runCli(['grep', '--index', index, '--count']).stdout).toBe(grep.stdout);
    expect(grep.stdout.trim()).toBe('396');
  }, 120_000);

  // util-linux `script` runs the command on a pseudo-terminal.
  it.runIf(spawnSync('script', ['--version']).status === 0)('draws a progress bar on a terminal, and none when stderr is not one', () => {
    const index = join(work, 'progress');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} index ${JSON.stringify(SAMPLE)} --to ${JSON.stringify(index)}`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const frames = r.stdout.split('\r').map((f) => f.replace(/\x1b\[K/g, '')).filter((f) => f.startsWith('['));
    expect(frames.length).toBeGreaterThan(0);
    const total = /\/(\d+) objects/.exec(frames[0] as string)?.[1];
    expect(frames.at(-1)).toMatch(new RegExp(`^\\[#{24}\\] ${total}/${total} objects  `));
    const piped = runCli(['index', SAMPLE, '--to', join(work, 'progress-piped')]);
    expect(piped.stderr).not.toContain('objects');
  }, 120_000);
});
