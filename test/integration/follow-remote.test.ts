import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonLines, startCli, waitFor, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const ACCOUNT = '111111111111';
const pad = (n: number) => String(n).padStart(2, '0');
const day = (ms: number) => { const d = new Date(ms); return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`; };
const stamp = (ms: number) => { const d = new Date(ms); return `${day(ms).replace(/\//g, '')}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`; };

function event(id: string, time: number, name = 'PutObject', extra: Record<string, unknown> = {}) {
  return { eventVersion: '1.11', eventID: id, eventTime: new Date(time).toISOString().replace(/\.\d+Z$/, 'Z'), eventName: name, eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1', recipientAccountId: ACCOUNT, readOnly: false, userIdentity: { type: 'IAMUser', userName: 'alice', accountId: ACCOUNT }, ...extra };
}

describeWithMoto('tail -f and log groups against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let logs: CloudWatchLogsClient;
  const bucket = 'live-trail';
  const now = Date.now();
  const keyAt = (ms: number, unique: string) => `live/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${day(ms)}/${ACCOUNT}_CloudTrail_us-east-1_${stamp(ms)}_${unique.padEnd(16, '0')}.json.gz`;
  const put = (key: string, records: unknown[]) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(JSON.stringify({ Records: records })) }));
  const run = async (args: string[]): Promise<CliResult> => {
    const r = startCli([...args, '--endpoint-url', moto.endpoint], motoEnv(moto));
    return { status: await r.exited, stdout: r.output.stdout, stderr: r.output.stderr };
  };

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    logs = new CloudWatchLogsClient(motoClientConfig(moto));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await put(keyAt(now - 20 * 60_000, 'first'), [event('old-1', now - 25 * 60_000), event('old-2', now - 24 * 60_000, 'GetObject')]);
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    logs?.destroy();
    await moto?.stop();
  });

  it('tail --bucket -f prints the newest events, then objects uploaded while it runs (also a late one), each event once, and stops on Ctrl-C', async () => {
    const tail = startCli(['tail', '--bucket', bucket, '--prefix', 'live', '-f', '--interval', '0.3', '--output', 'json', '--endpoint-url', moto.endpoint], motoEnv(moto));
    await waitFor(() => jsonLines(tail.output.stdout).length === 2, 20_000);
    expect(tail.output.stderr).toMatch(/searching s3:\/\/live-trail\/live\/ from .* \(the last 1 h; /);
    await put(keyAt(now - 2 * 60_000, 'second'), [event('new-1', now - 3 * 60_000), event('old-2', now - 24 * 60_000, 'GetObject')]);
    await waitFor(() => tail.output.stdout.includes('new-1'), 20_000);
    // Delivered late: named by an earlier time than the last file seen.
    await put(keyAt(now - 10 * 60_000, 'late'), [event('late-1', now - 12 * 60_000)]);
    await waitFor(() => tail.output.stdout.includes('late-1'), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    const ids = jsonLines(tail.output.stdout).map((e) => e['eventID']);
    expect(ids).toEqual(['old-1', 'old-2', 'new-1', 'late-1']);
    expect(tail.output.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('grep and tail on a log group of CloudTrail events: filters, window, and -f picks up new events', async () => {
    const group = 'aws-cloudtrail-logs-111111111111';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const stream = `${ACCOUNT}_CloudTrail_us-east-1`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'other-stream' }));
    const records = [
      event('cw-1', now - 50 * 60_000, 'ConsoleLogin', { eventSource: 'signin.amazonaws.com' }),
      event('cw-2', now - 40 * 60_000, 'DeleteBucket', { errorCode: 'AccessDenied' }),
      event('cw-3', now - 30 * 60_000, 'DeleteObject'),
      event('cw-4', now - 3 * 3_600_000, 'DeleteBucket'),
    ];
    await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: records.map((r) => ({ timestamp: Date.parse(r.eventTime), message: JSON.stringify(r) })).sort((a, b) => a.timestamp - b.timestamp) }));
    await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'other-stream', logEvents: [{ timestamp: now - 20 * 60_000, message: JSON.stringify(event('cw-other', now - 20 * 60_000, 'DeleteBucket')) }] }));

    const all = await run(['grep', '--log-group', group, '--output', 'json']);
    expect(all.status).toBe(0);
    expect(all.stderr).toMatch(/searching log group aws-cloudtrail-logs-111111111111 from .* \(the last 24 h; /);
    expect(jsonLines(all.stdout).map((e) => e['eventID']).sort()).toEqual(['cw-1', 'cw-2', 'cw-3', 'cw-4', 'cw-other']);
    const deletes = await run(['grep', '--log-group', group, '--event-name', 'Delete*', '--since', '1h', '--log-stream-prefix', stream, '--output', 'json']);
    expect(jsonLines(deletes.stdout).map((e) => e['eventID'])).toEqual(['cw-2', 'cw-3']);
    expect((await run(['grep', '--log-group', group, '--errors', '--count'])).stdout.trim()).toBe('1');
    expect((await run(['grep', '--log-group', group, '--user', 'ALICE', '--event-name', 'ConsoleLogin', '--count'])).stdout.trim()).toBe('1');
    const none = await run(['grep', '--log-group', group, '--event-name', 'StopLogging']);
    expect(none.status).toBe(1);
    const missing = await run(['grep', '--log-group', 'no-such-group']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^trailkit: log group no-such-group does not exist/m);

    const tail = startCli(['tail', '--log-group', group, '--log-stream-prefix', stream, '-n', '2', '-f', '--interval', '0.3', '--output', 'json', '--endpoint-url', moto.endpoint], motoEnv(moto));
    await waitFor(() => jsonLines(tail.output.stdout).length === 2, 20_000);
    await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: [{ timestamp: Date.now(), message: JSON.stringify(event('cw-5', Date.now(), 'StopLogging')) }] }));
    await waitFor(() => tail.output.stdout.includes('cw-5'), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(jsonLines(tail.output.stdout).map((e) => e['eventID'])).toEqual(['cw-2', 'cw-3', 'cw-5']);
  }, 60_000);
});
