import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli, SAMPLE } from '../helpers/cli.js';

const chars = (s: string) => Array.from(s).length;
const lines = (stdout: string) => stdout.split('\n').filter((l) => l !== '');

describe('pretty output fits the terminal (COLUMNS), with a header on a terminal', () => {
  it.each([80, 120, 200])('at %i columns no line is wider, and the header names the columns shown', (width) => {
    const r = runCli(['grep', SAMPLE, '--output', 'pretty', '--headers'], { env: { COLUMNS: String(width) } });
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out.length).toBeGreaterThan(100);
    for (const line of out) expect(chars(line)).toBeLessThanOrEqual(width);
    const header = (out[0] as string).split(/\s{2,}/);
    expect(header.slice(0, 2)).toEqual(['TIME', width >= 120 ? 'ACCOUNT' : 'PRINCIPAL']);
    if (width === 80) expect(header).toEqual(['TIME', 'PRINCIPAL', 'EVENT', 'ERROR']);
    if (width === 200) expect(header).toEqual(['TIME', 'ACCOUNT', 'REGION', 'PRINCIPAL', 'SOURCE', 'EVENT', 'ERROR', 'SOURCE IP']);
  });

  it('prints full values and no header when not on a terminal (no COLUMNS)', () => {
    const r = runCli(['grep', SAMPLE, '--output', 'pretty', '--event-name', 'AssumeRole', '--limit', '1']);
    const line = lines(r.stdout)[0] as string;
    expect(line).not.toMatch(/^TIME/);
    expect(line).not.toContain('…');
    expect(lines(runCli(['grep', SAMPLE, '--output', 'pretty', '--limit', '1', '--no-headers'], { env: { COLUMNS: '80' } }).stdout)).toHaveLength(1);
  });

  it('labels --fields columns', () => {
    const r = runCli(['grep', SAMPLE, '--output', 'pretty', '--headers', '--fields', 'eventTime,userIdentity.type,awsRegion', '--limit', '2']);
    const out = lines(r.stdout);
    expect((out[0] as string).split(/\s+/)).toEqual(['eventTime', 'userIdentity.type', 'awsRegion']);
    expect(out).toHaveLength(3);
  });
});

describe('--output table streams a bordered table that fits the terminal', () => {
  it.each([80, 120, 200])('at %i columns every line has the same width, at most the terminal', (width) => {
    const r = runCli(['grep', SAMPLE, '--output', 'table', '--limit', '20'], { env: { COLUMNS: String(width) } });
    const out = lines(r.stdout);
    expect(out).toHaveLength(20 + 4);
    expect(out[0]).toMatch(/^┌─+┬/);
    expect(out.at(-1)).toMatch(/^└─+┴/);
    const widths = new Set(out.map(chars));
    expect(widths.size).toBe(1);
    expect([...widths][0]).toBeLessThanOrEqual(width);
  });

  it('prints nothing at all when nothing matched', () => {
    const r = runCli(['grep', SAMPLE, '--output', 'table', '--event-name', 'NoSuchEvent']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });
});

describe('--output text: tab-separated values for cut and awk', () => {
  it('the default columns, one event a line, a field never spilling into the next', () => {
    const r = runCli(['grep', SAMPLE, '--output', 'text']);
    const json = jsonLines(runCli(['grep', SAMPLE]).stdout);
    const out = lines(r.stdout);
    expect(out).toHaveLength(json.length);
    for (const line of out) expect(line.split('\t')).toHaveLength(8);
    expect(out.map((l) => l.split('\t')[5])).toEqual(json.map((e) => e['eventName'] ?? '-'));
    expect(out.map((l) => l.split('\t')[0])).toEqual(json.map((e) => e['eventTime'] ?? '-'));
  });

  it('honours --fields, with a header only when asked (or on a terminal)', () => {
    const r = runCli(['grep', SAMPLE, '--output', 'text', '--fields', 'eventID,userIdentity.arn,requestParameters', '--limit', '3', '--headers']);
    const out = lines(r.stdout);
    expect(out[0]).toBe('eventID\tuserIdentity.arn\trequestParameters');
    const json = jsonLines(runCli(['grep', SAMPLE, '--limit', '3']).stdout);
    expect(out.slice(1).map((l) => l.split('\t')[0])).toEqual(json.map((e) => e['eventID']));
    for (const [i, line] of out.slice(1).entries()) {
      const params = (line.split('\t')[2] as string);
      const expected = json[i]?.['requestParameters'];
      expect(params).toBe(expected === null || expected === undefined ? '-' : JSON.stringify(expected));
    }
  });
});

describe('--fields with --output json: one projected object per event', () => {
  it('only the fields asked for, nested as in the record', () => {
    const full = jsonLines(runCli(['grep', SAMPLE, '--limit', '5']).stdout);
    const projected = jsonLines(runCli(['grep', SAMPLE, '--limit', '5', '--output', 'json', '--fields', 'eventTime,userIdentity.type,nope']).stdout);
    expect(projected).toEqual(full.map((e) => ({ eventTime: e['eventTime'], userIdentity: { type: (e['userIdentity'] as Record<string, unknown>)['type'] }, nope: null })));
  });
});

describe('--output table on a large input: bounded memory, rows before the end', () => {
  let dir: string;
  const FILES = 12;
  const PER_FILE = 10_000;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-table-'));
    for (let f = 0; f < FILES; f++) {
      const records = [];
      for (let i = 0; i < PER_FILE; i++) {
        const n = f * PER_FILE + i;
        records.push({
          eventVersion: '1.09', eventTime: new Date(Date.UTC(2026, 10, 20) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          eventSource: 's3.amazonaws.com', eventName: n % 7 === 0 ? 'DeleteObject' : 'GetObject', awsRegion: 'eu-west-1',
          userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::111111111111:assumed-role/app/session-${n % 50}`, accountId: '111111111111' },
          sourceIPAddress: `198.51.100.${n % 250}`, userAgent: 'aws-sdk-java/1.12', requestParameters: { bucketName: 'data', key: `k/${n}`, pad: 'x'.repeat(400) },
          eventID: `e-${n}`, readOnly: n % 7 !== 0, eventType: 'AwsApiCall', recipientAccountId: '111111111111',
        });
      }
      writeFileSync(join(dir, `111111111111_CloudTrail_eu-west-1_20261120T${String(f).padStart(2, '0')}00Z_${String(f).padStart(16, 'a')}.json.gz`), gzipSync(JSON.stringify({ Records: records }), { level: 1 }));
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Peak RSS (KiB) of the whole run, workers included, and the line count. */
  function measured(output: string): { kib: number; lines: number } {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', `"$0" "$1" grep "$2" --output "$3" | wc -l`, process.execPath, BIN, dir, output], {
      encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' }, timeout: 120_000,
    });
    expect(r.status).toBe(0);
    return { kib: Number(r.stderr.trim().split('\n').pop()), lines: Number(r.stdout.trim()) };
  }

  it.runIf(spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0)('uses about the memory of --output json (it used to hold every row until the end)', () => {
    const json = measured('json');
    const table = measured('table');
    expect(json.lines).toBe(FILES * PER_FILE);
    expect(table.lines).toBe(FILES * PER_FILE + 4);
    // 120,000 rows held as records would take several hundred MiB.
    expect(table.kib).toBeLessThan(json.kib + 64 * 1024);
  }, 180_000);

  it('prints its first rows long before the last file is read', async () => {
    const child = spawn(process.execPath, [BIN, 'grep', dir, '--output', 'table'], { env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let exited = false;
    child.on('exit', () => (exited = true));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').length > 10) resolve();
      });
    });
    expect(exited).toBe(false);
    child.kill('SIGTERM');
    expect(out).toMatch(/^┌─+┬/);
  }, 60_000);
});
