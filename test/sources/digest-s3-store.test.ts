import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listPublicKeys } from '../../src/aws/cloudtrail-public-keys.js';
import { TrailkitError } from '../../src/core/errors.js';
import { S3DigestStore } from '../../src/sources/digest-s3-store.js';
import { makeSigningKey } from '../../fixtures/digest-signer.mjs';

const s3Mock = mockClient(S3Client);
const ctMock = mockClient(CloudTrailClient);

function awsError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('S3 digest store', () => {
  beforeEach(() => {
    s3Mock.reset();
    ctMock.reset();
  });

  it('turns AccessDenied on GetObject into one line naming s3:GetObject (exit 2)', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    const store = new S3DigestStore(new S3Client({ region: 'us-east-1' }), 'b');
    for (const call of [() => store.fetchDigest('b', 'AWSLogs/d.json.gz'), () => store.hashLog('b', 'AWSLogs/l.json.gz')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrailkitError);
      expect((error as TrailkitError).message).toMatch(/^s3:GetObject on s3:\/\/b\/AWSLogs\/[dl]\.json\.gz: access denied$/);
      expect((error as TrailkitError).hint).toBe('the caller needs the IAM permission s3:GetObject');
      expect((error as TrailkitError).exitCode).toBe(2);
    }
  });

  it('reports NoSuchKey as a verdict (not found), not an error', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
    const store = new S3DigestStore(new S3Client({ region: 'us-east-1' }), 'b');
    expect(await store.fetchDigest('b', 'k')).toEqual({ found: false });
    expect(await store.hashLog('b', 'k')).toEqual({ kind: 'not-found' });
  });

  it('reads every page of ListPublicKeys', async () => {
    const a = makeSigningKey();
    const b = makeSigningKey();
    ctMock.on(ListPublicKeysCommand, { NextToken: undefined }).resolves({ PublicKeyList: [{ Value: a.publicKeyDer, Fingerprint: a.fingerprint }], NextToken: 't' });
    ctMock.on(ListPublicKeysCommand, { NextToken: 't' }).resolves({ PublicKeyList: [{ Value: b.publicKeyDer, Fingerprint: b.fingerprint }] });
    const keys = await listPublicKeys(new CloudTrailClient({ region: 'us-east-1' }), 0, 1000);
    expect(keys.map((k) => k.fingerprint)).toEqual([a.fingerprint, b.fingerprint]);
    const input = ctMock.commandCalls(ListPublicKeysCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(new Date(0));
    expect(input?.EndTime).toEqual(new Date(1000));
  });
});
