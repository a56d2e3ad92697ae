import { createServer, request, type Server } from 'node:http';

/** What the proxy sees of a request, to pick the AWS operation it is. */
export interface SeenRequest {
  method: string;
  url: string;
  /** X-Amz-Target of JSON protocols (`CloudTrail_20131101.CreateTrail`), or `Action=` of query protocols. */
  operation: string;
  body: string;
}

export interface Fault {
  match: (req: SeenRequest) => boolean;
  status: number;
  body: string;
  contentType?: string;
  /** How many matching requests fail; Infinity for all. */
  times: number;
  hits: number;
  /** Instead of failing: forward the request to the target after this many milliseconds (a slow answer). */
  forwardAfterMs?: number;
}

/**
 * A loopback HTTP proxy in front of moto_server that answers chosen requests with an AWS error
 * (AccessDenied, throttling, 5xx) so tests can inject failures into a spawned CLI.
 */
export interface FaultProxy {
  endpoint: string;
  add(fault: Omit<Fault, 'hits'>): Fault;
  clear(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const target = req.headers['x-amz-target'];
      const action = /(?:^|&)Action=([A-Za-z]+)/.exec(text)?.[1];
      const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', operation: typeof target === 'string' ? target : action ?? '', body: text };
      const fault = faults.find((f) => f.hits < f.times && f.match(seen));
      if (fault !== undefined && fault.forwardAfterMs === undefined) {
        fault.hits++;
        res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fault' });
        res.end(fault.body);
        return;
      }
      if (fault !== undefined) fault.hits++;
      const forward = () => request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers,
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      const send = () => {
        const upstreamRequest = forward();
        upstreamRequest.on('error', () => { res.writeHead(502); res.end(); });
        upstreamRequest.end(body);
      };
      if (fault?.forwardAfterMs === undefined) send();
      else setTimeout(send, fault.forwardAfterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    add(fault) {
      const f: Fault = { ...fault, hits: 0 };
      faults.push(f);
      return f;
    },
    clear() {
      faults.length = 0;
    },
    stop() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const cloudTrailOp = (name: string) => (r: SeenRequest) => r.operation === `CloudTrail_20131101.${name}` || r.operation === `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.${name}`;
export const jsonError = (type: string, message: string) => JSON.stringify({ __type: type, message });
/** An S3 (REST-XML) error body. */
export const s3Error = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`;
/** A request for one S3 object (path-style, as the CLI sends it to a custom endpoint). */
export const s3Get = (key: string) => (r: SeenRequest) => r.method === 'GET' && decodeURIComponent(r.url.split('?')[0] ?? '').endsWith(`/${key}`);
