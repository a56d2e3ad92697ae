import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * The timeline question on chains built for it: alice assumes R1, whose session assumes R2, and so
 * on to R6 (six hops), every AssumeRole of the chain made REPEATS times by the same caller for
 * the same session ARN (a session name used again, as scripts do); and a "role juggling" pair,
 * J1 and J2 assuming each other under one session name, a cycle.
 */
const ACCOUNT = '111111111111';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const HOPS = 6;
const REPEATS = 60;
const session = (hop: number) => `arn:aws:sts::${ACCOUNT}:assumed-role/R${hop}/hop${hop}`;
const juggler = (n: number) => `arn:aws:sts::${ACCOUNT}:assumed-role/J${n}/juggler`;
const key = (hop: number) => `ASIACHAINHOP${String(hop).padStart(8, '0')}`;

function record(i: number, identity: object, eventName: string, extra: object = {}): object {
  const minute = String(i % 60).padStart(2, '0');
  const hour = String(10 + Math.floor(i / 60) % 10).padStart(2, '0');
  return { eventVersion: '1.08', eventTime: `2026-11-20T${hour}:${minute}:00Z`, eventSource: eventName.startsWith('Assume') ? 'sts.amazonaws.com' : 's3.amazonaws.com', eventName, awsRegion: 'us-east-1', recipientAccountId: ACCOUNT, userIdentity: identity, sourceIPAddress: '198.51.100.7', eventID: `ev-${i}`, ...extra };
}

function assumeRole(i: number, caller: object, issued: string, issuedKey: string): object {
  return record(i, caller, 'AssumeRole', { responseElements: { credentials: { accessKeyId: issuedKey }, assumedRoleUser: { arn: issued } } });
}

const roleIdentity = (arn: string, accessKeyId: string) => ({ type: 'AssumedRole', arn, accessKeyId, accountId: ACCOUNT });

function chainRecords(): object[] {
  const out: object[] = [];
  let i = 0;
  const alice = { type: 'IAMUser', arn: ALICE, userName: 'alice', accessKeyId: 'AKIAALICE00000000001', accountId: ACCOUNT };
  for (let hop = 1; hop <= HOPS; hop++) {
    const caller = hop === 1 ? alice : roleIdentity(session(hop - 1), key(hop - 1));
    for (let r = 0; r < REPEATS; r++) out.push(assumeRole(i++, caller, session(hop), key(hop)));
    // What each session did with its credentials.
    out.push(record(i++, roleIdentity(session(hop), key(hop)), 'ListBuckets'));
  }
  // The juggling pair: J1's session assumes J2 under the same session name, and J2's assumes J1.
  out.push(assumeRole(i++, alice, juggler(1), 'ASIAJUGGLER000000001'));
  for (let r = 0; r < 10; r++) {
    out.push(assumeRole(i++, roleIdentity(juggler(1), 'ASIAJUGGLER000000001'), juggler(2), 'ASIAJUGGLER000000002'));
    out.push(assumeRole(i++, roleIdentity(juggler(2), 'ASIAJUGGLER000000002'), juggler(1), 'ASIAJUGGLER000000001'));
  }
  out.push(record(i++, roleIdentity(juggler(2), 'ASIAJUGGLER000000002'), 'GetObject'));
  return out;
}

interface ChainRow {
  depth: number;
  arn: string;
  more: boolean;
}

function chainOf(stdout: string): ChainRow[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as { result: string; depth: number; arn: string; more: boolean; eventID?: string })
    .filter((r) => r.result === 'chain').map((r) => ({ depth: Number(r.depth), arn: r.arn, more: r.more }));
}

function eventIdsOf(stdout: string): string[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as { eventID?: string }).filter((r) => r.eventID !== undefined).map((r) => r.eventID as string);
}

describe('query --timeline follows AssumeRole chains', () => {
  let dir: string;
  let index: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-timeline-'));
    const day = join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', 'us-east-1', '2026', '11', '20');
    mkdirSync(day, { recursive: true });
    writeFileSync(join(day, `${ACCOUNT}_CloudTrail_us-east-1_20261120T1000Z_chain.json.gz`), gzipSync(JSON.stringify({ Records: chainRecords() })));
    index = join(dir, 'index');
    const built = runCli(['index', join(dir, 'AWSLogs'), '--to', index]);
    expect(built.status, built.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('down from the source identity: 4 hops by default, the end marked as going on, and a warning naming the flag', () => {
    const r = runCli(['query', '--timeline', ALICE, '--index', index, '--output', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const chain = chainOf(r.stdout);
    expect(chain).toContainEqual({ depth: 0, arn: ALICE, more: false });
    for (let hop = 1; hop <= 3; hop++) expect(chain).toContainEqual({ depth: hop, arn: session(hop), more: false });
    expect(chain).toContainEqual({ depth: 4, arn: session(4), more: true });
    expect(chain.map((c) => c.arn)).not.toContain(session(5));
    expect(r.stderr).toContain(`${ALICE}'s AssumeRole chain goes on past 4 hops from 1 identity at its ends (more = true)`);
    expect(r.stderr).toContain('--chain-depth 8');
    // The sessions past the fourth hop did things that are not in this timeline.
    const events = eventIdsOf(r.stdout);
    expect(events).toContain(`ev-${4 * (REPEATS + 1) - 1}`);
    expect(events).not.toContain(`ev-${5 * (REPEATS + 1) - 1}`);
  });

  it('with --show-sql the warning is an SQL comment after the statements: what stderr holds still runs as a --file', () => {
    const asked = runCli(['query', '--timeline', ALICE, '--index', index, '--output', 'json', '--show-sql']);
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stderr).toMatch(/\n-- trailkit: warning: .*goes on past 4 hops.*--chain-depth 8\n$/);
    const file = join(dir, 'timeline.sql');
    writeFileSync(file, asked.stderr);
    const fromFile = runCli(['query', '--index', index, '--file', file, '--output', 'json']);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout).toBe(asked.stdout);
  });

  it('with --chain-depth 8 the whole chain, each hop repeated 60 times, without a warning (rows are not multiplied per hop)', () => {
    // Were each hop's rows multiplied by the 60 AssumeRole calls behind it, the sixth would hold 60^6.
    const r = runCli(['query', '--timeline', ALICE, '--chain-depth', '8', '--index', index, '--output', 'json'], { timeoutMs: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const chain = chainOf(r.stdout).filter((c) => !c.arn.includes('juggler'));
    expect(chain).toEqual([{ depth: 0, arn: ALICE, more: false }, ...Array.from({ length: HOPS }, (_, k) => ({ depth: k + 1, arn: session(k + 1), more: false }))]);
    // Every session's own event, found by its ARN and by the access key its AssumeRole issued.
    const events = eventIdsOf(r.stdout);
    for (let hop = 1; hop <= HOPS; hop++) expect(events).toContain(`ev-${hop * (REPEATS + 1) - 1}`);
    // Each event once.
    expect(new Set(events).size).toBe(events.length);
  });

  it('up from the last session towards the source identity, cut at the depth asked', () => {
    const cut = runCli(['query', '--timeline', session(HOPS), '--chain-depth', '3', '--index', index, '--output', 'json']);
    expect(cut.status, cut.stderr).toBe(0);
    const chain = chainOf(cut.stdout);
    expect(chain).toEqual([
      { depth: -3, arn: session(HOPS - 3), more: true },
      { depth: -2, arn: session(HOPS - 2), more: false },
      { depth: -1, arn: session(HOPS - 1), more: false },
      { depth: 0, arn: session(HOPS), more: false },
    ]);
    expect(cut.stderr).toContain('--chain-depth 6');
    const whole = runCli(['query', '--timeline', session(HOPS), '--chain-depth', '6', '--index', index, '--output', 'json']);
    expect(chainOf(whole.stdout)[0]).toEqual({ depth: -6, arn: ALICE, more: false });
    expect(whole.stderr).toBe('');
  });

  it('a cycle of sessions assuming each other is followed once, and is not a chain that goes on', () => {
    const r = runCli(['query', '--timeline', juggler(1), '--chain-depth', '2', '--index', index, '--output', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const chain = chainOf(r.stdout);
    expect(chain).toEqual(expect.arrayContaining([{ depth: -1, arn: ALICE, more: false }, { depth: 0, arn: juggler(1), more: false }, { depth: -1, arn: juggler(2), more: false }]));
    expect(chain.filter((c) => c.more)).toEqual([]);
    expect(r.stderr).toBe('');
    expect(eventIdsOf(r.stdout)).toContain(`ev-${chainRecords().length - 1}`);
  });

  it('refuses a depth out of range and --chain-depth without --timeline, before DuckDB', () => {
    for (const depth of ['0', '33', 'x']) {
      const r = runCli(['query', '--timeline', ALICE, '--chain-depth', depth, '--index', index]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--chain-depth/);
    }
    const alone = runCli(['query', '--summary', '--chain-depth', '4', '--index', index]);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/--chain-depth is for --timeline/);
  });

  it('--summary warns when the index starts after the baseline, where everything would be "first seen"', () => {
    const short = runCli(['query', '--summary', '--since', '2026-11-20T10:30:00Z', '--baseline', '1h', '--index', index, '--output', 'json']);
    expect(short.status, short.stderr).toBe(0);
    expect(short.stderr).toBe(`trailkit: warning: --summary: the index's first event (2026-11-20T10:00:00Z) is after the baseline's start (2026-11-20T09:30:00Z), so "first seen" means first seen in the index: index the --baseline before --since too\n`);
    const covered = runCli(['query', '--summary', '--since', '2026-11-20T11:00:00Z', '--baseline', '30m', '--index', index, '--output', 'json']);
    expect(covered.status, covered.stderr).toBe(0);
    expect(covered.stderr).toBe('');
    // Without --since there is no first-seen table, and nothing to warn of.
    expect(runCli(['query', '--summary', '--index', index, '--output', 'json']).stderr).toBe('');
  });

  it('spills to the system temporary folder, not the working folder', () => {
    const work = join(dir, 'work');
    mkdirSync(work);
    const sql = join(dir, 'spill.sql');
    // A sort that outgrows 32 MB of memory on one thread spills to DuckDB's temporary folder.
    writeFileSync(sql, "SET memory_limit = '32MB';\nSET threads = 1;\nSELECT count(*) AS n FROM (SELECT i, repeat('x', 100) AS s FROM range(1500000) t(i) ORDER BY s, i DESC);\nSELECT current_setting('temp_directory') AS t;\n");
    const r = runCli(['query', '--file', sql, '--index', index, '--output', 'text'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('1500000');
    expect(r.stdout).toContain(join(tmpdir(), 'trailkit-duckdb-'));
    expect(readdirSync(work)).toEqual([]);
  });
});

describe('query --resource finds a resource by its whole name', () => {
  let dir: string;
  let index: string;
  const s3 = (name: string) => `arn:aws:s3:::${name}`;
  const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  const events: [string, object][] = [
    ['bucket-in-resources', { resources: [{ ARN: s3('prod'), accountId: ACCOUNT, type: 'AWS::S3::Bucket' }] }],
    ['longer-bucket', { requestParameters: { bucketName: 'prod-logs' }, resources: [{ ARN: s3('prod-logs'), accountId: ACCOUNT, type: 'AWS::S3::Bucket' }] }],
    ['object-in-bucket', { requestParameters: { key: 'a.txt' }, resources: [{ ARN: s3('prod/a.txt'), type: 'AWS::S3::Object' }] }],
    ['in-a-policy-string', { requestParameters: { policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Resource: [s3('prod'), `${s3('prod')}/*`] }] }) } }],
    ['longer-role', { requestParameters: { roleArn: role('AdminReadOnly') } }],
    ['role', { requestParameters: { roleArn: role('Admin') } }],
    ['in-a-list', { responseElements: { note: `${s3('prod')},${s3('other')}` } }],
    ['dot-as-any-character', { requestParameters: { bucketName: 'prodxbackup', note: s3('prod.backup-old') }, resources: [{ ARN: s3('prodxbackup') }] }],
    ['plus-role', { requestParameters: { roleArn: role('Admin+Ops') } }],
    ['dotted-bucket', { resources: [{ ARN: s3('prod.backup') }] }],
  ];
  const touching = async (arn: string): Promise<string[]> => {
    const r = runCli(['query', '--resource', arn, '--index', index, '--output', 'json']);
    expect(r.status === 0 || r.status === 1, r.stderr).toBe(true);
    return eventIdsOf(r.stdout).sort();
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-resource-'));
    const day = join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', 'us-east-1', '2026', '11', '20');
    mkdirSync(day, { recursive: true });
    const alice = { type: 'IAMUser', arn: ALICE, accountId: ACCOUNT };
    const records = events.map(([id, extra], i) => ({ ...record(i, alice, 'PutBucketPolicy', extra), eventID: id }));
    writeFileSync(join(day, `${ACCOUNT}_CloudTrail_us-east-1_20261120T1000Z_resources.json.gz`), gzipSync(JSON.stringify({ Records: records })));
    index = join(dir, 'index');
    const built = runCli(['index', join(dir, 'AWSLogs'), '--to', index]);
    expect(built.status, built.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a bucket: its events, its objects, a policy naming it, a list naming it; not a bucket whose name starts the same', async () => {
    expect(await touching(s3('prod'))).toEqual(['bucket-in-resources', 'in-a-list', 'in-a-policy-string', 'object-in-bucket'].sort());
    expect(await touching(s3('prod-logs'))).toEqual(['longer-bucket']);
  });

  it('a role, not a role whose name starts the same', async () => {
    expect(await touching(role('Admin'))).toEqual(['role']);
    expect(await touching(role('AdminReadOnly'))).toEqual(['longer-role']);
  });

  it('the name is matched literally: a dot in it is a dot', async () => {
    expect(await touching(s3('prod.backup'))).toEqual(['dotted-bucket']);
    expect(await touching(s3('prodxbackup'))).toEqual(['dot-as-any-character']);
    expect(await touching(role('Admin+Ops'))).toEqual(['plus-role']);
  });
});
