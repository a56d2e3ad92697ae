import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readObjectBytes, S3ObjectReader } from '../../src/aws/s3-object-reader.js';
import { describeWithMoto, motoClientConfig, MOTO_REGION, startMoto, type MotoServer } from '../helpers/moto.js';

/**
 * The direct GETs against moto_server with request authentication turned on: moto recomputes
 * each SigV4 signature (with botocore) and refuses a wrong one, so a direct GET that moto serves
 * is one S3 would accept.
 */
describeWithMoto('S3ObjectReader against moto_server with signature checks on', () => {
  let moto: MotoServer;
  let user: { accessKeyId: string; secretAccessKey: string };
  const bucket = 'reader-bucket';
  const keys = [
    'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T1000Z_a.json.gz',
    'AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/20/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T1100Z.json.gz',
    // moto's own signature check disagrees with the SDK's signer on keys with !'()*+=&% or
    // non-ASCII characters (it refuses the SDK too), so those are checked against the SDK's
    // signer in test/aws/sigv4.test.ts and on the wire in test/aws/s3-object-reader.test.ts.
    'odd/with space and question?.json.gz',
    'odd/tilde~dash-under_score.json.gz',
  ];
  const bodyOf = (key: string) => Buffer.from(`{"Records":[],"key":${JSON.stringify(key)}}`);

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    const iam = new IAMClient(config);
    await iam.send(new CreateUserCommand({ UserName: 'log-reader' }));
    await iam.send(new PutUserPolicyCommand({
      UserName: 'log-reader',
      PolicyName: 'read-logs',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }] }),
    }));
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'log-reader' }));
    user = { accessKeyId: created.AccessKey?.AccessKeyId ?? '', secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
    const s3 = new S3Client(config);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodyOf(key), Metadata: key.includes('Digest') ? { signature: 'ab12', 'signature-algorithm': 'SHA256withRSA' } : {} }));
    }
    // From here on moto checks every request's signature and the caller's IAM policy.
    const auth = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    expect(auth.ok).toBe(true);
  });

  afterAll(async () => {
    await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: 'inf' }).catch(() => undefined);
    await moto?.stop();
  });

  const clientFor = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new S3Client({ endpoint: moto.endpoint, region: MOTO_REGION, forcePathStyle: true, credentials, maxAttempts: 1 });

  it('moto really refuses a bad signature (the control for the test below)', async () => {
    const forged = clientFor({ accessKeyId: user.accessKeyId, secretAccessKey: `${user.secretAccessKey}x` });
    await expect(forged.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  it('every direct GET is accepted, with the same bytes and metadata as through the SDK', async () => {
    const reader = new S3ObjectReader(clientFor(user));
    for (const key of keys) {
      const object = await reader.get(bucket, key);
      expect((await readObjectBytes(object)).toString()).toBe(bodyOf(key).toString());
      if (key.includes('Digest')) expect(object.metadata).toEqual({ signature: 'ab12', 'signature-algorithm': 'SHA256withRSA' });
    }
    // One through the SDK to learn the route; every other one direct, none refused.
    expect(reader.fetched).toEqual({ direct: keys.length - 1, sdk: 1 });
    reader.close();
  });

  it('a denied object is the SDK\'s AccessDenied, and the route stays in use for the next bucket object', async () => {
    // The reader's own user may not read odd/: a policy that denies it, set with the root key.
    await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: 'inf' });
    await new IAMClient(motoClientConfig(moto)).send(new PutUserPolicyCommand({
      UserName: 'log-reader',
      PolicyName: 'no-odd',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/odd/*` }] }),
    }));
    await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    const reader = new S3ObjectReader(clientFor(user));
    await readObjectBytes(await reader.get(bucket, keys[0]!));
    await expect(reader.get(bucket, keys[2]!)).rejects.toMatchObject({ name: 'AccessDenied' });
    // A 403 that the SDK also gets is the object's, not the route's.
    expect((await readObjectBytes(await reader.get(bucket, keys[1]!))).toString()).toBe(bodyOf(keys[1]!).toString());
    expect(reader.fetched).toEqual({ direct: 1, sdk: 1 });
    reader.close();
  });
});
