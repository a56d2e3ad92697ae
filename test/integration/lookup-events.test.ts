import { afterEach, describe, expect, it } from 'vitest';
import { jsonLines, startCli, waitFor } from '../helpers/cli.js';
import { startLookupStandIn, type LookupStandIn } from '../helpers/lookup-events-stand-in.js';

type Rec = Record<string, unknown>;

const NOW = Date.now();
const MIN = 60_000;

/** A management event `minutesAgo` minutes old. */
function event(i: number, minutesAgo: number, extra: Rec = {}): Rec {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::123456789012:user/${i % 3 === 0 ? 'alice' : 'bob'}`, accountId: '123456789012', accessKeyId: 'AKIAEXAMPLE', userName: i % 3 === 0 ? 'alice' : 'bob' },
    eventTime: new Date(NOW - minutesAgo * MIN).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: i % 2 === 0 ? 'iam.amazonaws.com' : 'ec2.amazonaws.com',
    eventName: i % 5 === 0 ? 'DeleteUser' : i % 2 === 0 ? 'GetUser' : 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2.15',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `evt-${String(i).padStart(4, '0')}`,
    readOnly: i % 5 !== 0,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    ...extra,
  };
}

/** 130 events, one a minute over the last 130 minutes: three pages of LookupEvents. */
const HISTORY = Array.from({ length: 130 }, (_, i) => event(i, i + 1));

function env(standIn: LookupStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: standIn.endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Runs the CLI against the in-process stand-in (asynchronously: the stand-in runs in this process). */
async function run(args: string[], e: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, e);
  const status = await cli.exited;
  return { status, ...cli.output };
}

/** The most requests that started within any one second. */
function peakPerSecond(standIn: LookupStandIn): number {
  const times = standIn.requests.map((r) => r.at);
  let peak = 0;
  for (const t of times) peak = Math.max(peak, times.filter((u) => u >= t && u < t + 1000).length);
  return peak;
}

describe('grep and tail --lookup against a LookupEvents stand-in', () => {
  let standIn: LookupStandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it('reads every page (NextToken), newest first, within two requests a second, never throttled', async () => {
    standIn = await startLookupStandIn(HISTORY);
    const started = Date.now();
    const r = await run(['grep', '--lookup', '--since', '3h'], env(standIn));
    expect(r.status).toBe(0);
    const printed = jsonLines(r.stdout);
    expect(printed.map((e) => e['eventID'])).toEqual(HISTORY.map((e) => e['eventID']));
    // The JSON line is the CloudTrailEvent string itself.
    expect(r.stdout.split('\n')[0]).toBe(JSON.stringify(HISTORY[0]));
    expect(standIn.requests.map((q) => q.answer)).toEqual(['ok', 'ok', 'ok']);
    expect(standIn.requests.map((q) => q.events)).toEqual([50, 50, 30]);
    expect(standIn.requests.every((q) => q.body['MaxResults'] === 50 && q.body['LookupAttributes'] === undefined)).toBe(true);
    expect(peakPerSecond(standIn)).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(/^trailkit: searching the event history of us-east-1 \(LookupEvents\) from \S+ to \S+\n$/);
  }, 30_000);

  it('sends the one filter LookupEvents can evaluate and applies every filter locally', async () => {
    standIn = await startLookupStandIn(HISTORY);
    const r = await run(['grep', '--lookup', '--since', '3h', '--event-name', 'DeleteUser', '--user', 'alice', '--write-only'], env(standIn));
    expect(r.status).toBe(0);
    expect(standIn.requests[0]?.body['LookupAttributes']).toEqual([{ AttributeKey: 'EventName', AttributeValue: 'DeleteUser' }]);
    const expected = HISTORY.filter((e) => e['eventName'] === 'DeleteUser' && (e['userIdentity'] as Rec)['userName'] === 'alice' && e['readOnly'] === false);
    expect(expected.length).toBeGreaterThan(0);
    expect(jsonLines(r.stdout).map((e) => e['eventID'])).toEqual(expected.map((e) => e['eventID']));

    // A glob cannot go to the service: the next filter that can does (the event source).
    const glob = await run(['grep', '--lookup', '--since', '3h', '--event-name', 'Get*', '--event-source', 'iam', '--count'], env(standIn));
    expect(standIn.requests.at(-1)?.body['LookupAttributes']).toEqual([{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }]);
    expect(Number(glob.stdout)).toBe(HISTORY.filter((e) => String(e['eventName']).startsWith('Get') && e['eventSource'] === 'iam.amazonaws.com').length);

    const byId = await run(['grep', '--lookup', '--since', '3h', '--event-id', 'evt-0042', '--event-name', 'GetUser'], env(standIn));
    expect(standIn.requests.at(-1)?.body['LookupAttributes']).toEqual([{ AttributeKey: 'EventId', AttributeValue: 'evt-0042' }]);
    expect(jsonLines(byId.stdout).map((e) => e['eventID'])).toEqual(['evt-0042']);

    const readOnly = await run(['grep', '--lookup', '--since', '3h', '--read-only', '--count'], env(standIn));
    expect(standIn.requests.at(-1)?.body['LookupAttributes']).toEqual([{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }]);
    expect(Number(readOnly.stdout)).toBe(HISTORY.filter((e) => e['readOnly'] === true).length);
  }, 60_000);

  it('asks for the window given, and says when it starts before the 90 days the history keeps', async () => {
    standIn = await startLookupStandIn(HISTORY);
    const r = await run(['grep', '--lookup', '--since', '120d', '--count'], env(standIn));
    expect(r.status).toBe(0);
    expect(Number(r.stdout)).toBe(130);
    expect(r.stderr).toMatch(/trailkit: warning: the event history \(LookupEvents\) keeps the last 90 days: nothing before \S+ is searched/);
    const start = Number(standIn.requests[0]?.body['StartTime']) * 1000;
    expect(start).toBeGreaterThanOrEqual(NOW - 90 * 86_400_000 - 60_000);
    expect(start).toBeLessThan(NOW - 89 * 86_400_000);

    const old = await run(['grep', '--lookup', '--since', '200d', '--until', '100d'], env(standIn));
    expect(old.status).toBe(2);
    expect(old.stderr.trim().split('\n').at(-1)).toMatch(/^trailkit: --until \S+: the event history \(LookupEvents\) keeps only the last 90 days \(search the trail's S3 bucket instead: --trail TRAIL or --bucket BUCKET\)$/);
  }, 30_000);

  it('rides out throttling from another client (the SDK retries), and fails on one line when it does not end', async () => {
    standIn = await startLookupStandIn(HISTORY, { throttleFirst: 3 });
    const r = await run(['grep', '--lookup', '--since', '3h', '--count'], env(standIn));
    expect(r.status).toBe(0);
    expect(Number(r.stdout)).toBe(130);
    expect(standIn.requests.filter((q) => q.answer === 'throttled')).toHaveLength(3);
    await standIn.stop();

    standIn = await startLookupStandIn(HISTORY, { throttleAlways: true });
    const stuck = await run(['grep', '--lookup', '--since', '3h'], env(standIn, { AWS_MAX_ATTEMPTS: '2' }));
    expect(stuck.status).toBe(2);
    expect(stuck.stdout).toBe('');
    expect(stuck.stderr.trim().split('\n').at(-1)).toBe('trailkit: cloudtrail:LookupEvents in us-east-1: still throttled after retries (two lookups a second per account and region) (another client may be using the same limit: try again later)');
    expect(standIn.requests).toHaveLength(2);
  }, 60_000);

  it('names the IAM action when LookupEvents is denied', async () => {
    standIn = await startLookupStandIn(HISTORY, { denyAll: true });
    const r = await run(['grep', '--lookup'], env(standIn));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('trailkit: cloudtrail:LookupEvents in us-east-1: access denied (the caller needs the IAM permission cloudtrail:LookupEvents)');
  });

  it('calls the region of --region, typed before or after the command, over AWS_REGION', async () => {
    standIn = await startLookupStandIn(HISTORY.slice(0, 10));
    await run(['--region', 'eu-west-1', 'grep', '--lookup', '--count'], env(standIn));
    await run(['grep', '--lookup', '--count', '--region', 'ap-southeast-2'], env(standIn));
    await run(['grep', '--lookup', '--count'], env(standIn));
    expect(standIn.requests.filter((q) => q.answer === 'ok').map((q) => q.region)).toEqual(['eu-west-1', 'ap-southeast-2', 'us-east-1']);
  });

  it('prints hostile fields escaped in pretty and text output, byte-faithful in json', async () => {
    const hostile = event(1, 2, { userAgent: 'evil\u001b[2J\u001b]8;;http://x\u0007\u202e', eventName: 'Get\u001b[31mUser' });
    standIn = await startLookupStandIn([hostile]);
    const pretty = await run(['grep', '--lookup', '--output', 'pretty', '--fields', 'eventName,userAgent'], env(standIn));
    expect(pretty.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(pretty.stdout).toContain('Get\\x1b[31mUser');
    const text = await run(['grep', '--lookup', '--output', 'text', '--fields', 'eventName,userAgent'], env(standIn));
    expect(text.stdout).toBe('Get\\x1b[31mUser\tevil\\x1b[2J\\x1b]8;;http://x\\x07\\u202e\n');
    const json = await run(['grep', '--lookup'], env(standIn));
    expect(json.stdout).toBe(`${JSON.stringify(hostile)}\n`);
  });

  it('tail --lookup prints the N newest, oldest first, and stops paging once it has them', async () => {
    standIn = await startLookupStandIn(HISTORY);
    const r = await run(['tail', '--lookup', '-n', '5', '--since', '3h'], env(standIn));
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout).map((e) => e['eventID'])).toEqual(['evt-0004', 'evt-0003', 'evt-0002', 'evt-0001', 'evt-0000']);
    expect(standIn.requests).toHaveLength(1);
  });

  it('tail --lookup -f prints new events once, as they reach the history, and stops on Ctrl-C with exit 0', async () => {
    standIn = await startLookupStandIn(HISTORY.slice(0, 10));
    const cli = startCli(['tail', '--lookup', '-f', '-n', '2', '--interval', '0.5'], env(standIn));
    await waitFor(() => cli.output.stdout.split('\n').length >= 3);
    standIn.add(event(900, 0), event(901, 0));
    // A duplicate of an event already printed (same eventID) is not printed again.
    standIn.add({ ...event(900, 0), requestID: 'again' });
    await waitFor(() => cli.output.stdout.includes('evt-0901'));
    await new Promise((r) => setTimeout(r, 1500));
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    const ids = jsonLines(cli.output.stdout).map((e) => e['eventID']);
    expect(ids.slice(0, 2)).toEqual(['evt-0001', 'evt-0000']);
    expect(ids.filter((id) => id === 'evt-0900')).toHaveLength(1);
    expect(ids.filter((id) => id === 'evt-0901')).toHaveLength(1);
    expect(cli.output.stderr).not.toMatch(/warning|error/i);
    expect(peakPerSecond(standIn)).toBeLessThanOrEqual(2);
  }, 30_000);

  it('grep --lookup stops on Ctrl-C between pages: whole lines, exit 130, no trace', async () => {
    standIn = await startLookupStandIn(HISTORY, { delayMs: 400 });
    const cli = startCli(['grep', '--lookup', '--since', '3h'], env(standIn));
    await waitFor(() => cli.output.stdout.split('\n').length > 50);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.output.stdout.endsWith('\n')).toBe(true);
    const printed = jsonLines(cli.output.stdout);
    expect(printed.length).toBeLessThan(130);
    expect(printed.map((e) => e['eventID'])).toEqual(HISTORY.slice(0, printed.length).map((e) => e['eventID']));
    expect(cli.output.stderr).not.toMatch(/\n\s+at |Error/);
  }, 30_000);
});
