import { describe, expect, it } from 'vitest';
import { awsLogsRoot, dayFolders, formatTrailArn, parseDigestFileName, parseLogFileName, parseTrailArn, parseTrailKey, regionRoot } from '../../src/core/s3-layout.js';

describe('parseTrailKey', () => {
  it('reads every part of a log key, with and without a prefix and an org id', () => {
    expect(parseTrailKey('AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz')).toEqual({
      key: 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz',
      prefix: '',
      orgId: undefined,
      account: '111111111111',
      kind: 'CloudTrail',
      region: 'us-east-1',
      day: '2026/11/20',
      fileName: '111111111111_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz',
    });
    const org = parseTrailKey('a/b/AWSLogs/o-abcdefghij/222222222222/CloudTrail-Digest/eu-west-1/2026/01/02/x.json.gz');
    expect(org).toMatchObject({ prefix: 'a/b', orgId: 'o-abcdefghij', account: '222222222222', kind: 'CloudTrail-Digest', region: 'eu-west-1', day: '2026/01/02' });
  });

  it.each(['AWSLogs/1111/CloudTrail/us-east-1/2026/11/20/x.json.gz', 'AWSLogs/111111111111/Other/us-east-1/2026/11/20/x', 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/x.json.gz', 'random/key'])(
    'rejects %s',
    (key) => {
      expect(parseTrailKey(key)).toBeUndefined();
    },
  );
});

describe('roots and day folders', () => {
  it('builds the region root', () => {
    expect(awsLogsRoot(undefined)).toBe('AWSLogs/');
    expect(awsLogsRoot('/logs/')).toBe('logs/AWSLogs/');
    expect(regionRoot({ prefix: 'p', orgId: 'o-abcdefghij', account: '111111111111', kind: 'CloudTrail', region: 'us-east-1' })).toBe('p/AWSLogs/o-abcdefghij/111111111111/CloudTrail/us-east-1/');
  });

  it('lists the days a window can be in, one day of margin either side', () => {
    expect(dayFolders(Date.parse('2026-11-20T23:30:00Z'), Date.parse('2026-11-21T00:10:00Z'))).toEqual(['2026/11/19/', '2026/11/20/', '2026/11/21/', '2026/11/22/']);
    expect(dayFolders(Date.parse('2026-12-31T12:00:00Z'), Date.parse('2026-12-31T13:00:00Z'), 0)).toEqual(['2026/12/31/']);
    expect(dayFolders(Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-01T00:00:00Z'))).toEqual(['2026/02/28/', '2026/03/01/', '2026/03/02/']);
    expect(dayFolders(2, 1)).toEqual([]);
  });
});

describe('file names and ARNs', () => {
  it('reads a log file name', () => {
    expect(parseLogFileName('111111111111_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz')).toEqual({ account: '111111111111', region: 'us-east-1', deliveredAt: Date.parse('2026-11-20T10:05:00Z') });
    expect(parseLogFileName('x.json.gz')).toBeUndefined();
  });

  it('reads a digest file name, with trail names holding underscores, and backfill digests', () => {
    expect(parseDigestFileName('327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard-trail_us-west-2_20231015T230404Z.json.gz')).toEqual({
      account: '327878933619', region: 'ap-northeast-1', trailName: 'llm-guard-trail', homeRegion: 'us-west-2', endTime: Date.parse('2023-10-15T23:04:04Z'), backfill: false,
    });
    expect(parseDigestFileName('111111111111_CloudTrail-Digest_us-east-1_my_trail_name_us-east-1_20261120T100000Z_backfill.json.gz')).toMatchObject({ trailName: 'my_trail_name', backfill: true });
  });

  it('parses and formats trail ARNs', () => {
    const arn = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main';
    expect(parseTrailArn(arn)).toEqual({ partition: 'aws', region: 'us-east-1', account: '111111111111', name: 'main' });
    expect(formatTrailArn(parseTrailArn(arn)!)).toBe(arn);
    expect(parseTrailArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});
