import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveFacts } from '../../fixtures/generate.mjs';
import { jsonLines, runCli, SAMPLE, startCli, waitFor } from '../helpers/cli.js';

const TRAIL_FOLDERS = ['111111111111', '222222222222'].map((a) => join(SAMPLE, 'AWSLogs', a, 'CloudTrail'));
const expected = JSON.parse(readFileSync(`${SAMPLE}.expected.json`, 'utf8')) as ArchiveFacts;

function event(id: string, time: string, name = 'DeleteVolume'): Record<string, unknown> {
  return { eventVersion: '1.09', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: name, awsRegion: 'us-east-1', eventID: id, recipientAccountId: '111111111111' };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailkit-tail-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trailkit tail', () => {
  it('prints the N newest events across the archive, oldest first', () => {
    const r = runCli(['tail', ...TRAIL_FOLDERS, '-n', '5']);
    expect(r.status).toBe(0);
    const times = jsonLines(r.stdout).map((e) => e['eventTime']);
    expect(times).toEqual(expected.newestEventTimes.slice(-5));
    expect([...times].sort()).toEqual(times);
  });

  it('prints 20 by default and applies filters', () => {
    expect(jsonLines(runCli(['tail', SAMPLE]).stdout)).toHaveLength(Math.min(20, expected.totalEvents));
    const errors = jsonLines(runCli(['tail', SAMPLE, '--errors', '-n', '3']).stdout);
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e['errorCode']).toBeTruthy();
  });

  it('exits 1 when nothing matches and 2 for a missing path', () => {
    expect(runCli(['tail', SAMPLE, '--event-name', 'Nothing']).status).toBe(1);
    const r = runCli(['tail', join(dir, 'missing')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`trailkit: ${join(dir, 'missing')}: no such file or folder`);
  });

  it('refuses -f on standard input', () => {
    const r = runCli(['tail', '-f', '-'], { input: '{}' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not standard input/);
  });

  it('-f prints new and grown files as they arrive, never an event twice, and stops on SIGINT', async () => {
    const folder = join(dir, 'follow');
    mkdirSync(join(folder, 'AWSLogs'), { recursive: true });
    writeFileSync(join(folder, 'AWSLogs', 'a.json.gz'), gzipSync(JSON.stringify({ Records: [event('old-1', '2026-11-20T10:00:00Z'), event('old-2', '2026-11-20T10:01:00Z')] })));
    const run = startCli(['tail', folder, '-f', '-n', '1', '--interval', '0.2', '--output', 'json', '--event-name', 'Delete*']);
    try {
      await waitFor(() => run.output.stdout.includes('old-2'));
      expect(run.output.stdout).not.toContain('old-1');

      // A new file in a new sub-folder.
      mkdirSync(join(folder, 'AWSLogs', 'later'));
      writeFileSync(join(folder, 'AWSLogs', 'later', 'b.json.gz'), gzipSync(JSON.stringify({ Records: [event('new-1', '2026-11-20T11:00:00Z'), event('skip', '2026-11-20T11:00:01Z', 'GetObject')] })));
      await waitFor(() => run.output.stdout.includes('new-1'));

      // A file that grows: NDJSON appended to.
      const ndjson = join(folder, 'AWSLogs', 'stream.ndjson');
      writeFileSync(ndjson, `${JSON.stringify(event('nd-1', '2026-11-20T12:00:00Z'))}\n`);
      await waitFor(() => run.output.stdout.includes('nd-1'));
      writeFileSync(ndjson, `${JSON.stringify(event('nd-1', '2026-11-20T12:00:00Z'))}\n${JSON.stringify(event('nd-2', '2026-11-20T12:01:00Z'))}\n`);
      await waitFor(() => run.output.stdout.includes('nd-2'));

      // A copy of an already printed file (same event ids) prints nothing new.
      copyFileSync(join(folder, 'AWSLogs', 'later', 'b.json.gz'), join(folder, 'AWSLogs', 'later', 'copy.json.gz'));
      await new Promise((r) => setTimeout(r, 800));
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const ids = jsonLines(run.output.stdout).map((e) => e['eventID']);
    expect(ids).toEqual(['old-2', 'new-1', 'nd-1', 'nd-2']);
    expect(run.output.stderr).toBe('');
  });

  it('-f waits for a half-written file and reports it only if it stays broken', async () => {
    const folder = join(dir, 'partial');
    mkdirSync(folder);
    // A file already there when tail starts is read at once; one that appears while following is
    // reported broken only once two polls a second apart see it unchanged. So the test waits until
    // tail has printed the first file's event (it is following then) before writing the others.
    writeFileSync(join(folder, 'o.json.gz'), gzipSync(JSON.stringify({ Records: [event('o-1', '2026-11-20T09:00:00Z')] })));
    const run = startCli(['tail', folder, '-f', '--interval', '1', '--output', 'json']);
    try {
      await waitFor(() => run.output.stdout.includes('o-1'));
      const full = gzipSync(JSON.stringify({ Records: [event('p-1', '2026-11-20T10:00:00Z')] }));
      writeFileSync(join(folder, 'p.json.gz'), full.subarray(0, 20));
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(join(folder, 'p.json.gz'), full);
      await waitFor(() => run.output.stdout.includes('p-1'));
      writeFileSync(join(folder, 'q.json.gz'), full.subarray(0, 20));
      await waitFor(() => run.output.stderr.includes('q.json.gz'));
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    expect(run.output.stderr.trim().split('\n')).toEqual([expect.stringMatching(/q\.json\.gz: truncated gzip/)]);
  });
});
