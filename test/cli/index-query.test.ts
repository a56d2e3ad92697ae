import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { runGrep } from '../../src/cli/commands/grep.js';
import type { GrepFlags } from '../../src/cli/commands/grep.js';
import type { CliContext } from '../../src/cli/context.js';
import { addFilterOptions } from '../../src/cli/filter-options.js';
import { makeChalk } from '../../src/output/colors.js';
import { runCli, SAMPLE, SHARED_DATA, startCli, waitFor } from '../helpers/cli.js';

/**
 * grep in this process, as the CLI runs it (the same run function, flags parsed by the same
 * options): the many filter comparisons would otherwise each pay for a process and DuckDB's load.
 */
async function grepHere(args: readonly string[], paths: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const cmd = addFilterOptions(new Command()).exitOverride();
  cmd.option('--count').option('--limit <n>', '', Number).option('--index <dir>');
  cmd.parse([...args], { from: 'user' });
  const flags = { ...cmd.opts(), concurrency: 16 } as unknown as GrepFlags;
  let stdout = '';
  let stderr = '';
  const chalk = makeChalk({ color: false, env: {}, isTTY: false });
  const ctx = {
    globals: { output: 'json', color: false },
    env: {},
    stdout: process.stdout,
    stderr: { write: (t: string) => { stderr += t; return true; }, isTTY: false },
    stdin: process.stdin,
    stdoutIsTTY: false,
    chalk,
    errChalk: chalk,
    now: () => new Date(),
    write: async (t: string) => { stdout += t; },
    warn: (m: string) => { stderr += `trailkit: warning: ${m}\n`; },
    notice: (m: string) => { stderr += `trailkit: ${m}\n`; },
    debug: () => undefined,
  } as unknown as CliContext;
  const status = await runGrep(ctx, paths, flags);
  return { status, stdout, stderr };
}

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

const HOSTILE_RECORDS = [
  // A region that would be a path outside the index if it named a folder.
  { eventVersion: '1.08', eventTime: '2026-11-20T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', awsRegion: '../../../../tmp/evil', recipientAccountId: '111111111111', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/mallory', userName: 'mallory', accessKeyId: 'AKIAMALLORY000000001' }, sourceIPAddress: '203.0.113.66', eventID: 'hostile-1', readOnly: false },
  // Terminal escapes and bidi overrides in attacker-controlled fields.
  { eventVersion: '1.08', eventTime: '2026-11-20T10:01:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', recipientAccountId: '111111111111', userAgent: '\u001b]0;pwned\u0007\u202e', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/mallory' }, errorCode: 'AccessDenied', errorMessage: 'x\u0000y', sourceIPAddress: '::ffff:203.0.113.9', eventID: 'hostile-2', readOnly: true },
  // Types CloudTrail does not write: a number where a string belongs, an offset time.
  { eventVersion: '1.08', eventTime: '2026-11-20T12:00:00+02:00', eventSource: 'ec2.amazonaws.com', eventName: 5, awsRegion: 'eu-west-1', recipientAccountId: 111111111111, userIdentity: { type: 'Root', accountId: '222222222222' }, sourceIPAddress: '2001:db8::7', eventID: 'hostile-3', readOnly: 'false' },
  // SQL in a value.
  { eventVersion: '1.08', eventTime: '2026-11-20T10:02:00Z', eventSource: 'iam.amazonaws.com', eventName: "x' OR '1'='1", awsRegion: 'us-east-1', recipientAccountId: '111111111111', userIdentity: { type: 'IAMUser', userName: "o'brien" }, eventID: 'hostile-4' },
];

/** A copy of the sample archive with inputs of every kind grep reads, and hostile ones. */
function buildArchive(dir: string): void {
  cpSync(SAMPLE, dir, { recursive: true });
  const extra = join(dir, 'extra');
  mkdirSync(extra, { recursive: true });
  writeFileSync(join(extra, 'hostile.json.gz'), gzipSync(JSON.stringify({ Records: HOSTILE_RECORDS })));
  // Pretty-printed, with \u escapes.
  writeFileSync(join(extra, 'pretty.json'), JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-20T11:00:00Z', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', awsRegion: 'us-east-1', recipientAccountId: '111111111111', userAgent: 'caf\u00e9', userIdentity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }, eventID: 'pretty-1' }] }, null, 2).replace('café', 'caf\\u00e9'));
  // NDJSON, one record per line, and a lone surrogate escape that DuckDB's JSON reader refuses.
  writeFileSync(join(extra, 'export.jsonl'), [
    JSON.stringify({ eventVersion: '1.08', eventTime: '2026-11-20T11:05:00Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'us-east-1', recipientAccountId: '111111111111', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/alice' }, eventID: 'ndjson-1' }),
    '{"eventVersion":"1.08","eventTime":"2026-11-20T11:06:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","userAgent":"\\ud800","eventID":"surrogate-1"}',
  ].join('\n'));
  // lookup-events output.
  writeFileSync(join(extra, 'lookup.json'), JSON.stringify({ Events: [{ EventId: 'l1', EventName: 'ConsoleLogin', CloudTrailEvent: JSON.stringify({ eventVersion: '1.08', eventTime: '2026-11-20T09:00:00Z', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', awsRegion: 'us-east-1', recipientAccountId: '111111111111', userIdentity: { type: 'Root', arn: 'arn:aws:iam::111111111111:root' }, additionalEventData: { MFAUsed: 'No' }, responseElements: { ConsoleLogin: 'Success' }, eventID: 'lookup-1' }) }] }));
  // A broken record among good ones: reported, the others are kept.
  writeFileSync(join(extra, 'broken-record.json'), '{"Records":[{"eventTime":"2026-11-20T08:00:00Z","eventName":"A1","eventSource":"iam.amazonaws.com","eventID":"b1"},{"eventName": tru},{"eventTime":"2026-11-20T08:00:01Z","eventName":"A2","eventSource":"iam.amazonaws.com","eventID":"b2"}]}');
  // Not CloudTrail: a warning. Not readable: an error.
  writeFileSync(join(extra, 'notification.json'), JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] }));
  writeFileSync(join(extra, 'truncated.json.gz'), gzipSync(JSON.stringify({ Records: HOSTILE_RECORDS })).subarray(0, 40));
  // Whole gzip, JSON cut off inside its third record (a delivery cut short): the two before it are events.
  const cut = JSON.stringify({ Records: ['cut-1', 'cut-2', 'cut-3'].map((id, i) => ({ eventVersion: '1.08', eventTime: `2026-11-20T07:0${i}:00Z`, eventSource: 'iam.amazonaws.com', eventName: 'DeleteUser', awsRegion: 'us-east-1', recipientAccountId: '111111111111', userIdentity: { type: 'IAMUser', userName: 'alice' }, eventID: id })) });
  writeFileSync(join(extra, 'cut-short.json.gz'), gzipSync(cut.slice(0, cut.indexOf('cut-3') - 20)));
}

const FILTERS: string[][] = [
  [],
  ['--event-name', 'Delete*'],
  ['--event-name', 'Put?ucket*,CreateUser'],
  ['--event-name', "x' OR '1'='1"],
  ['--event-name', '5'],
  ['--event-source', 'iam'],
  ['--event-source', 'ec2,s3.amazonaws.com'],
  ['--user', 'alice'],
  ['--user', "O'BRIEN"],
  ['--account', '111111111111'],
  ['--account', '222222222222'],
  ['--event-region', 'eu-west-1'],
  ['--source-ip', '203.0.113.0/24'],
  ['--source-ip', '2001:db8::/32'],
  ['--source-ip', '198.51.100.250'],
  ['--error-code', 'AccessDenied*'],
  ['--errors'],
  ['--read-only'],
  ['--write-only'],
  ['--since', '2026-11-20T00:30:00Z', '--until', '2026-11-20T01:15:00Z'],
  ['--since', '2026-11-20T09:59:00Z'],
  ['--event-id', 'hostile-3,lookup-1,pretty-1'],
  ['--pattern', '{ $.userIdentity.type = "Root" }'],
  ['--pattern', '{ $.requestParameters.bucketName = "*-logs" || $.errorCode = "*UnauthorizedOperation" }'],
  ['--pattern', '{ $.eventName = %^Delete% }'],
  ['--pattern', '{ $.userIdentity.invokedBy NOT EXISTS && $.readOnly IS FALSE }'],
  ['--pattern', '{ $.additionalEventData.MFAUsed != "Yes" }'],
  ['--pattern', 'AccessDenied ?Unauthorized'],
  ['--pattern', '"GetCallerIdentity"'],
  ['--preset', 'cis-4.1'],
  ['--preset', 'root-usage'],
  ['--preset', 'cis-4.2,cis-4.4'],
  ['--event-source', 'iam', '--write-only', '--since', '2026-11-19T23:00:00Z'],
];

describe('trailkit index, grep --index, tail --index and query', () => {
  let work: string;
  let archive: string;
  let index: string;
  let built: ReturnType<typeof runCli>;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'trailkit-index-'));
    archive = join(work, 'archive');
    index = join(work, 'index');
    buildArchive(archive);
    built = runCli(['index', archive, '--to', index], { timeoutMs: 120_000 });
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('indexes every file grep reads, reports the broken ones as grep does, and exits 2 for them', () => {
    const grep = runCli(['grep', archive, '--count']);
    expect(built.status, built.stderr).toBe(2);
    expect(grep.status).toBe(2);
    // The same lines about the same files: a truncated gzip, JSON cut short, a broken record, a notification.
    const lines = (s: string) => s.split('\n').filter((l) => /truncated|not valid JSON|not CloudTrail/.test(l)).map((l) => l.replace(archive, 'ARCHIVE')).sort();
    expect(lines(built.stderr)).toEqual(lines(grep.stderr));
    expect(lines(built.stderr)).toHaveLength(4);
    // A file cut short keeps the events before the cut, in the index as in grep's output, and is
    // named among the failed ones (read again by the next run).
    expect(built.stdout).toMatch(/, 2 failed \(their 2 events before the failure indexed\): /);
    const cutEvents = runCli(['grep', '--index', index, '--event-id', 'cut-1,cut-2,cut-3', '--output', 'json']);
    expect(cutEvents.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { eventID: string }).eventID)).toEqual(['cut-1', 'cut-2']);
    const partitions = walk(join(index, 'data')).map((f) => relative(index, f).split('/').slice(1, 4).join('/'));
    expect(partitions.some((p) => p.startsWith('account=111111111111/region=other/'))).toBe(true);
    for (const file of walk(index)) expect(file.startsWith(`${index}/`)).toBe(true);
    expect(existsSync('/tmp/evil')).toBe(false);
  });

  for (const filter of FILTERS) {
    it(`grep --index ${filter.join(' ') || '(no filter)'}: the same events, order and bytes as grep on the files`, async () => {
      const files = await grepHere(filter, [archive]);
      const indexed = await grepHere([...filter, '--index', index], []);
      // Only the warnings about the filter itself, the same as grep's on the files.
      const filterWarnings = files.stderr.split('\n').filter((l) => l.startsWith('trailkit: warning: --')).map((l) => `${l}\n`).join('');
      expect(indexed.stderr).toBe(filterWarnings);
      expect(indexed.stdout).toBe(files.stdout);
      // grep exits 2 for the broken files of the archive; from the index: 0 or 1, by what matched.
      expect(indexed.status).toBe(files.stdout === '' ? 1 : 0);
    });
  }

  it('grep --index --count, --limit and the human formats', () => {
    for (const filter of [['--errors'], ['--event-name', 'Describe*']]) {
      expect(runCli(['grep', '--index', index, ...filter, '--count']).stdout).toBe(runCli(['grep', archive, ...filter, '--count']).stdout);
      expect(runCli(['grep', '--index', index, ...filter, '--limit', '7', '--output', 'json']).stdout).toBe(runCli(['grep', archive, ...filter, '--limit', '7', '--output', 'json']).stdout);
      expect(runCli(['grep', '--index', index, ...filter, '--output', 'table']).stdout).toBe(runCli(['grep', archive, ...filter, '--output', 'table']).stdout);
    }
    const pretty = runCli(['grep', '--index', index, '--event-id', 'hostile-2', '--output', 'pretty']);
    expect(pretty.stdout).not.toMatch(/[\u001b\u202e\u0007]/);
  });

  for (const args of [['-n', '5'], ['-n', '40', '--errors'], ['-n', '3', '--event-name', 'Delete*'], ['-n', '500'], ['-n', '0'], ['-n', '4', '--since', '2026-11-20T09:00:00Z']]) {
    it(`tail --index ${args.join(' ')}: the newest events as tail prints them`, () => {
      const files = runCli(['tail', archive, ...args, '--output', 'json']);
      const indexed = runCli(['tail', '--index', index, ...args, '--output', 'json']);
      expect(indexed.stdout).toBe(files.stdout);
    });
  }

  it('refuses --index with paths, --bucket, -f, and a folder that is not an index', () => {
    expect(runCli(['grep', '--index', index, archive]).status).toBe(2);
    expect(runCli(['tail', '--index', index, '-f']).stderr).toMatch(/an index does not grow by itself/);
    const notIndex = runCli(['grep', '--index', archive]);
    expect(notIndex.status).toBe(2);
    expect(notIndex.stderr).toMatch(/^trailkit: --index .*: not a trailkit index/m);
    expect(runCli(['grep', archive, '--verified']).stderr).toMatch(/--verified goes with --index/);
  });

  it('query: SQL over the index equals SQL over the files read directly', () => {
    const sql = 'SELECT eventsource, eventname, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC, eventsource, eventname';
    const fromIndex = runCli(['query', sql, '--index', index, '--output', 'csv']);
    const fromFiles = runCli(['query', sql, SAMPLE, '--output', 'csv']);
    const sampleIndex = mkdtempSync(join(work, 'sample-'));
    expect(runCli(['index', SAMPLE, '--to', sampleIndex]).status).toBe(0);
    expect(fromFiles.status).toBe(0);
    expect(fromFiles.stdout).toBe(runCli(['query', sql, '--index', sampleIndex, '--output', 'csv']).stdout);
    expect(fromIndex.stdout.split('\r\n')[0]).toBe('eventsource,eventname,n');
    // raw is byte-faithful: the same lines as grep --output json.
    const raw = runCli(['query', 'SELECT raw FROM events ORDER BY replace(source, \'/\', chr(1)), record_index', '--index', index, '--output', 'json']);
    expect(raw.stdout).toBe(runCli(['grep', archive, '--output', 'json']).stdout);
    // Every column of AWS's DDL is there, with the JSON fields as JSON.
    const cols = runCli(['query', "SELECT requestparameters, responseelements, additionaleventdata, useragent, eventid, tlsdetails, useridentity.sessioncontext.sessionissuer.arn AS issuer FROM events WHERE eventid = 'lookup-1'", '--index', index, '--output', 'json']);
    expect(JSON.parse(cols.stdout)).toMatchObject({ additionaleventdata: '{"MFAUsed":"No"}', responseelements: '{"ConsoleLogin":"Success"}', eventid: 'lookup-1' });
    // Over the archive's files, broken ones among them: the same rows as from its index, each
    // broken file reported in grep's words, and exit 2 as grep's.
    const direct = runCli(['query', sql, archive, '--output', 'csv']);
    expect(direct.stdout).toBe(fromIndex.stdout);
    expect(direct.status).toBe(2);
    const reported = (text: string) => text.split('\n').filter((l) => /truncated|not valid JSON|not CloudTrail/.test(l)).map((l) => l.replace(archive, 'ARCHIVE').replace(/^trailkit: (\/.*\/)?ARCHIVE/, 'ARCHIVE')).sort();
    expect(reported(direct.stderr)).toEqual(reported(runCli(['grep', archive, '--count']).stderr));
    expect(reported(direct.stderr)).toHaveLength(4);
  });

  it('query output formats: json, csv, text, table and pretty; an error is one line', () => {
    const sql = "SELECT eventid, useragent FROM events WHERE eventid IN ('hostile-2', 'pretty-1') ORDER BY eventid";
    const json = runCli(['query', sql, '--index', index, '--output', 'json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ eventid: 'hostile-2', useragent: '\u001b]0;pwned\u0007\u202e' }, { eventid: 'pretty-1', useragent: 'café' }]);
    expect(runCli(['query', sql, '--index', index, '--output', 'csv']).stdout).toBe('eventid,useragent\r\nhostile-2,\u001b]0;pwned\u0007\u202e\r\npretty-1,café\r\n');
    for (const format of ['text', 'table', 'pretty']) {
      const out = runCli(['query', sql, '--index', index, '--output', format]).stdout;
      expect(out, format).toContain('pretty-1');
      expect(out, format).not.toMatch(/[\u001b\u0007\u202e]/);
    }
    const bad = runCli(['query', 'SELECT nope FROM events', '--index', index]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^trailkit: SQL: Binder Error/);
    expect(runCli(['query', 'SELECT 1 WHERE false', '--index', index]).status).toBe(1);
    expect(runCli(['query', '--access-key', 'nope', '--index', index]).stderr).toMatch(/not an AWS access key id/);
    expect(runCli(['query', 'SELECT 1', '--index', index, '--output', 'xml']).status).toBe(2);
  });

  it('named questions on the index: an access key, a timeline, a resource, a summary', () => {
    const key = runCli(['query', '--access-key', 'AKIAMALLORY000000001', '--index', index, '--output', 'json']);
    expect(key.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { eventID: string }).eventID)).toEqual(['hostile-1']);
    const sql = runCli(['query', '--timeline', 'arn:aws:iam::111111111111:user/alice', '--index', index, '--output', 'json', '--show-sql']);
    expect(sql.stderr).toMatch(/-- chain: /);
    expect(sql.stderr).toMatch(/WITH assumed AS/);
    const grepAlice = runCli(['grep', '--index', index, '--pattern', '{ $.userIdentity.arn = "arn:aws:iam::111111111111:user/alice" }', '--output', 'json']).stdout.trim().split('\n');
    const timeline = sql.stdout.trim().split('\n');
    // The principal's own events are all in its timeline (and the chain's sessions may add more).
    for (const line of grepAlice) expect(timeline).toContain(line);
    const summary = runCli(['query', '--summary', '--since', '2026-11-20', '--index', index, '--output', 'json']);
    const sections = new Set(summary.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { result: string }).result));
    expect([...sections].sort()).toEqual(['first-seen-principals', 'first-seen-source-ips', 'regions', 'top-actions', 'top-errors', 'top-principals', 'top-source-ips']);
    const bucket = runCli(['query', "SELECT json_extract_string(raw, '$.requestParameters.bucketName') b FROM events WHERE eventsource = 's3.amazonaws.com' AND json_extract_string(raw, '$.requestParameters.bucketName') IS NOT NULL LIMIT 1", '--index', index, '--output', 'text']).stdout.trim();
    const resource = runCli(['query', '--resource', `arn:aws:s3:::${bucket}`, '--index', index, '--output', 'json']);
    expect(resource.status).toBe(0);
    const byGrep = runCli(['grep', archive, '--pattern', `{ $.requestParameters.bucketName = "${bucket}" }`, '--output', 'json']).stdout.trim().split('\n');
    for (const line of byGrep) expect(resource.stdout).toContain(line);
  });

  it('query --file: the SQL --show-sql prints for a question, run from a file, gives the same rows and titles', () => {
    const key = runCli(['query', "SELECT useridentity.accesskeyid FROM events WHERE useridentity.accesskeyid LIKE 'AKIA%' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", '--index', index, '--output', 'text']).stdout.trim();
    expect(key).toMatch(/^AKIA/);
    for (const question of [['--access-key', key], ['--timeline', 'arn:aws:iam::111111111111:user/alice'], ['--summary', '--since', '2026-11-20']]) {
      for (const format of ['json', 'table']) {
        const asked = runCli(['query', ...question, '--index', index, '--output', format, '--show-sql']);
        expect(asked.status).toBe(0);
        const file = join(work, 'asked.sql');
        // --since is already in the SQL --show-sql printed.
        writeFileSync(file, asked.stderr);
        const fromFile = runCli(['query', '--index', index, '--file', file, '--output', format]);
        expect(fromFile.stderr).toBe('');
        expect(fromFile.status).toBe(0);
        expect(fromFile.stdout).toBe(asked.stdout);
        expect(fromFile.stdout.length).toBeGreaterThan(0);
      }
    }
  });

  it('query --file -: every statement in order on one session; a failing one stops the run naming it, after the results before it', () => {
    const sql = [
      "CREATE TEMP VIEW deletes AS SELECT * FROM events WHERE eventname LIKE 'Delete%';",
      '-- a comment; with a semicolon',
      "SELECT count(*) AS n FROM deletes;  ;",
      "SELECT 'a;b' AS \"x;y\", $$c;d$$ AS z;",
      'SELECT nope',
      '  FROM deletes;',
      'SELECT 1;',
    ].join('\n');
    const r = runCli(['query', '--index', index, '--file', '-', '--output', 'json'], { input: sql });
    expect(r.status).toBe(2);
    const deletes = runCli(['grep', archive, '--event-name', 'Delete*', '--count']).stdout.trim();
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([{ result: 'statement-2', n: Number(deletes) }, { result: 'statement-3', 'x;y': 'a;b', z: 'c;d' }]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--file statement 4 \(line 5: SELECT nope\): .*nope/);
    const table = runCli(['query', '--index', index, '--file', '-', '--output', 'table'], { input: 'SELECT 1 AS one; SELECT 2 AS two' });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/statement 1: SELECT 1 AS one[\s\S]*statement 2: SELECT 2 AS two/);
  });

  it('query --file: a statement that returns nothing (CREATE, SET) prints nothing, not DuckDB\'s placeholder column', () => {
    const deletes = runCli(['grep', archive, '--event-name', 'Delete*', '--count']).stdout.trim();
    const sql = "SET threads = 1; CREATE TEMP VIEW deletes AS SELECT * FROM events WHERE eventname LIKE 'Delete%'; CREATE TEMP TABLE t AS SELECT 1 AS x; SELECT count(*) AS n FROM deletes; SELECT 1 AS none WHERE false;";
    const csv = runCli(['query', '--index', index, '--file', '-', '--output', 'csv'], { input: sql });
    expect(csv.status).toBe(0);
    // One header and row for the count, the header of the empty SELECT: no Count or Success lines.
    expect(csv.stdout).toBe(`n\r\n${deletes}\r\nnone\r\n`);
    const table = runCli(['query', '--index', index, '--file', '-', '--output', 'table', '--no-color'], { input: sql });
    expect(table.stdout).not.toMatch(/statement [123]:|Count|Success/);
    expect(table.stdout).toMatch(/statement 4: SELECT count\(\*\) AS n FROM deletes[\s\S]*statement 5: SELECT 1 AS none WHERE false/);
    // Nothing but statements that return nothing: no rows, exit 1 as for an empty result.
    const only = runCli(['query', '--index', index, '--file', '-', '--output', 'csv'], { input: 'SET threads = 1; CREATE TEMP VIEW v AS SELECT 1' });
    expect(only).toMatchObject({ status: 1, stdout: '' });
  });

  it('query --file refuses a missing or empty file and a question flag, each in one line', () => {
    const missing = runCli(['query', '--index', index, '--file', join(work, 'nope.sql')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--file .*nope\.sql: /);
    const empty = runCli(['query', '--index', index, '--file', '-'], { input: ' ; -- nothing\n' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/holds no SQL statement/);
    const both = runCli(['query', '--index', index, '--file', '-', '--summary'], { input: 'SELECT 1' });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--file runs SQL statements/);
  });

  it('is incremental: a re-run reads nothing, a new file is added, a changed file replaces its events', () => {
    const dir = join(work, 'incremental');
    const src = join(work, 'incremental-src');
    cpSync(SAMPLE, src, { recursive: true });
    expect(runCli(['index', src, '--to', dir, '--output', 'json']).status).toBe(0);
    const again = JSON.parse(runCli(['index', src, '--to', dir, '--output', 'json']).stdout) as { indexed: number; unchanged: number };
    expect(again.indexed).toBe(0);
    expect(again.unchanged).toBeGreaterThan(50);
    writeFileSync(join(src, 'new.json'), JSON.stringify({ Records: [HOSTILE_RECORDS[0]] }));
    expect(JSON.parse(runCli(['index', src, '--to', dir, '--output', 'json']).stdout)).toMatchObject({ indexed: 1 });
    // A file changed in place (same name, other content): its old events go, the new ones come.
    const victim = walk(src).find((f) => f.endsWith('.json.gz')) as string;
    writeFileSync(victim, gzipSync(JSON.stringify({ Records: [HOSTILE_RECORDS[3]] })));
    expect(JSON.parse(runCli(['index', src, '--to', dir, '--output', 'json']).stdout)).toMatchObject({ indexed: 1 });
    expect(runCli(['grep', '--index', dir, '--output', 'json']).stdout).toBe(runCli(['grep', src, '--output', 'json']).stdout);
  });

  it('many small batches, each committed while the next is read: every event once, as grep prints it', () => {
    const dir = join(work, 'small-batches');
    const r = runCli(['index', SAMPLE, '--to', dir, '--output', 'json'], { env: { TRAILKIT_INDEX_BATCH_BYTES: '30000' } });
    expect(r.status).toBe(0);
    const batches = walk(join(dir, 'batches')).filter((f) => f.endsWith('.json'));
    expect(batches.length).toBeGreaterThan(4);
    const events = batches.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { sources: { events: number }[] }).sources.reduce((n, s) => n + s.events, 0));
    expect(events.reduce((a, b) => a + b, 0)).toBe((JSON.parse(r.stdout) as { events: number }).events);
    expect(runCli(['grep', '--index', dir, '--output', 'json']).stdout).toBe(runCli(['grep', SAMPLE, '--output', 'json']).stdout);
  });

  it('survives a kill mid-run: the index stays consistent, and a re-run finishes it', async () => {
    const dir = join(work, 'killed');
    const run = startCli(['index', archive, '--to', dir], { TRAILKIT_INDEX_BATCH_BYTES: '65536' });
    await waitFor(() => walk(join(dir, 'batches')).filter((f) => f.endsWith('.json')).length >= 2, 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    // What was committed reads back whole: every indexed file's events, in grep's order.
    const committed = runCli(['query', 'SELECT count(*) AS n FROM events', '--index', dir, '--output', 'text']);
    expect(committed.status).toBe(0);
    expect(Number(committed.stdout.trim())).toBeGreaterThan(0);
    const resumed = runCli(['index', archive, '--to', dir, '--output', 'json']);
    expect(resumed.stderr).not.toMatch(/being written/);
    expect((JSON.parse(resumed.stdout) as { unchanged: number }).unchanged).toBeGreaterThan(0);
    expect(walk(join(dir, 'staging'))).toEqual([]);
    expect(runCli(['grep', '--index', dir, '--output', 'json']).stdout).toBe(runCli(['grep', archive, '--output', 'json']).stdout);
  }, 120_000);

  it('refuses a manifest that points outside the index (attack: an edited batch file)', () => {
    const dir = join(work, 'tampered');
    cpSync(index, dir, { recursive: true });
    const batch = walk(join(dir, 'batches')).find((f) => f.endsWith('.json')) as string;
    const manifest = JSON.parse(readFileSync(batch, 'utf8')) as { addedParts: { path: string; rows: number }[] };
    manifest.addedParts.push({ path: 'data/account=111111111111/region=us-east-1/date=2026-11-20/../../../../../../etc/passwd.parquet', rows: 1 });
    writeFileSync(batch, JSON.stringify(manifest));
    const r = runCli(['grep', '--index', dir, '--count']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is not a part file of the index/);
    expect(runCli(['index', SAMPLE, '--to', archive]).stderr).toMatch(/not empty and is not a trailkit index/);
  });

  it.runIf(existsSync(SHARED_DATA))('indexes the public CloudTrail data sets: grep --index prints what grep prints', () => {
    const dir = join(work, 'shared');
    const r = runCli(['index', SHARED_DATA, '--to', dir], { timeoutMs: 120_000 });
    expect([0, 2]).toContain(r.status);
    for (const filter of [[], ['--errors'], ['--event-name', 'Assume*'], ['--preset', 'cis-4.1'], ['--user', 'admin']]) {
      expect(runCli(['grep', '--index', dir, ...filter, '--output', 'json']).stdout, filter.join(' ')).toBe(runCli(['grep', SHARED_DATA, ...filter, '--output', 'json']).stdout);
    }
  }, 180_000);
});

/** Records with a key twice, or a number where grep reads a string (see twiceArchive). */
function twiceArchive(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // Keys twice (JSON.parse, and so grep, takes the last value; DuckDB's columns the first), one
  // written with an escape, and a number where grep reads only a string: the index's SQL matches
  // each of them, grep does not, so none may be taken without grep's matcher.
  const base = '"eventVersion":"1.08","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"111111111111"';
  writeFileSync(join(dir, 'twice.json'), `{"Records":[${[
    `{${base},"eventTime":"2026-11-20T13:00:00Z","eventName":"DeleteTrail","eventName":"GetTrail","sourceIPAddress":"192.0.2.1","eventID":"twice-1"}`,
    `{${base},"eventTime":"2026-11-20T13:00:01Z","eventName":"DeleteTrail","event\\u004eame":"GetTrail","sourceIPAddress":"192.0.2.1","eventID":"twice-2"}`,
    `{${base},"eventTime":"2026-11-20T13:00:02Z","eventName":"StopLogging","sourceIPAddress":"198.51.100.8","sourceIPAddress":"192.0.2.1","eventID":"twice-3"}`,
    `{${base},"eventTime":"2026-11-20T13:00:03Z","eventTime":"2026-11-01T00:00:00Z","eventName":"StopLogging","sourceIPAddress":"192.0.2.1","eventID":"twice-4"}`,
    `{${base},"eventTime":"2026-11-20T13:00:04Z","eventName":"StopLogging","errorCode":0,"sourceIPAddress":"192.0.2.1","eventID":"twice-5"}`,
    `{${base},"eventTime":"2026-11-20T13:00:05Z","eventName":"StopLogging","sourceIPAddress":"192.0.2.1","eventID":"twice-6","eventID":"other-6"}`,
    `{${base},"eventTime":"2026-11-20T13:00:06Z","eventName":"DeleteTrail","sourceIPAddress":"198.51.100.9","eventID":"once-7"}`,
    `{${base},"eventTime":"2026-11-20T13:00:07Z","eventName":"StopLogging","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.10","eventID":"once-8"}`,
    // 12:00 UTC, before the window below: not CloudTrail's form, so not in event_ms; grep's parser decides.
    `{${base},"eventTime":"2026-11-20T14:00:00+02:00","eventName":"StopLogging","sourceIPAddress":"192.0.2.1","eventID":"offset-9"}`,
  ].join(',')}]}`);
}

describe('grep --index takes a candidate without grep\'s matcher only where the SQL decides as grep does', () => {
  let work: string;
  let archive: string;
  let index: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'trailkit-index-twice-'));
    archive = join(work, 'archive');
    index = join(work, 'index');
    twiceArchive(archive);
    const built = runCli(['index', archive, '--to', index]);
    expect(built.status, built.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // Filters whose SQL is exact on records whose keys are strings, there once.
  const filters: string[][] = [
    ['--event-name', 'DeleteTrail'],
    ['--event-name', 'StopLogging', '--source-ip', '198.51.100.0/24'],
    ['--since', '2026-11-20T12:30:00Z', '--event-source', 'cloudtrail.amazonaws.com'],
    ['--event-id', 'twice-6,once-7'],
    ['--errors', '--event-source', 'cloudtrail.amazonaws.com'],
  ];
  for (const filter of filters) {
    it(`grep --index ${filter.join(' ')}: what grep prints`, async () => {
      const files = await grepHere(filter, [archive]);
      const indexed = await grepHere([...filter, '--index', index], []);
      expect(indexed.stdout).toBe(files.stdout);
      // Each filter matches an honest record (once-7, once-8), and only it or those after the window.
      expect(files.stdout).not.toBe('');
    });
  }
});
