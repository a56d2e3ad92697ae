import { describe, expect, it } from 'vitest';
import { batchesBehind, foreignObjects, isBatchPath, parseS3Location, planPush, sameObject, workFolderSegments, type LocalFile, type RemoteObject } from '../../src/core/index-sync.js';

const sha = (t: string) => `sha-of-${t.length}`.padEnd(64, '0');

describe('parseS3Location', () => {
  it.each([
    ['s3://bucket/prefix', { bucket: 'bucket', prefix: 'prefix' }],
    ['s3://bucket/a/b/', { bucket: 'bucket', prefix: 'a/b' }],
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/', { bucket: 'bucket', prefix: '' }],
    ['S3://my.bucket-1/x', { bucket: 'my.bucket-1', prefix: 'x' }],
  ])('%s', (url, expected) => expect(parseS3Location(url)).toEqual(expected));

  it.each(['s3:/bucket/x', 's3://Bucket/x', 's3://b/x', 's3://a..b/x', 's3://bucket//x', 's3://bucket/a//b', `s3://bucket/${'x'.repeat(701)}`, 'https://bucket.s3.amazonaws.com/x'])('refuses %s', (url) => {
    expect(parseS3Location(url)).toBeUndefined();
  });
});

describe('workFolderSegments', () => {
  it('is one folder per bucket and prefix, which no prefix can turn into another path', () => {
    expect(workFolderSegments({ bucket: 'b', prefix: '' }, sha)).toEqual(['b', '@']);
    expect(workFolderSegments({ bucket: 'b', prefix: 'trail-index/main' }, sha)).toEqual(['b', 'trail-index%2fmain']);
    for (const prefix of ['..', '../..', '../../etc', '.', '/', 'a/../../b', '\u0000', 'C:\\x', '%2e%2e']) {
      const [, name] = workFolderSegments({ bucket: 'b', prefix }, sha);
      expect(name).toMatch(/^[A-Za-z0-9_%@-]+$/);
      expect(name).not.toMatch(/^\.+$/);
    }
    // Different prefixes never share a folder.
    expect(workFolderSegments({ bucket: 'b', prefix: 'a/b' }, sha)).not.toEqual(workFolderSegments({ bucket: 'b', prefix: 'a%2fb' }, sha));
    expect(workFolderSegments({ bucket: 'b', prefix: 'x'.repeat(300) }, sha)[1]).toMatch(/^@sha-of-300/);
  });
});

describe('the push plan', () => {
  const local: LocalFile[] = [
    { rel: 'trailkit-index.json', size: 10, md5: 'm0' },
    { rel: 'batches/00000002-x.json', size: 20, md5: 'm2' },
    { rel: 'batches/00000001-x.json', size: 20, md5: 'm1' },
    { rel: 'data/account=111111111111/region=us-east-1/date=2026-11-20/b_0.parquet', size: 30, md5: 'm3' },
    { rel: 'data/account=111111111111/region=us-east-1/date=2026-11-20/a_0.parquet', size: 30, md5: 'm4' },
  ];
  const remote = (objects: RemoteObject[]) => new Map(objects.map((o) => [o.rel, o]));

  it('uploads part files first, then manifests in batch order, then the marker', () => {
    expect(planPush(local, new Map(), undefined).upload.map((f) => f.rel)).toEqual([
      'data/account=111111111111/region=us-east-1/date=2026-11-20/a_0.parquet',
      'data/account=111111111111/region=us-east-1/date=2026-11-20/b_0.parquet',
      'batches/00000001-x.json',
      'batches/00000002-x.json',
      'trailkit-index.json',
    ]);
  });

  it('skips what S3 holds with the same size and MD5 ETag, or the ETag recorded for that MD5 (SSE-KMS), and deletes only index files under data/ and batches/', () => {
    const plan = planPush(local, remote([
      { rel: 'trailkit-index.json', size: 10, etag: 'm0' },
      { rel: 'batches/00000001-x.json', size: 20, etag: 'kms-etag' },
      { rel: 'batches/00000002-x.json', size: 20, etag: 'other' },
      { rel: 'data/account=111111111111/region=us-east-1/date=2026-11-20/a_0.parquet', size: 31, etag: 'm4' },
      { rel: 'data/account=111111111111/region=us-east-1/date=2026-11-19/old_0.parquet', size: 5, etag: 'x' },
      { rel: 'batches/00000000-old.json', size: 5, etag: 'x' },
      { rel: 'README.txt', size: 5, etag: 'x' },
    ]), { bucket: 'b', prefix: 'p', files: { 'batches/00000001-x.json': { size: 20, md5: 'm1', etag: 'kms-etag' }, 'batches/00000002-x.json': { size: 20, md5: 'old-md5', etag: 'other' } } });
    expect(plan.upload.map((f) => f.rel)).toEqual([
      'data/account=111111111111/region=us-east-1/date=2026-11-20/a_0.parquet',
      'data/account=111111111111/region=us-east-1/date=2026-11-20/b_0.parquet',
      'batches/00000002-x.json',
    ]);
    expect(plan.unchanged).toBe(2);
    expect(plan.remove).toEqual(['batches/00000000-old.json', 'data/account=111111111111/region=us-east-1/date=2026-11-19/old_0.parquet']);
  });

  it('a recorded ETag counts only for the bytes it was recorded for', () => {
    const file = { rel: 'batches/00000001-x.json', size: 20, md5: 'new' };
    expect(sameObject(file, { rel: file.rel, size: 20, etag: 'kms' }, { bucket: 'b', prefix: '', files: { [file.rel]: { size: 20, md5: 'old', etag: 'kms' } } })).toBe(false);
    expect(sameObject(file, { rel: file.rel, size: 20, etag: 'kms' }, { bucket: 'b', prefix: '', files: { [file.rel]: { size: 20, md5: 'new', etag: 'kms' } } })).toBe(true);
  });
});

describe('what is under the prefix', () => {
  it('finds objects under data/ and batches/ that are not an index\'s, ignoring folder keys', () => {
    const o = (rel: string, size = 1): RemoteObject => ({ rel, size, etag: 'e' });
    expect(foreignObjects([
      o('data/'.concat('account=111111111111/region=us-east-1/date=2026-11-20/a.parquet')),
      o('data/', 0),
      o('data/notes.txt'),
      o('data/account=../region=x/date=y/a.parquet'),
      o('batches/../../x.json'),
      o('batches/.00000001-x.json.tmp'),
      o('elsewhere/file'),
      o('trailkit-index.json'),
    ])).toEqual(['batches/../../x.json', 'batches/.00000001-x.json.tmp', 'data/account=../region=x/date=y/a.parquet', 'data/notes.txt']);
    expect(isBatchPath('batches/00000001-20261120T000000-abcd1234.json')).toBe(true);
    expect(isBatchPath('batches/sub/x.json')).toBe(false);
  });

  it('is behind when S3 holds batches the working folder lacks', () => {
    expect(batchesBehind(['1', '2', '3'], ['1', '2'])).toEqual(['3']);
    expect(batchesBehind(['1'], ['1', '2'])).toEqual([]);
  });
});
