import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/core/record-filter.js';
import { decodeDocument, newest, searchBytes } from '../../src/sources/file-search.js';
import { describeFsError, expandInputs, isLogFileName } from '../../src/sources/local-files.js';
import { LocalFollower } from '../../src/sources/local-follow.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailkit-src-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const event = (id: string, time = '2026-11-20T10:00:00Z') => ({ eventVersion: '1.09', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', eventID: id });

describe('isLogFileName', () => {
  it.each([
    ['AWSLogs/1/CloudTrail/us-east-1/2026/11/20/1_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz', true],
    ['AWSLogs/1/CloudTrail-Insight/us-east-1/2026/11/20/1_CloudTrail-Insight_us-east-1_20261120T1005Z_x.json.gz', true],
    ['export.ndjson', true],
    ['export.jsonl.gz', true],
    ['x.JSON', true],
    ['AWSLogs/1/CloudTrail-Digest/us-east-1/2026/11/20/1_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T100000Z.json.gz', false],
    ['1_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T100000Z.json.gz.meta.json', false],
    ['.hidden.json', false],
    ['notes.md', false],
    ['data.zip', false],
  ])('%s -> %s', (path, expected) => {
    expect(isLogFileName(path)).toBe(expected);
  });
});

describe('expandInputs', () => {
  it('walks folders in sorted order, skipping digests, hidden files and other files', async () => {
    mkdirSync(join(dir, 'b', 'CloudTrail-Digest'), { recursive: true });
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'b', 'z.json'), '{}');
    writeFileSync(join(dir, 'b', 'CloudTrail-Digest', 'd.json.gz'), '');
    writeFileSync(join(dir, 'a', 'y.json.gz'), '');
    writeFileSync(join(dir, 'a', 'README.md'), '');
    writeFileSync(join(dir, '.git', 'x.json'), '');
    writeFileSync(join(dir, 'a', '.partial.json'), '');
    symlinkSync(join(dir, 'missing.json'), join(dir, 'a', 'dangling.json'));
    const { files, problems } = await expandInputs([dir]);
    expect(files.map((f) => f.path)).toEqual([join(dir, 'a', 'y.json.gz'), join(dir, 'b', 'z.json')]);
    expect(problems).toEqual([]);
  });

  it('reports missing paths and empty folders, and keeps going', async () => {
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'f.txt'), '{}');
    const { files, problems } = await expandInputs([join(dir, 'missing'), join(dir, 'empty'), join(dir, 'f.txt'), '-']);
    expect(files.map((f) => f.path)).toEqual([join(dir, 'f.txt'), '-']);
    expect(problems).toEqual([
      { path: join(dir, 'missing'), message: 'no such file or folder', kind: 'unusable' },
      { path: join(dir, 'empty'), message: expect.stringMatching(/^no CloudTrail log files in this folder/), kind: 'empty' },
    ]);
  });

  it('describes file-system errors in one line', () => {
    expect(describeFsError(Object.assign(new Error('x'), { code: 'EACCES' }))).toMatch(/^permission denied/);
    expect(describeFsError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('no such file or folder');
    expect(describeFsError(new Error('odd'))).toBe('odd');
  });
});

describe('decodeDocument and searchBytes', () => {
  it('gunzips by content, not by name', () => {
    const json = Buffer.from('{"Records":[]}');
    expect(decodeDocument(gzipSync(json), 'x.json').toString()).toBe('{"Records":[]}');
    expect(decodeDocument(json, 'x.json.gz').toString()).toBe('{"Records":[]}');
    expect(() => decodeDocument(Buffer.from('PK\u0003\u0004'), 'x.json.gz')).toThrowError(/^not gzip/);
  });

  it('reads every member of a multi-member gzip', () => {
    const two = Buffer.concat([gzipSync('{"Records":[{"eventName":"A","eventTime":"2026-11-20T10:00:00Z"}'), gzipSync(',{"eventName":"B"}]}')]);
    expect(searchBytes('x', two, compileFilter({})).matched).toBe(2);
  });

  it('never throws: a bad file is an error in the result', () => {
    const result = searchBytes('x.json.gz', gzipSync('{"Records":[]}').subarray(0, 10), compileFilter({}));
    expect(result.error).toMatch(/^truncated gzip/);
    expect(result.matches).toEqual([]);
  });

  it('keeps the N newest matches of a file, oldest first, and counts without keeping', () => {
    const records = [event('a', '2026-11-20T10:03:00Z'), event('b', '2026-11-20T10:01:00Z'), event('c', '2026-11-20T10:02:00Z'), { eventName: 'NoTime', eventID: 'd' }];
    const bytes = Buffer.from(JSON.stringify({ Records: records }));
    const kept = searchBytes('x', bytes, compileFilter({}), { keepNewest: 2 });
    expect(kept.matches.map((m) => JSON.parse(m.raw).eventID)).toEqual(['c', 'a']);
    expect(kept.matched).toBe(4);
    const counted = searchBytes('x', bytes, compileFilter({}), { countOnly: true });
    expect(counted.matches).toEqual([]);
    expect(counted.matched).toBe(4);
    const limited = searchBytes('x', bytes, compileFilter({}), { limit: 2 });
    expect(limited.matches.map((m) => m.index)).toEqual([0, 1]);
  });

  it('orders matches without a time first in newest()', () => {
    const out = newest([{ index: 0, raw: 'a', time: 5 }, { index: 1, raw: 'b', time: undefined }, { index: 2, raw: 'c', time: 1 }], 3);
    expect(out.map((m) => m.raw)).toEqual(['b', 'c', 'a']);
  });
});

describe('LocalFollower', () => {
  it('reports new files, grown files and nothing twice', async () => {
    const follower = new LocalFollower([dir], compileFilter({}));
    expect((await follower.poll()).matches).toEqual([]);
    writeFileSync(join(dir, 'a.ndjson'), `${JSON.stringify(event('1'))}\n`);
    expect((await follower.poll()).matches.map((m) => m.index)).toEqual([0]);
    expect((await follower.poll()).matches).toEqual([]);
    writeFileSync(join(dir, 'a.ndjson'), `${JSON.stringify(event('1'))}\n${JSON.stringify(event('2'))}\n`);
    const grown = await follower.poll();
    expect(grown.matches.map((m) => JSON.parse(m.raw).eventID)).toEqual(['2']);
    // A replaced (shrunk) file is read again whole, and the ids already printed are dropped.
    writeFileSync(join(dir, 'a.ndjson'), `${JSON.stringify(event('2'))}\n`);
    expect((await follower.poll()).matches).toEqual([]);
  });

  it('waits for a broken file to settle before reporting it, once', async () => {
    const follower = new LocalFollower([dir], compileFilter({}));
    writeFileSync(join(dir, 'p.json.gz'), gzipSync(JSON.stringify({ Records: [event('1')] })).subarray(0, 12));
    expect((await follower.poll()).errors).toEqual([]);
    const second = await follower.poll();
    expect(second.errors).toEqual([{ path: join(dir, 'p.json.gz'), message: expect.stringMatching(/^truncated gzip/) }]);
    expect((await follower.poll()).errors).toEqual([]);
  });
});
