import { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readObjectBytes, S3ObjectReader } from '../../src/aws/s3-object-reader.js';
import { DownloadState, downloadObject } from '../../src/sources/s3-download.js';
import type { TrailObject } from '../../src/sources/s3-trail-objects.js';

/**
 * A stand-in S3 on loopback whose answers each test chooses, to see what the reader does with
 * what moto never does: a body cut short, a dropped connection, a refused direct GET.
 */
interface Seen {
  readonly url: string;
  readonly viaSdk: boolean;
  readonly headers: IncomingMessage['headers'];
}

type Behaviour = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

const OBJECT = Buffer.from('{"Records":[{"eventID":"e1","eventName":"GetObject"}]}');

function serveObject(res: ServerResponse, body = OBJECT, extra: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-length': String(body.length), etag: '"0123456789abcdef0123456789abcdef"', 'last-modified': 'Fri, 20 Nov 2026 10:00:00 GMT', ...extra });
  res.end(body);
}

let server: Server;
let endpoint: string;
let seen: Seen[] = [];
let behaviour: Behaviour = (_req, res) => serveObject(res);

beforeAll(async () => {
  server = createServer((req, res) => {
    // The SDK adds ?x-id=GetObject to GetObject; a direct GET has no query.
    const entry = { url: req.url ?? '', viaSdk: (req.url ?? '').includes('x-id=GetObject'), headers: req.headers };
    seen.push(entry);
    req.resume();
    behaviour(req, res, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

afterEach(() => {
  seen = [];
  behaviour = (_req, res) => serveObject(res);
});

function client(sessionToken?: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    maxAttempts: 3,
    retryMode: 'standard',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', ...(sessionToken === undefined ? {} : { sessionToken }) },
  });
}

async function fetchAll(reader: S3ObjectReader, bucket: string, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) out.push((await readObjectBytes(await reader.get(bucket, key))).toString());
  return out;
}

describe('S3ObjectReader against a stand-in S3', () => {
  it('fetches the first object through the SDK, then signs direct GETs on the same route with the same credentials and region', async () => {
    const reader = new S3ObjectReader(client('session-token'));
    const keys = ['AWSLogs/1/a.json.gz', "AWSLogs/1/it's (x)*!.json.gz", 'AWSLogs/1/ü+=&.json.gz'];
    expect(await fetchAll(reader, 'trail-bucket', keys)).toEqual([OBJECT.toString(), OBJECT.toString(), OBJECT.toString()]);
    expect(reader.fetched).toEqual({ direct: 2, sdk: 1 });
    expect(seen.map((s) => s.viaSdk)).toEqual([true, false, false]);
    const sdk = seen[0]!;
    const direct = seen[1]!;
    expect(direct.url).toBe("/trail-bucket/AWSLogs/1/it%27s%20%28x%29%2A%21.json.gz");
    expect(seen[2]!.url).toBe('/trail-bucket/AWSLogs/1/%C3%BC%2B%3D%26.json.gz');
    expect(direct.headers.host).toBe(sdk.headers.host);
    expect(direct.headers['x-amz-security-token']).toBe('session-token');
    expect(direct.headers['x-amz-content-sha256']).toBe(sdk.headers['x-amz-content-sha256']);
    expect(String(direct.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    reader.close();
  });

  it('gives the same metadata, ETag, version and date whichever way the object came', async () => {
    behaviour = (_req, res) => serveObject(res, OBJECT, { 'x-amz-meta-signature': 'abc123', 'x-amz-meta-signature-algorithm': 'SHA256withRSA', 'x-amz-version-id': 'v1' });
    const reader = new S3ObjectReader(client());
    const viaSdk = await reader.get('b', 'k1');
    await readObjectBytes(viaSdk);
    const direct = await reader.get('b', 'k2');
    expect(await readObjectBytes(direct)).toEqual(OBJECT);
    expect(reader.fetched).toEqual({ direct: 1, sdk: 1 });
    const pick = (o: typeof direct) => ({ metadata: o.metadata, etag: o.etag, versionId: o.versionId, lastModified: o.lastModified?.toISOString(), contentLength: o.contentLength });
    expect(pick(direct)).toEqual(pick(viaSdk));
    expect(pick(direct)).toEqual({ metadata: { signature: 'abc123', 'signature-algorithm': 'SHA256withRSA' }, etag: '"0123456789abcdef0123456789abcdef"', versionId: 'v1', lastModified: '2026-11-20T10:00:00.000Z', contentLength: OBJECT.length });
    reader.close();
  });

  it('goes back to the SDK for a bucket when a direct GET is refused (403) but the SDK is let in', async () => {
    behaviour = (_req, res, s) => {
      if (s.viaSdk) return serveObject(res);
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>');
    };
    const reader = new S3ObjectReader(client());
    expect(await fetchAll(reader, 'b', ['k1', 'k2', 'k3', 'k4'])).toEqual(Array(4).fill(OBJECT.toString()));
    // k1 by the SDK; k2 tried directly, refused, fetched by the SDK; then only the SDK.
    expect(seen.map((s) => s.viaSdk)).toEqual([true, false, true, true, true]);
    expect(reader.fetched).toEqual({ direct: 0, sdk: 4 });
    reader.close();
  });

  it('keeps the direct route after a 503 or a dropped connection: the SDK retries that object, the next one is direct again', async () => {
    let directCalls = 0;
    behaviour = (req, res, s) => {
      if (!s.viaSdk) {
        directCalls++;
        if (directCalls === 1) {
          res.writeHead(503, { 'content-type': 'application/xml' });
          res.end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
          return;
        }
        if (directCalls === 2) {
          req.socket.destroy();
          return;
        }
      }
      serveObject(res);
    };
    const reader = new S3ObjectReader(client());
    expect(await fetchAll(reader, 'b', ['k1', 'k2', 'k3', 'k4'])).toEqual(Array(4).fill(OBJECT.toString()));
    expect(seen.map((s) => s.viaSdk)).toEqual([true, false, true, false, true, false]);
    expect(reader.fetched).toEqual({ direct: 1, sdk: 3 });
    reader.close();
  });

  it('passes the SDK error on when the SDK fails too (a missing key is NoSuchKey, not a silent retry loop)', async () => {
    behaviour = (_req, res, s) => {
      if (s.url.includes('gone')) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
        return;
      }
      serveObject(res);
    };
    const reader = new S3ObjectReader(client());
    await fetchAll(reader, 'b', ['k1']);
    await expect(reader.get('b', 'gone')).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(seen.filter((s) => s.url.includes('gone')).map((s) => s.viaSdk)).toEqual([false, true]);
    // A 404 says nothing about the route: the next object is still direct.
    await fetchAll(reader, 'b', ['k2']);
    expect(seen.at(-1)?.viaSdk).toBe(false);
    reader.close();
  });

  it('fails a body cut short instead of returning fewer bytes, and download leaves no file behind', async () => {
    behaviour = (_req, res, s) => {
      if (s.viaSdk) return serveObject(res);
      res.writeHead(200, { 'content-length': String(OBJECT.length), etag: '"e"' });
      res.write(OBJECT.subarray(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const reader = new S3ObjectReader(client());
    await fetchAll(reader, 'b', ['k1']);
    await expect(readObjectBytes(await reader.get('b', 'k2'))).rejects.toThrow();
    const dir = mkdtempSync(join(tmpdir(), 'trailkit-reader-'));
    try {
      const s3 = client();
      const state = await DownloadState.load(dir, 'b');
      const object: TrailObject = { key: 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/f.json.gz', kind: 'CloudTrail', size: OBJECT.length, etag: '"e"', lastModified: undefined, folder: { location: { prefix: '', orgId: undefined, account: '111111111111', region: 'us-east-1' }, kind: 'CloudTrail', root: 'AWSLogs/111111111111/CloudTrail/us-east-1/' } };
      // The first object of a client goes through the SDK (served whole); the second is direct and cut.
      expect((await downloadObject(s3, 'b', object, dir, state)).status).toBe('downloaded');
      const cut = await downloadObject(s3, 'b', { ...object, key: object.key.replace('f.json', 'g.json') }, dir, state);
      await state.close();
      expect(cut.status).toBe('failed');
      // What happened, not the socket's word for it ("aborted").
      expect(cut.message).toBe(`the download stopped after 10 of ${OBJECT.length} bytes: the connection was closed before the object was complete`);
      const folder = join(dir, 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20');
      expect(readdirSync(folder).sort()).toEqual(['f.json.gz']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    reader.close();
  });

  it('stops at once when the caller aborts, without falling back to the SDK', async () => {
    behaviour = (_req, res, s) => {
      if (s.viaSdk) return serveObject(res);
      // never answers
    };
    const reader = new S3ObjectReader(client());
    await fetchAll(reader, 'b', ['k1']);
    const controller = new AbortController();
    const pending = reader.get('b', 'k2', controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.filter((s) => s.url.includes('k2')).map((s) => s.viaSdk)).toEqual([false]);
    reader.close();
  });

  it('uses only the SDK when told to', async () => {
    const reader = new S3ObjectReader(client(), { direct: false });
    await fetchAll(reader, 'b', ['k1', 'k2', 'k3']);
    expect(seen.every((s) => s.viaSdk)).toBe(true);
    expect(reader.fetched).toEqual({ direct: 0, sdk: 3 });
  });
});
