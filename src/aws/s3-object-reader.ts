import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import * as http from 'node:http';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';
import { encodeS3KeyPath, SigV4Signer, type RequestSigner } from './sigv4.js';

/** One object as a reader returns it, whichever way it was fetched. */
export interface S3ObjectBody {
  readonly body: Readable;
  readonly contentLength: number | undefined;
  readonly etag: string | undefined;
  /** User metadata (x-amz-meta-*), names in lower case without the prefix, as the SDK gives them. */
  readonly metadata: Record<string, string>;
  readonly versionId: string | undefined;
  readonly lastModified: Date | undefined;
}

/** Where and how a bucket's objects are fetched, learned from a GetObject the SDK completed. */
interface Route {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number | undefined;
  readonly host: string;
  /** The request path before the encoded key: `/` for a virtual-hosted bucket, `/bucket/` by path. */
  readonly pathPrefix: string;
  readonly signer: RequestSigner;
}

type Attempt = { readonly object: S3ObjectBody } | { readonly status: number };

/** How long a direct GET may wait for its response headers or go quiet mid-body before it is abandoned. */
const DIRECT_TIMEOUT_MS = 60_000;

/**
 * Fetches S3 objects for the commands that read thousands of small log files (download, grep and
 * tail --bucket, validate-digest). The first object of each bucket goes through the SDK, which
 * resolves the endpoint, region (following redirects), credentials and signature; the reader
 * keeps the route of that request. The following objects are fetched with a plain keep-alive GET
 * signed the same way (SigV4 with the same credentials, region and host), which costs a fraction
 * of the SDK's per-request CPU. Only a 200 is taken from a direct GET: anything else (an error
 * status, a dropped connection, a timeout) is fetched again through the SDK, so errors, retries,
 * throttling and their messages are exactly the SDK's. When the SDK then succeeds where a direct
 * GET was refused (400/401/403), the bucket goes back to the SDK for the rest of the run.
 */
export class S3ObjectReader {
  private readonly routes = new Map<string, Route | 'sdk'>();
  private agents: { http?: http.Agent; https?: https.Agent } = {};
  /** How many objects came each way: for tests and benchmarks. */
  readonly fetched = { direct: 0, sdk: 0 };

  constructor(
    readonly s3: S3Client,
    private readonly options: {
      readonly direct?: boolean;
      /** The signer of direct GETs for a region and service (default: SigV4Signer; benchmarks compare others). */
      readonly signer?: (region: string, service: string) => RequestSigner;
    } = {},
  ) {}

  async get(bucket: string, key: string, signal?: AbortSignal): Promise<S3ObjectBody> {
    const route = this.options.direct === false ? 'sdk' : this.routes.get(bucket);
    let refused = false;
    if (route !== undefined && route !== 'sdk') {
      const attempt = await this.direct(route, key, signal);
      if ('object' in attempt) {
        this.fetched.direct++;
        return attempt.object;
      }
      refused = attempt.status === 400 || attempt.status === 401 || attempt.status === 403;
    }
    const object = await this.viaSdk(bucket, key, signal, route === undefined);
    if (refused) this.routes.set(bucket, 'sdk');
    return object;
  }

  /** Closes the kept-alive connections of direct GETs. */
  close(): void {
    this.agents.http?.destroy();
    this.agents.https?.destroy();
    this.agents = {};
  }

  private async viaSdk(bucket: string, key: string, signal: AbortSignal | undefined, learn: boolean): Promise<S3ObjectBody> {
    const command = new GetObjectCommand({ Bucket: bucket, Key: key });
    if (learn) {
      command.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          if ((result.response as { statusCode?: number }).statusCode === 200) this.learn(bucket, key, args.request);
          return result;
        },
        { step: 'finalizeRequest', priority: 'low', name: 'trailkitLearnObjectRoute' },
      );
    }
    const response: GetObjectCommandOutput = await this.s3.send(command, signal === undefined ? {} : { abortSignal: signal });
    this.fetched.sdk++;
    return {
      body: (response.Body as Readable | undefined) ?? Readable.from([]),
      contentLength: response.ContentLength,
      etag: response.ETag,
      metadata: response.Metadata ?? {},
      versionId: response.VersionId,
      lastModified: response.LastModified,
    };
  }

  /**
   * Keeps the route of a signed GetObject that succeeded, when it is one a direct GET can repeat:
   * SigV4 (not SigV4a or S3 Express session auth) and a path that ends with the key encoded the
   * way encodeS3KeyPath does it.
   */
  private learn(bucket: string, key: string, request: unknown): void {
    if (this.routes.has(bucket)) return;
    const r = request as { protocol?: string; hostname?: string; port?: number; path?: string; headers?: Record<string, string> };
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request,/.exec(headers['authorization'] ?? '');
    const encoded = encodeS3KeyPath(key);
    const protocol = r.protocol === 'http:' || r.protocol === 'http' ? 'http:' : r.protocol === 'https:' || r.protocol === 'https' ? 'https:' : undefined;
    if (scope === null || protocol === undefined || r.hostname === undefined || r.path === undefined || !r.path.endsWith(encoded)) {
      this.routes.set(bucket, 'sdk');
      return;
    }
    const pathPrefix = r.path.slice(0, r.path.length - encoded.length);
    if (!pathPrefix.endsWith('/')) {
      this.routes.set(bucket, 'sdk');
      return;
    }
    this.routes.set(bucket, {
      protocol,
      hostname: r.hostname,
      port: r.port,
      host: headers['host'] ?? (r.port === undefined ? r.hostname : `${r.hostname}:${r.port}`),
      pathPrefix,
      signer: (this.options.signer ?? ((region: string, service: string) => new SigV4Signer(region, service)))(scope[1] ?? '', scope[2] ?? 's3'),
    });
  }

  private agent(protocol: 'http:' | 'https:'): http.Agent {
    if (protocol === 'https:') return (this.agents.https ??= new https.Agent({ keepAlive: true, scheduling: 'lifo' }));
    return (this.agents.http ??= new http.Agent({ keepAlive: true, scheduling: 'lifo' }));
  }

  private async direct(route: Route, key: string, signal: AbortSignal | undefined): Promise<Attempt> {
    const credentials = await this.s3.config.credentials();
    const path = route.pathPrefix + encodeS3KeyPath(key);
    const now = new Date(Date.now() + (this.s3.config.systemClockOffset ?? 0));
    const headers = { host: route.host, ...(await route.signer.sign('GET', route.host, path, '', credentials, now)) };
    signal?.throwIfAborted();
    return new Promise<Attempt>((resolve, reject) => {
      const options: http.RequestOptions = { protocol: route.protocol, hostname: route.hostname, path, method: 'GET', headers, agent: this.agent(route.protocol) };
      if (route.port !== undefined) options.port = route.port;
      if (signal !== undefined) options.signal = signal;
      const request = (route.protocol === 'https:' ? https : http).request(options, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          resolve({ status: response.statusCode ?? 0 });
          return;
        }
        response.setTimeout(DIRECT_TIMEOUT_MS, () => response.destroy(new Error(`no data from S3 for ${DIRECT_TIMEOUT_MS / 1000} s (socket timeout)`)));
        resolve({ object: objectFrom(response) });
      });
      request.setTimeout(DIRECT_TIMEOUT_MS, () => request.destroy());
      request.on('error', (error) => {
        // An abort is the caller's; any other failure before the response is retried by the SDK.
        if (signal?.aborted === true) reject(error);
        else resolve({ status: 0 });
      });
      request.end();
    });
  }
}

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function objectFrom(response: IncomingMessage): S3ObjectBody {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
  }
  const length = header(response, 'content-length');
  const modified = header(response, 'last-modified');
  return {
    body: response,
    contentLength: length === undefined ? undefined : Number(length),
    etag: header(response, 'etag'),
    metadata,
    versionId: header(response, 'x-amz-version-id'),
    lastModified: modified === undefined ? undefined : new Date(modified),
  };
}

/** Whether a body stream failed because the connection went away (not because of its content). */
export function isConnectionCut(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || /aborted|socket hang up|premature close/i.test((error as Error | undefined)?.message ?? '');
}

/** An object body longer than the reader was willing to hold in memory. */
export class ObjectTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the object is larger than the ${Math.round(limit / (1024 * 1024))} MB read into memory`);
    this.name = 'ObjectTooLargeError';
  }
}

/**
 * Reads a whole object body into one buffer, checking it against Content-Length: a body cut
 * short is an error, never a shorter file. A body longer than `maxBytes` (by its Content-Length,
 * or as it arrives when there is none) is an ObjectTooLargeError.
 */
export async function readObjectBytes(object: S3ObjectBody, maxBytes = Infinity): Promise<Buffer> {
  const expected = object.contentLength;
  if (expected !== undefined && Number.isSafeInteger(expected) && expected > maxBytes) throw new ObjectTooLargeError(maxBytes);
  if (expected !== undefined && Number.isSafeInteger(expected) && expected >= 0 && expected <= 64 * 1024 * 1024) {
    const bytes = Buffer.allocUnsafe(expected);
    let at = 0;
    try {
      for await (const chunk of object.body as AsyncIterable<Buffer>) {
        if (at + chunk.length > expected) throw new Error(`the object is longer than its Content-Length (${expected} bytes)`);
        chunk.copy(bytes, at);
        at += chunk.length;
      }
    } catch (error) {
      if (isConnectionCut(error)) throw new Error(`the download stopped after ${at} of ${expected} bytes: the connection was closed before the object was complete`, { cause: error });
      throw error;
    }
    if (at !== expected) throw new Error(`the download stopped after ${at} of ${expected} bytes`);
    return bytes;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of object.body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new ObjectTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const readers = new WeakMap<S3Client, S3ObjectReader>();

/** The reader for a client, made on first use: routes and connections are shared by a command's work. */
export function objectReader(s3: S3Client): S3ObjectReader {
  let reader = readers.get(s3);
  if (reader === undefined) {
    reader = new S3ObjectReader(s3);
    readers.set(s3, reader);
  }
  return reader;
}
