import { CreateBucketCommand, PutObjectCommand, S3Client, type ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { discoverFolders, discoverLocations, listFolders, listObjects, listWindow } from '../../src/aws/s3-trail-listing.js';
import { describeWithMoto, motoClientConfig, startMoto, type MotoServer } from '../helpers/moto.js';

describeWithMoto('S3 trail listing against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  const listed: ListObjectsV2CommandInput[] = [];
  const bucket = 'trail-listing';
  const keys = [
    'logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/19/111111111111_CloudTrail_us-east-1_20261119T2355Z_aaaaaaaaaaaaaaaa.json.gz',
    'logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T0005Z_bbbbbbbbbbbbbbbb.json.gz',
    'logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0005Z_cccccccccccccccc.json.gz',
    'logs/AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/20/111111111111_CloudTrail_eu-west-1_20261120T0005Z_dddddddddddddddd.json.gz',
    'logs/AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/20/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T000000Z.json.gz',
    'logs/AWSLogs/o-abcdefghij/222222222222/CloudTrail/us-west-2/2026/11/20/222222222222_CloudTrail_us-west-2_20261120T0005Z_eeeeeeeeeeeeeeee.json.gz',
    'logs/AWSLogs/not-an-account/CloudTrail/us-east-1/2026/11/20/x.json.gz',
  ];

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    // 1,005 objects in one day folder, to cross the 1,000-key page size.
    for (let i = 0; i < 1005; i++) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `big/AWSLogs/333333333333/CloudTrail/us-east-1/2026/11/20/k${String(i).padStart(5, '0')}`, Body: '' }));
    }
    s3.middlewareStack.add((next) => async (args) => {
      listed.push(args.input as ListObjectsV2CommandInput);
      return next(args);
    }, { step: 'initialize' });
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('discovers accounts, organization folders and regions with delimiter listings', async () => {
    const found = await discoverLocations(s3, bucket, { prefix: 'logs', kind: 'CloudTrail' });
    expect(found).toEqual([
      { prefix: 'logs', orgId: undefined, account: '111111111111', region: 'eu-west-1' },
      { prefix: 'logs', orgId: undefined, account: '111111111111', region: 'us-east-1' },
      { prefix: 'logs', orgId: 'o-abcdefghij', account: '222222222222', region: 'us-west-2' },
    ]);
    expect(await discoverLocations(s3, bucket, { prefix: 'logs', kind: 'CloudTrail', orgId: 'o-abcdefghij' })).toHaveLength(1);
    expect(await discoverLocations(s3, bucket, { prefix: 'logs', kind: 'CloudTrail', regions: ['us-east-1'] })).toHaveLength(1);
    expect(await discoverLocations(s3, bucket, { prefix: 'logs', kind: 'CloudTrail-Digest' })).toEqual([{ prefix: 'logs', orgId: undefined, account: '111111111111', region: 'us-east-1' }]);
    for (const input of listed) expect(input.Delimiter).toBe('/');
  });

  it('discovers several kinds with one listing of AWSLogs/, the rest of each level in parallel, in a stable order', async () => {
    listed.length = 0;
    let inFlight = 0;
    let most = 0;
    const slow = new S3Client(motoClientConfig(moto));
    // Each listing answer is held 30 ms, so listings sent one after another could never overlap.
    slow.middlewareStack.add((next) => async (args) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 30));
        return await next(args);
      } finally {
        inFlight--;
      }
    }, { step: 'initialize' });
    slow.middlewareStack.add((next) => async (args) => {
      listed.push(args.input as ListObjectsV2CommandInput);
      return next(args);
    }, { step: 'initialize' });
    const found = await discoverFolders(slow, bucket, ['CloudTrail', 'CloudTrail-Digest', 'CloudTrail-Insight'], { prefix: 'logs' });
    slow.destroy();
    const prefixes = listed.map((i) => i.Prefix);
    // AWSLogs/ once, the organization folder, then 3 kinds x 2 accounts (not-an-account is skipped).
    expect([...prefixes].sort()).toEqual([
      'logs/AWSLogs/',
      'logs/AWSLogs/111111111111/CloudTrail-Digest/',
      'logs/AWSLogs/111111111111/CloudTrail-Insight/',
      'logs/AWSLogs/111111111111/CloudTrail/',
      'logs/AWSLogs/o-abcdefghij/',
      'logs/AWSLogs/o-abcdefghij/222222222222/CloudTrail-Digest/',
      'logs/AWSLogs/o-abcdefghij/222222222222/CloudTrail-Insight/',
      'logs/AWSLogs/o-abcdefghij/222222222222/CloudTrail/',
    ]);
    const one = async (kind: 'CloudTrail' | 'CloudTrail-Digest' | 'CloudTrail-Insight') => (await discoverLocations(s3, bucket, { prefix: 'logs', kind })).map((location) => ({ kind, location }));
    expect(found).toEqual([...(await one('CloudTrail')), ...(await one('CloudTrail-Digest')), ...(await one('CloudTrail-Insight'))]);
    expect(found).toHaveLength(4);
    // The six kind folders were listed together, not one after another.
    expect(most).toBeGreaterThanOrEqual(6);
  });

  it('lists only the day folders a window needs, across midnight', async () => {
    listed.length = 0;
    const window = [];
    for await (const o of listWindow(s3, bucket, { prefix: 'logs', orgId: undefined, account: '111111111111', region: 'us-east-1' }, 'CloudTrail', Date.parse('2026-11-20T00:00:00Z'), Date.parse('2026-11-20T01:00:00Z'))) window.push(o.key);
    expect(window).toEqual([keys[0], keys[1]]);
    expect(listed.map((i) => i.Prefix)).toEqual(['19', '20', '21'].map((d) => `logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/${d}/`));
  });

  it('follows pagination to the end', async () => {
    let n = 0;
    for await (const _ of listObjects(s3, bucket, 'big/')) n++;
    expect(n).toBe(1005);
    expect((await listFolders(s3, bucket, 'big/AWSLogs/333333333333/CloudTrail/us-east-1/2026/11/')).length).toBe(1);
    let after = 0;
    for await (const _ of listObjects(s3, bucket, 'big/', 'big/AWSLogs/333333333333/CloudTrail/us-east-1/2026/11/20/k01000')) after++;
    expect(after).toBe(4);
  });
});
