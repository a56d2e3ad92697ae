import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  followEvents, formatPolicy, matchesPattern, policyDocument, parseFilterPattern, bucketPolicy, mergeBucketPolicy, renderDigestText, searchEventBatches, searchEvents, tailEvents,
  TrailkitError, validateDigests, type TrailEvent,
} from '../../src/index.js';
import { buildArchive, copyArchive, END, START, TRAIL_ARN } from '../helpers/digest-archive.js';
import { runCli, SAMPLE } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const archive = buildArchive({ label: 'library' });
const scratch = mkdtempSync(join(tmpdir(), 'trailkit-library-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('the library API, called directly', () => {
  it('searchEvents gives the events grep prints, with the same bytes, in the same order', async () => {
    const events = await collect(searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: { eventNames: ['Delete*'] } }));
    const cli = runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--output', 'json']);
    expect(cli.status).toBe(0);
    expect(events.length).toBeGreaterThan(0);
    expect(events.map((e) => `${e.raw}\n`).join('')).toBe(cli.stdout);
    for (const e of events) expect(e.record.eventName).toMatch(/^Delete/);
    // The record is the one the search parsed (not parsed again): the same as its text's.
    for (const e of events) expect(e.record).toEqual(JSON.parse(e.raw));
  });

  it('searchEventBatches keeps the parsed records only when asked, and never for a count', async () => {
    const request = { source: { kind: 'files' as const, paths: [SAMPLE] }, filter: { errorsOnly: true } };
    const kept = (await collect(searchEventBatches({ ...request, keepRecords: true }))).flatMap((b) => b.matches);
    expect(kept.length).toBeGreaterThan(10);
    for (const m of kept) expect(m.record).toEqual(JSON.parse(m.raw));
    const plain = (await collect(searchEventBatches(request))).flatMap((b) => b.matches);
    expect(plain.map((m) => m.raw)).toEqual(kept.map((m) => m.raw));
    for (const m of plain) expect(m.record).toBeUndefined();
    for (const b of await collect(searchEventBatches({ ...request, keepRecords: true, countOnly: true }))) expect(b.matches).toEqual([]);
  });

  it('searchEvents reports a broken file through onProblem and still reads the others', async () => {
    const dir = join(scratch, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.json.gz'), gzipSync(JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-20T00:00:00Z', eventName: 'DeleteTrail', eventSource: 'cloudtrail.amazonaws.com', eventID: 'e1' }] })).subarray(0, 30));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-20T00:00:00Z', eventName: 'DeleteTrail', eventSource: 'cloudtrail.amazonaws.com', eventID: 'e2' }] }));
    const problems: string[] = [];
    const events = await collect(searchEvents({ source: { kind: 'files', paths: [dir] }, filter: {} }, { onProblem: (source, message) => problems.push(`${source}: ${message}`) }));
    expect(events.map((e) => e.record.eventID)).toEqual(['e2']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/a\.json\.gz: truncated gzip/);
  });

  it('stops at --limit, and counts without text with countOnly', async () => {
    const limited = await collect(searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {}, limit: 3 }));
    expect(limited).toHaveLength(3);
    let counted = 0;
    for await (const batch of searchEventBatches({ source: { kind: 'files', paths: [SAMPLE] }, filter: { errorsOnly: true }, countOnly: true })) {
      expect(batch.matches).toEqual([]);
      counted += batch.matched;
    }
    expect(String(counted)).toBe(runCli(['grep', SAMPLE, '--errors', '--count']).stdout.trim());
  });

  it('an AbortSignal ends the iteration: none read after an abort before the start, fewer after one midway', async () => {
    const all = await collect(searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {} }));
    const before = new AbortController();
    before.abort();
    expect(await collect(searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {} }, { signal: before.signal }))).toEqual([]);
    const midway = new AbortController();
    const got: TrailEvent[] = [];
    for await (const e of searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {} }, { signal: midway.signal })) {
      got.push(e);
      if (got.length === 5) midway.abort();
    }
    expect(got.length).toBeGreaterThanOrEqual(5);
    expect(got.length).toBeLessThan(all.length);
    // A consumer that breaks out stops the search too, and a new search starts afresh.
    for await (const e of searchEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {} })) {
      expect(e.raw).toBe(all[0]?.raw);
      break;
    }
  });

  it('tailEvents gives the newest events; followEvents gives new ones until aborted', async () => {
    const newest = await collect(tailEvents({ source: { kind: 'files', paths: [SAMPLE] }, filter: {}, lines: 4 }));
    const cli = runCli(['tail', SAMPLE, '-n', '4', '--output', 'json']);
    expect(newest.map((e) => `${e.raw}\n`).join('')).toBe(cli.stdout);

    const dir = join(scratch, 'follow');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'events.json');
    writeFileSync(file, '');
    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of followEvents({ source: { kind: 'files', paths: [dir] }, filter: { eventNames: ['ConsoleLogin'] }, intervalSeconds: 0.05 }, { signal: stop.signal })) {
        seen.push(String(e.record.eventID));
        if (seen.length === 2) stop.abort();
      }
    })();
    const line = (id: string, name: string) => `${JSON.stringify({ eventVersion: '1.08', eventTime: '2026-11-20T00:00:00Z', eventName: name, eventSource: 'signin.amazonaws.com', eventID: id })}\n`;
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(file, line('f1', 'ConsoleLogin') + line('f2', 'GetObject'));
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(file, line('f3', 'ConsoleLogin'));
    await following;
    expect(seen).toEqual(['f1', 'f3']);
  });

  it('validateDigests returns a report object; the aws-cli text is a renderer of it', async () => {
    const report = await validateDigests({ path: archive.dir, trail: TRAIL_ARN, publicKeyFiles: [{ path: archive.keysFile }], start: new Date(START), end: new Date(END) });
    expect(report.ok).toBe(true);
    expect(report.totals.validDigests).toBe(archive.digests.length);
    expect(report.totals.invalidLogs).toBe(0);
    expect(report.locations.map((l) => `${l.location.account}/${l.location.region}`)).toEqual(['111111111111/us-east-1']);
    const text = renderDigestText(report, report.locations, false).filter((p) => p.stream === 'stdout').map((p) => p.text).join('');
    const cli = runCli(['validate-digest', archive.dir, '--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', END, '--public-keys', archive.keysFile]);
    expect(cli.status).toBe(0);
    expect(text).toBe(cli.stdout);
  });

  it('validateDigests finds a tampered log file, and is stopped by an AbortSignal with a typed error', async () => {
    const copy = copyArchive(archive, 'library-tampered');
    const log = join(copy.dir, copy.logs[1] as string);
    writeFileSync(log, gzipSync(Buffer.from(JSON.stringify({ Records: [] }))));
    const input = { path: copy.dir, trail: TRAIL_ARN, publicKeyFiles: [{ path: copy.keysFile }], start: new Date(START), end: new Date(END) };
    const report = await validateDigests(input);
    expect(report.ok).toBe(false);
    expect(report.totals.invalidLogs).toBe(1);
    const stop = new AbortController();
    stop.abort();
    const error = await validateDigests(input, { signal: stop.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).code).toBe('aborted');
  });

  it('errors are TrailkitError with a code, a message and a hint', async () => {
    const error = await validateDigests({ path: archive.dir, trail: 'main' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).code).toBe('usage');
    expect((error as TrailkitError).message).toContain("'main' is not a trail ARN");
    expect((error as TrailkitError).hint).toContain('arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME');
  });

  it('the policy builders, merger and filter patterns are plain functions', () => {
    const policy = bucketPolicy({ bucket: 'b', account: '111111111111', trailArn: TRAIL_ARN, partition: 'aws' } as Parameters<typeof bucketPolicy>[0]);
    expect(JSON.stringify(policy)).toContain('cloudtrail.amazonaws.com');
    const merged = mergeBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Mine', Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: 'arn:aws:s3:::b' }] }), { bucket: 'b', account: '111111111111', trailArn: TRAIL_ARN, partition: 'aws' } as Parameters<typeof mergeBucketPolicy>[1]);
    const sids = (JSON.parse(merged.text) as { Statement: { Sid?: string }[] }).Statement.map((st) => st.Sid);
    expect(sids).toContain('Mine');
    expect(sids.length).toBeGreaterThan(1);
    const pattern = parseFilterPattern('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }');
    const record = { errorCode: 'AccessDeniedException' };
    expect(matchesPattern(pattern, record, JSON.stringify(record))).toBe(true);
    expect(matchesPattern(pattern, { errorCode: 'Throttling' }, '{"errorCode":"Throttling"}')).toBe(false);
    expect(() => parseFilterPattern('{ $.a = ')).toThrow();
    // policyDocument is what `trailkit policy KIND` prints.
    const doc = policyDocument('bucket', { bucket: 'my-trail-bucket', trailArn: TRAIL_ARN, prefix: 'org' });
    expect(`${formatPolicy(doc)}\n`).toBe(runCli(['policy', 'bucket', '--bucket', 'my-trail-bucket', '--trail-arn', TRAIL_ARN, '--prefix', 'org']).stdout);
    expect(() => policyDocument('bucket', { trailArn: TRAIL_ARN })).toThrow(TrailkitError);
  });
});

describe('the built package', () => {
  it("importing 'trailkit' and searching files loads no @aws-sdk module", () => {
    const trace = join(scratch, 'trace.txt');
    const script = `import { searchEvents, validateDigests } from 'trailkit';
let n = 0;
for await (const e of searchEvents({ source: { kind: 'files', paths: [${JSON.stringify(SAMPLE)}] }, filter: {} })) n++;
const r = await validateDigests({ path: ${JSON.stringify(archive.dir)}, trail: ${JSON.stringify(TRAIL_ARN)}, publicKeyFiles: [{ path: ${JSON.stringify(archive.keysFile)} }], start: new Date(${JSON.stringify(START)}), end: new Date(${JSON.stringify(END)}) });
console.log(n, r.ok);`;
    const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test/helpers/trace-imports.mjs'), '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRAILKIT_TRACE_IMPORTS: trace } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[1-9]\d* true\n$/);
    const loaded = readFileSync(trace, 'utf8');
    // The trace sees the library's own modules, so an empty trace cannot pass by accident.
    expect(loaded).toContain('/dist/jobs/search.js');
    expect(loaded).toContain('/dist/jobs/validate-digests.js');
    expect(loaded).not.toContain('@aws-sdk');
  });

  it('examples/validate-digest.mjs validates a signed folder, and says so when it is not valid', () => {
    const run = (dir: string, keys: string) => spawnSync(process.execPath, [join(ROOT, 'examples/validate-digest.mjs'), dir, TRAIL_ARN, keys, START, END], { cwd: ROOT, encoding: 'utf8' });
    const ok = run(archive.dir, archive.keysFile);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`111111111111 us-east-1: ${archive.digests.length} valid digests, 0 invalid; ${archive.logs.length} valid log files, 0 invalid\nall valid\n`);
    expect(ok.status).toBe(0);
    const copy = copyArchive(archive, 'example-tampered');
    rmSync(join(copy.dir, copy.logs[0] as string));
    const bad = run(copy.dir, copy.keysFile);
    expect(bad.stdout).toContain('NOT VALID');
    expect(bad.status).toBe(1);
    const missing = run(join(scratch, 'nope'), archive.keysFile);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^input: .*nope: /);
  });
});
