import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveFacts } from '../../fixtures/generate.mjs';
import { jsonLines, runCli, SAMPLE } from '../helpers/cli.js';

/** The CloudTrail (not Insights) folders of the sample, which the generator's counts describe. */
const TRAIL_FOLDERS = ['111111111111', '222222222222'].map((a) => join(SAMPLE, 'AWSLogs', a, 'CloudTrail'));

const expected = JSON.parse(readFileSync(`${SAMPLE}.expected.json`, 'utf8')) as ArchiveFacts;

function record(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111111111111:user/alice', accountId: '111111111111' },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DeleteVolume',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    eventID: 'e-1',
    readOnly: false,
    recipientAccountId: '111111111111',
    ...fields,
  };
}

function logFile(records: unknown[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailkit-grep-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trailkit grep on the sample archive', () => {
  const deletes = Object.entries(expected.byEventName).filter(([name]) => name.startsWith('Delete')).reduce((n, [, c]) => n + c, 0);

  it('finds every Delete* event, one faithful JSON record per line when piped', () => {
    const r = runCli(['grep', ...TRAIL_FOLDERS, '--event-name', 'Delete*']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const events = jsonLines(r.stdout);
    expect(deletes).toBeGreaterThan(0);
    expect(events).toHaveLength(deletes);
    for (const e of events) expect(String(e['eventName'])).toMatch(/^Delete/);
  });

  it('counts with --count and agrees with the generator per account, region, errors and writes', () => {
    const count = (args: string[]) => Number(runCli(['grep', ...TRAIL_FOLDERS, '--count', ...args]).stdout.trim());
    expect(count([])).toBe(expected.totalEvents);
    expect(Number(runCli(['grep', SAMPLE, '--count']).stdout)).toBe(expected.totalEvents + expected.insightEvents);
    expect(Number(runCli(['grep', SAMPLE, '--count', '--pattern', '{ $.eventType = "AwsCloudTrailInsight" }']).stdout)).toBe(expected.insightEvents);
    for (const [account, n] of Object.entries(expected.byAccount)) expect(count(['--account', account])).toBe(n);
    for (const [region, n] of Object.entries(expected.byRegion)) expect(count(['--event-region', region])).toBe(n);
    expect(count(['--errors'])).toBe(expected.withErrorCode);
    expect(count(['--write-only'])).toBe(expected.writeEvents);
    expect(count(['--event-name', 'Delete*'])).toBe(deletes);
  });

  it('searches a small archive on one thread, and says with --debug how the work was shared', () => {
    const alone = runCli(['grep', SAMPLE, '--count', '--debug']);
    expect(alone.stderr).toMatch(/debug: search: one thread\n/);
    expect(alone.stderr).toMatch(/debug: grep: \d+ files, \d+ records, \d+ parsed, \d+ matched in \d+ ms\n/);
    // Two threads when asked for: the same count, and the files the worker searched.
    const shared = runCli(['grep', SAMPLE, '--count', '--debug'], { env: { TRAILKIT_WORKERS: '1' } });
    expect(shared.stdout).toBe(alone.stdout);
    expect(shared.stderr).toMatch(/debug: search: 2 threads \(\d+ files searched by the worker\)\n/);
  });

  it('ORs repeated values and ANDs different flags', () => {
    const a = Number(runCli(['grep', SAMPLE, '--count', '--event-name', 'ConsoleLogin']).stdout);
    const b = Number(runCli(['grep', SAMPLE, '--count', '--event-name', 'AssumeRole']).stdout);
    expect(Number(runCli(['grep', SAMPLE, '--count', '--event-name', 'ConsoleLogin', '--event-name', 'AssumeRole']).stdout)).toBe(a + b);
    expect(Number(runCli(['grep', SAMPLE, '--count', '--event-name', 'ConsoleLogin,AssumeRole']).stdout)).toBe(a + b);
    const both = jsonLines(runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--errors']).stdout);
    for (const e of both) {
      expect(String(e['eventName'])).toMatch(/^Delete/);
      expect(e['errorCode']).toBeTruthy();
    }
  });

  it('gives the same output on worker threads as in one thread', () => {
    const one = runCli(['grep', SAMPLE, '--errors'], { env: { TRAILKIT_WORKERS: '0' } });
    const two = runCli(['grep', SAMPLE, '--errors'], { env: { TRAILKIT_WORKERS: '2' } });
    expect(two.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.length).toBeGreaterThan(0);
  });

  it('prints the fields of the records it kept parsed as they are in the records\' text', () => {
    // Ground truth from the JSON lines, which are the records' text, never the kept records.
    const events = jsonLines(runCli(['grep', SAMPLE, '--errors', '--output', 'json']).stdout);
    expect(events.length).toBeGreaterThan(20);
    const arnOf = (e: Record<string, unknown>) => (e['userIdentity'] as Record<string, unknown> | undefined)?.['arn'];
    const fields = ['--fields', 'eventName,userIdentity.arn,errorCode'];
    const text = runCli(['grep', SAMPLE, '--errors', '--output', 'text', '--no-headers', ...fields]);
    expect(text.stdout).toBe(events.map((e) => `${String(e['eventName'])}\t${String(arnOf(e) ?? '-')}\t${String(e['errorCode'])}\n`).join(''));
    const projected = runCli(['grep', SAMPLE, '--errors', '--output', 'json', ...fields]);
    expect(projected.stdout).toBe(events.map((e) => `${JSON.stringify({ eventName: e['eventName'], userIdentity: { arn: arnOf(e) ?? null }, errorCode: e['errorCode'] })}\n`).join(''));
    // And alike whichever thread searched a file (a worker sends text only).
    for (const args of [['--output', 'pretty'], ['--output', 'table'], ['--output', 'text']]) {
      const one = runCli(['grep', SAMPLE, '--errors', '--no-color', ...args], { env: { TRAILKIT_WORKERS: '0', COLUMNS: '200' } });
      const two = runCli(['grep', SAMPLE, '--errors', '--no-color', ...args], { env: { TRAILKIT_WORKERS: '2', COLUMNS: '200' } });
      expect(one.stdout.split('\n').length, args.join(' ')).toBeGreaterThan(20);
      expect(two.stdout, args.join(' ')).toBe(one.stdout);
    }
    const tail = runCli(['tail', SAMPLE, '-n', '30', '--output', 'text', '--no-headers', '--fields', 'eventID']);
    const newest = jsonLines(runCli(['tail', SAMPLE, '-n', '30', '--output', 'json']).stdout);
    expect(newest).toHaveLength(30);
    expect(tail.stdout).toBe(newest.map((e) => `${String(e['eventID'])}\n`).join(''));
  });

  it('stops after --limit events', () => {
    const r = runCli(['grep', SAMPLE, '--limit', '3']);
    expect(jsonLines(r.stdout)).toHaveLength(3);
    expect(r.status).toBe(0);
  });

  it('exits 1 with no output when nothing matches', () => {
    const r = runCli(['grep', SAMPLE, '--event-name', 'NoSuchEventAnywhere']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('prints aligned pretty lines and a table with the default columns', () => {
    const pretty = runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--output', 'pretty', '--limit', '2']);
    const lines = pretty.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d{12}\s+[a-z]+-[a-z]+-\d\s+\S+\s+\S+\s+Delete\S*/);
    const table = runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--output', 'table', '--limit', '2']);
    expect(table.stdout).toContain('TIME');
    expect(table.stdout).toContain('EVENT');
    expect(table.stdout).toMatch(/│ Delete/);
    const fields = runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--output', 'pretty', '--limit', '1', '--fields', 'eventName,userIdentity.type']);
    expect(fields.stdout.trim()).toMatch(/^Delete\S*\s+\S+$/);
  });

  it('neutralises escape sequences and bidi controls in human output, keeps JSON faithful', () => {
    expect(expected.hostileEventIds.length).toBeGreaterThan(0);
    const ids = expected.hostileEventIds.flatMap((id) => ['--event-id', id]);
    const pretty = runCli(['grep', SAMPLE, ...ids, '--output', 'pretty', '--fields', 'eventName,userAgent,errorMessage']);
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(pretty.stdout).toMatch(/\\x1b|\\u202e|\\x00/);
    const json = runCli(['grep', SAMPLE, ...ids]);
    const raw = json.stdout.trimEnd().split('\n');
    expect(raw).toHaveLength(expected.hostileEventIds.length);
    // JSON lines are the input's own text: control characters stay JSON escapes, never raw bytes.
    expect(json.stdout).toMatch(/\\u001b/);
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    for (const line of raw) expect(expected.hostileEventIds).toContain((JSON.parse(line) as { eventID: string }).eventID);
  });

  it('reads a log file from standard input, gzipped or not', () => {
    const file = logFile([record({}), record({ eventName: 'RunInstances', eventID: 'e-2' })]);
    const gz = runCli(['grep', '-', '--event-name', 'Delete*'], { input: file });
    expect(jsonLines(gz.stdout).map((e) => e['eventID'])).toEqual(['e-1']);
    const plain = runCli(['grep', '--event-name', 'RunInstances'], { input: JSON.stringify({ Records: [record({ eventName: 'RunInstances' })] }) });
    expect(plain.status).toBe(0);
    expect(jsonLines(plain.stdout)).toHaveLength(1);
  });

  it('reads aws cloudtrail lookup-events output and prints the events themselves', () => {
    const lookup = { Events: [{ EventId: 'e-1', EventName: 'DeleteVolume', CloudTrailEvent: JSON.stringify(record({})) }], NextToken: 'abc' };
    const r = runCli(['grep', '-', '--user', 'ALICE'], { input: JSON.stringify(lookup) });
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([record({})]);
  });
});

describe('trailkit grep on bad input', () => {
  it('reports a missing path on one line, exits 2, and still searches the other inputs', () => {
    const r = runCli(['grep', join(dir, 'nope'), SAMPLE, '--event-name', 'Delete*']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`trailkit: ${join(dir, 'nope')}: no such file or folder`]);
    expect(jsonLines(r.stdout).length).toBeGreaterThan(0);
  });

  it('reports each broken file with its reason and still searches the good ones', () => {
    const folder = join(dir, 'mixed');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a-good.json.gz'), logFile([record({})]));
    writeFileSync(join(folder, 'b-truncated.json.gz'), logFile([record({}), record({ eventID: 'e-2' })]).subarray(0, 40));
    writeFileSync(join(folder, 'c-not-gzip.json.gz'), 'this is not gzip');
    writeFileSync(join(folder, 'd-broken.json'), '{"Records":[{"eventName":"DeleteX",}]}');
    writeFileSync(join(folder, 'e-records-5.json'), '{"Records": 5}');
    writeFileSync(join(folder, 'f-array.json'), '[1, 2, 3]');
    writeFileSync(join(folder, 'g-empty.json'), '');
    writeFileSync(join(folder, 'h-cut.json'), '{"Records":[{"eventName":"Delete');
    writeFileSync(join(folder, 'z-good.json'), JSON.stringify({ Records: [record({ eventID: 'e-z' })] }));
    const r = runCli(['grep', folder, '--event-name', 'Delete*']);
    expect(r.status).toBe(2);
    expect(jsonLines(r.stdout).map((e) => e['eventID'])).toEqual(['e-1', 'e-z']);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `trailkit: ${join(folder, 'b-truncated.json.gz')}: truncated gzip: the file ends before the compressed data does (an interrupted download?)`,
      `trailkit: ${join(folder, 'c-not-gzip.json.gz')}: not gzip: the .gz file does not start with the gzip magic bytes, and it is not JSON either`,
      expect.stringMatching(new RegExp(`^trailkit: ${join(folder, 'd-broken.json')}: record 0 is not valid JSON \\(`)),
      `trailkit: ${join(folder, 'e-records-5.json')}: "Records" is not an array (found '5')`,
      `trailkit: ${join(folder, 'f-array.json')}: the top-level array[0] is not an object (found '1')`,
      `trailkit: ${join(folder, 'g-empty.json')}: the file is empty`,
      `trailkit: ${join(folder, 'h-cut.json')}: truncated JSON: the file ends inside an unterminated string that starts at byte 12`,
    ]);
  });

  it('warns about JSON that is not CloudTrail (an S3 event notification) without failing', () => {
    const folder = join(dir, 's3-event');
    mkdirSync(folder);
    writeFileSync(join(folder, 'event.json'), JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: '2026-11-20T10:00:00.000Z' }] }));
    const r = runCli(['grep', folder]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('event.json: is JSON but not CloudTrail events');
  });

  it('accepts records that lack any field and shows them as -', () => {
    const r = runCli(['grep', '-', '--output', 'pretty'], { input: JSON.stringify({ Records: [{ eventName: 'DeleteThing' }, { eventID: 'x', eventTime: null, userIdentity: null }] }) });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^-\s+-\s+-\s+-\s+-\s+DeleteThing\s+-\s+-$/);
  });

  it('names an empty folder', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = runCli(['grep', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`trailkit: ${empty}: no CloudTrail log files in this folder (looked for *.json, *.json.gz, *.jsonl, *.ndjson; digest files are skipped)`);
  });

  it('reports a file it cannot read', () => {
    const locked = join(dir, 'locked.json');
    writeFileSync(locked, JSON.stringify({ Records: [record({})] }));
    chmodSync(locked, 0o000);
    // root reads any file: /proc/self/mem is unreadable even for root.
    const target = process.getuid?.() === 0 ? '/proc/self/mem' : locked;
    const r = runCli(['grep', target]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^trailkit: ${target}: .+`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a malformed pattern, CIDR, time or account with one line and exit 2, before reading', () => {
    const cases: [string[], RegExp][] = [
      [['--pattern', '{ $.eventName = }'], /^trailkit: --pattern: .*column \d+/],
      [['--source-ip', '10.0.0.0/33'], /^trailkit: --source-ip '10\.0\.0\.0\/33'/],
      [['--since', 'last tuesday'], /^trailkit: --since .*last tuesday/],
      [['--until', '2026-02-30'], /^trailkit: --until .*2026-02-30/],
      [['--since', '2026-11-21', '--until', '2026-11-20'], /^trailkit: --since 2026-11-21 is after --until 2026-11-20/],
      [['--account', '12345'], /^trailkit: --account '12345' is not an AWS account id/],
      [['--preset', 'nope'], /^trailkit: --preset 'nope' is not a known preset/],
      [['--output', 'xml'], /^trailkit: --output 'xml': not a format of grep \(use pretty, table, text or json\)$/],
      [['--read-only', '--write-only'], /cannot be used with/],
      [['--limit', '0'], /'0' is not a whole number of at least 1/],
      [['--no-such-flag'], /unknown option/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['grep', SAMPLE, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('handles a 50 MB log file', () => {
    const big = join(dir, 'big.json.gz');
    const records: unknown[] = [];
    const pad = 'x'.repeat(900);
    for (let i = 0; i < 50_000; i++) records.push(record({ eventID: `big-${i}`, eventName: i % 1000 === 0 ? 'DeleteBucket' : 'GetObject', requestParameters: { pad } }));
    const body = JSON.stringify({ Records: records });
    expect(body.length).toBeGreaterThan(50_000_000);
    writeFileSync(big, gzipSync(body, { level: 1 }));
    const r = runCli(['grep', big, '--event-name', 'DeleteBucket', '--count']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('50');
  });
});

describe('trailkit grep --list-presets', () => {
  it('prints the CIS 4.x presets with their patterns', () => {
    const r = runCli(['grep', '--list-presets']);
    expect(r.status).toBe(0);
    for (let n = 1; n <= 15; n++) expect(r.stdout).toContain(`cis-4.${n}`);
    const json = JSON.parse(runCli(['grep', '--list-presets', '--output', 'json']).stdout) as { id: string; pattern: string }[];
    expect(json).toHaveLength(15);
    expect(json[0]?.pattern).toContain('UnauthorizedOperation');
  });
});

describe('file names', () => {
  it('searches a gzipped log file by its content, whatever it is named', () => {
    const src = join(dir, 'named.txt');
    writeFileSync(src, logFile([record({})]));
    const r = runCli(['grep', src, '--count']);
    expect(r.stdout.trim()).toBe('1');
  });
});
