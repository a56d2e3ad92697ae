import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { amzDate, EMPTY_PAYLOAD_SHA256, encodeS3KeyPath, SigV4Signer } from '../../src/aws/sigv4.js';

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto behind the hash interface the SDK's signer takes. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

describe('SigV4 for bodiless GETs', () => {
  it('reproduces the S3 API Reference example (GET /test.txt with a Range header)', () => {
    // "Authenticating Requests: Using the Authorization Header", example GET Object.
    const signer = new SigV4Signer('us-east-1', 's3');
    const headers = signer.sign(
      'GET',
      'examplebucket.s3.amazonaws.com',
      '/test.txt',
      '',
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      new Date('2013-05-24T00:00:00Z'),
      { Range: 'bytes=0-9' },
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
    expect(headers['x-amz-content-sha256']).toBe(EMPTY_PAYLOAD_SHA256);
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-security-token']).toBeUndefined();
  });

  it('encodes keys as S3 signs them: unreserved characters kept, everything else (also !\'()* and +) percent-encoded', () => {
    expect(encodeS3KeyPath('AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/a_b-c.d~e.json.gz')).toBe('AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/a_b-c.d~e.json.gz');
    expect(encodeS3KeyPath("it's (a) key*!")).toBe('it%27s%20%28a%29%20key%2A%21');
    expect(encodeS3KeyPath('a+b=c&d?e#f%g')).toBe('a%2Bb%3Dc%26d%3Fe%23f%25g');
    expect(encodeS3KeyPath('ünï/çødé')).toBe('%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9');
    expect(encodeS3KeyPath('double//slash/')).toBe('double//slash/');
  });

  it('formats x-amz-date without separators or milliseconds', () => {
    expect(amzDate(new Date('2026-11-21T07:08:09.999Z'))).toBe('20261121T070809Z');
    expect(amzDate(new Date('1999-01-02T03:04:05Z'))).toBe('19990102T030405Z');
  });

  it('signs exactly as the AWS SDK signer does, for any key, credentials, session token, region and time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.stringMatching(/^[A-Z0-9]{16,20}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: undefined }),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1'),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        async (segments, accessKeyId, secretAccessKey, sessionToken, region, when) => {
          const date = new Date(Math.floor(when.getTime() / 1000) * 1000);
          const credentials = { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
          const path = `/my-bucket/${encodeS3KeyPath(segments.join('/'))}`;
          const host = `my-bucket.s3.${region}.amazonaws.com`;
          const ours = new SigV4Signer(region, 's3').sign('GET', host, path, '', credentials, date);
          const sdk = new SignatureV4({ credentials, region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
          const signed = await sdk.sign(
            { method: 'GET', protocol: 'https:', hostname: host, path, query: {}, headers: { host, 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 } },
            { signingDate: date },
          );
          expect(ours['authorization']).toBe(signed.headers['authorization']);
          expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
          expect(ours['x-amz-security-token']).toBe(signed.headers['x-amz-security-token']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps one derived signing key per day and secret, and derives a new one when either changes', () => {
    const signer = new SigV4Signer('us-east-1', 's3');
    const sign = (secret: string, iso: string) => signer.sign('GET', 'h', '/k', '', { accessKeyId: 'A', secretAccessKey: secret }, new Date(iso))['authorization'];
    const first = sign('s1', '2026-11-20T10:00:00Z');
    expect(sign('s1', '2026-11-20T10:00:00Z')).toBe(first);
    expect(sign('s2', '2026-11-20T10:00:00Z')).not.toBe(first);
    const nextDay = sign('s1', '2026-11-21T10:00:00Z');
    expect(nextDay).toContain('/20261121/');
    // Back to the first secret and day: the cache must not hand out the other day's key.
    expect(sign('s1', '2026-11-20T10:00:00Z')).toBe(first);
  });
});
