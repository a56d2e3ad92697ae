import { Readable } from 'node:stream';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { TrailkitError } from '../../src/core/errors.js';
import { compileFilter } from '../../src/core/record-filter.js';
import { filterLogGroup } from '../../src/sources/log-group-search.js';
import { describeObjectFailure } from '../../src/sources/s3-object-errors.js';
import { searchBytes } from '../../src/sources/file-search.js';
import { S3Follower, searchObjects } from '../../src/sources/s3-search.js';
import { trailFolders, type TrailObject } from '../../src/sources/s3-trail-objects.js';

const s3Mock = mockClient(S3Client);
const logsMock = mockClient(CloudWatchLogsClient);

function awsError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

/** A GetObject answer as the SDK gives it on Node: the body is a stream. */
function body(bytes: Buffer) {
  return { Body: Readable.from([bytes]), ContentLength: bytes.length } as never;
}

const record = (id: string, name = 'GetObject') => ({ eventVersion: '1.11', eventID: id, eventName: name, eventTime: '2026-11-20T10:00:00Z', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1' });
function searchBytesOf(records: unknown[]) {
  // requestParameters come before eventID in the text, as in real deliveries.
  const text = JSON.stringify({ Records: records.map((r) => { const { eventID, ...rest } = r as { eventID: string }; return { ...rest, eventID }; }) });
  return searchBytes('x', Buffer.from(text), compileFilter({})).matches;
}
const logFile = (...ids: string[]) => gzipSync(JSON.stringify({ Records: ids.map((id) => record(id)) }));
const folder = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/';
const key = (stamp: string, unique: string) => `${folder}111111111111_CloudTrail_us-east-1_20261120T${stamp}Z_${unique.padEnd(16, 'x')}.json.gz`;

async function* objects(keys: string[]): AsyncGenerator<TrailObject> {
  for (const k of keys) yield { key: k, size: 1, etag: undefined, lastModified: undefined, kind: 'CloudTrail', folder: undefined as never };
}

describe('S3 errors (aws-sdk-client-mock)', () => {
  let s3: S3Client;
  beforeEach(() => {
    s3Mock.reset();
    logsMock.reset();
    s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  it('names s3:ListBucket when listing is denied, and says when the bucket does not exist', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(awsError('AccessDenied', 'Access Denied', 403));
    const denied = await trailFolders(s3, { bucket: 'trail-bucket' }, ['CloudTrail']).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(TrailkitError);
    expect((denied as TrailkitError).message).toMatch(/s3:ListBucket on s3:\/\/trail-bucket: access denied/);
    expect((denied as TrailkitError).hint).toMatch(/s3:ListBucket/);
    s3Mock.on(ListObjectsV2Command).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
    await expect(trailFolders(s3, { bucket: 'trail-bucket' }, ['CloudTrail'])).rejects.toThrow('bucket trail-bucket does not exist');
  });

  it('reports a KMS-encrypted object, a denied one and a corrupt one by key, and searches the rest in order', async () => {
    const keys = [key('1000', 'a'), key('1005', 'kms'), key('1010', 'corrupt'), key('1015', 'denied'), key('1020', 'b')];
    s3Mock.on(GetObjectCommand, { Key: keys[0] }).resolves(body(logFile('e1', 'e2')));
    s3Mock.on(GetObjectCommand, { Key: keys[1] }).rejects(awsError('AccessDenied', 'User: arn:aws:iam::111111111111:user/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111111111111:key/abc', 403));
    s3Mock.on(GetObjectCommand, { Key: keys[2] }).resolves(body(logFile('e3').subarray(0, 20)));
    s3Mock.on(GetObjectCommand, { Key: keys[3] }).rejects(awsError('AccessDenied', 'Access Denied', 403));
    s3Mock.on(GetObjectCommand, { Key: keys[4] }).resolves(body(logFile('e4')));
    const results = [];
    for await (const r of searchObjects(s3, 'trail-bucket', objects(keys), compileFilter({}), { concurrency: 3 })) results.push(r);
    expect(results.map((r) => r.path)).toEqual(keys.map((k) => `s3://trail-bucket/${k}`));
    expect(results[0]?.matches.map((m) => JSON.parse(m.raw).eventID)).toEqual(['e1', 'e2']);
    expect(results[1]?.error).toMatch(/KMS key .*kms:Decrypt/);
    expect(results[2]?.error).toMatch(/truncated gzip/);
    expect(results[3]?.error).toMatch(/access denied.*s3:GetObject/);
    expect(results[4]?.matches).toHaveLength(1);
  });

  it('stops after ten objects in a row are denied: a missing permission, not one bad object', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    const keys = Array.from({ length: 30 }, (_, i) => key(`10${String(i).padStart(2, '0')}`, `k${i}`));
    let seen = 0;
    await expect((async () => {
      for await (const _ of searchObjects(s3, 'trail-bucket', objects(keys), compileFilter({}), { concurrency: 4 })) seen++;
    })()).rejects.toThrow(/10 objects in a row could not be read/);
    expect(seen).toBe(10);
  });

  it('tells throttling and dropped connections (worth retrying) from denials', () => {
    expect(describeObjectFailure(awsError('SlowDown', 'Please reduce your request rate', 503)).transient).toBe(true);
    expect(describeObjectFailure(awsError('InternalError', 'We encountered an internal error', 500)).transient).toBe(true);
    expect(describeObjectFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).transient).toBe(true);
    expect(describeObjectFailure(awsError('AccessDenied', 'Access Denied', 403))).toMatchObject({ transient: false, denied: true });
    expect(describeObjectFailure(awsError('KMS.DisabledException', 'key is disabled', 400)).message).toMatch(/kms:Decrypt/);
  });

  it('tail -f on S3: an object that is throttled is read again on the next poll, and no event is printed twice', async () => {
    const now = Date.parse('2026-11-20T10:30:00Z');
    const first = key('1000', 'first');
    const second = key('1020', 'second');
    const late = key('0950', 'late');
    const follower = new S3Follower(s3, { bucket: 'trail-bucket', accounts: ['111111111111'], regions: ['us-east-1'] }, compileFilter({}), { concurrency: 2 });
    follower.seedKey(first);
    // Discovery: the account and region folders; then the day folder listing.
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111111111111/' }] });
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/111111111111/CloudTrail/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111111111111/CloudTrail/us-east-1/' }] });
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/111111111111/CloudTrail-Insight/' }).resolves({});
    s3Mock.on(ListObjectsV2Command, { Prefix: folder }).resolves({ Contents: [{ Key: late }, { Key: first }, { Key: second }] });
    s3Mock.on(GetObjectCommand, { Key: late }).resolves(body(logFile('late-1')));
    s3Mock.on(GetObjectCommand, { Key: second }).rejectsOnce(awsError('SlowDown', 'Please reduce your request rate', 503)).resolves(body(logFile('new-1', 'late-1')));
    const one = await follower.poll(now);
    expect(one.retrying).toBe(1);
    expect(one.matches.map((m) => JSON.parse(m.raw).eventID)).toEqual(['late-1']);
    const listCall = s3Mock.commandCalls(ListObjectsV2Command, { Prefix: folder })[0];
    expect(listCall?.args[0].input.StartAfter).toBe(`${folder}111111111111_CloudTrail_us-east-1_20261120T0900Z`);
    const two = await follower.poll(now);
    expect(two.retrying).toBe(0);
    // late-1 was printed already (a duplicate delivery): only new-1 is new.
    expect(two.matches.map((m) => JSON.parse(m.raw).eventID)).toEqual(['new-1']);
    const three = await follower.poll(now);
    expect(three.matches).toEqual([]);
  });

  it('tail -f on S3: a key the first pass could not read is forgotten, so the next poll reads it', async () => {
    const now = Date.parse('2026-11-20T10:30:00Z');
    const throttled = key('1000', 'throttled');
    const follower = new S3Follower(s3, { bucket: 'trail-bucket', accounts: ['111111111111'], regions: ['us-east-1'] }, compileFilter({}), { concurrency: 2 });
    follower.seedKey(throttled);
    follower.forgetKey(throttled);
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111111111111/' }] });
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/111111111111/CloudTrail/' }).resolves({ CommonPrefixes: [{ Prefix: 'AWSLogs/111111111111/CloudTrail/us-east-1/' }] });
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/', Prefix: 'AWSLogs/111111111111/CloudTrail-Insight/' }).resolves({});
    s3Mock.on(ListObjectsV2Command, { Prefix: folder }).resolves({ Contents: [{ Key: throttled }] });
    s3Mock.on(GetObjectCommand, { Key: throttled }).resolves(body(logFile('was-throttled')));
    expect((await follower.poll(now)).matches.map((m) => m.eventId)).toEqual(['was-throttled']);
  });

  it('tail -f de-duplicates on the top-level eventID, not an eventID inside requestParameters', () => {
    const follower = new S3Follower(s3, { bucket: 'trail-bucket' }, compileFilter({}), { concurrency: 1 });
    const nested = (id: string) => ({ ...record(id), requestParameters: { key: { eventID: '42' } } });
    const result = searchBytesOf([nested('a'), nested('b')]);
    expect(follower.fresh(result).map((m) => m.eventId)).toEqual(['a', 'b']);
  });

  it('log groups: a missing group and a denied call are one line each', async () => {
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const run = async () => {
      for await (const _ of filterLogGroup(logs, { logGroup: 'trail-group' }, { since: 0, until: 1 }, compileFilter({}))) void _;
    };
    logsMock.on(FilterLogEventsCommand).rejects(awsError('ResourceNotFoundException', 'The specified log group does not exist.', 400));
    await expect(run()).rejects.toThrow('log group trail-group does not exist');
    logsMock.on(FilterLogEventsCommand).rejects(awsError('AccessDeniedException', 'not authorized', 400));
    await expect(run()).rejects.toThrow('logs:FilterLogEvents on trail-group: access denied');
  });
});
