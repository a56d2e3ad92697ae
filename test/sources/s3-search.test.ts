import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/core/record-filter.js';
import { WHOLE_DOCUMENT_BYTES } from '../../src/sources/file-search.js';
import { searchObjects, type ObjectSearchResult } from '../../src/sources/s3-search.js';
import type { TrailObject } from '../../src/sources/s3-trail-objects.js';

const s3Mock = mockClient(S3Client);
const folder = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/';
const key = (stamp: string, unique: string) => `${folder}111111111111_CloudTrail_us-east-1_20261120T${stamp}Z_${unique.padEnd(16, 'x')}.json.gz`;
const event = (id: string, pad = 0) => ({ eventVersion: '1.11', eventID: id, eventName: 'GetObject', eventTime: '2026-11-20T10:00:00Z', eventSource: 's3.amazonaws.com', pad: 'p'.repeat(pad) });

async function* objects(list: { key: string; size: number }[]): AsyncGenerator<TrailObject> {
  for (const o of list) yield { key: o.key, size: o.size, etag: undefined, lastModified: undefined, kind: 'CloudTrail', folder: undefined as never };
}

/** Each GetObject gets a fresh body, as S3 would send it again. */
function serve(k: string, bytes: Buffer): void {
  s3Mock.on(GetObjectCommand, { Key: k }).callsFake(() => ({ Body: Readable.from([bytes]), ContentLength: bytes.length }));
}

describe('searchObjects on objects of every size', () => {
  let s3: S3Client;
  beforeEach(() => {
    s3Mock.reset();
    s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  it('streams an object too large to hold, in its place in the order, and reads the others in memory', async () => {
    const small = gzipSync(JSON.stringify({ Records: [event('a')] }));
    const bigCount = Math.ceil((WHOLE_DOCUMENT_BYTES * 1.3) / 1100);
    const bigPlain = Buffer.from(JSON.stringify({ Records: Array.from({ length: bigCount }, (_, i) => event(`big-${i}`, 1000)) }));
    const inflatesBig = gzipSync(bigPlain);
    const list = [
      { key: key('1000', 'a'), bytes: small },
      { key: key('1005', 'plainbig'), bytes: bigPlain },
      { key: key('1010', 'inflatesbig'), bytes: inflatesBig },
      { key: key('1015', 'b'), bytes: gzipSync(JSON.stringify({ Records: [event('b')] })) },
    ];
    for (const o of list) serve(o.key, o.bytes);
    const results: ObjectSearchResult[] = [];
    for await (const r of searchObjects(s3, 'b', objects(list.map((o) => ({ key: o.key, size: o.bytes.length }))), compileFilter({}), { concurrency: 4 })) results.push(r);
    const finals = results.filter((r) => r.more !== true);
    expect(finals.map((r) => r.key)).toEqual(list.map((o) => o.key));
    expect(finals.every((r) => r.error === undefined)).toBe(true);
    // Batches of one object are together, in the object's place.
    const order = results.map((r) => r.key).filter((k, i, all) => all[i - 1] !== k);
    expect(order).toEqual(list.map((o) => o.key));
    const ids = results.flatMap((r) => r.matches.map((m) => (JSON.parse(m.raw) as { eventID: string }).eventID));
    expect(ids.length).toBe(2 + 2 * bigCount);
    expect(ids[0]).toBe('a');
    expect(ids.at(-1)).toBe('b');
    const perKey = (k: string) => results.filter((r) => r.key === k).reduce((n, r) => n + r.matched, 0);
    expect(perKey(key('1005', 'plainbig'))).toBe(bigCount);
    expect(perKey(key('1010', 'inflatesbig'))).toBe(bigCount);
    expect(results.filter((r) => r.key === key('1005', 'plainbig')).length).toBeGreaterThan(1);
  });
});
