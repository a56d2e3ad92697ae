// A loopback HTTP proxy in front of moto_server. It can answer CloudTrail ListPublicKeys (which moto
// lacks) with the test signing key, and can hold every request for a fixed delay before handling
// it, to stand in for real S3's per-request latency (moto on loopback answers in ~2 ms, so client
// concurrency would not show). Everything else is forwarded unchanged. Used by the benchmarks so
// trailkit and the AWS CLI see the same endpoint, and by the integration tests.
import { Agent, createServer, request } from 'node:http';

// Hop-by-hop headers stay with their own connection: forwarding a client's `Connection: close`
// upstream would cost the pooled moto socket, and moto's would close the client's.
function endToEnd(headers) {
  const { connection: _c, 'keep-alive': _k, ...rest } = headers;
  return rest;
}

/** The region a SigV4-signed request was signed for: the credential scope of its Authorization header. */
function signedRegion(req) {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

/**
 * Starts the proxy on a free 127.0.0.1 port. `publicKeys` makes it answer ListPublicKeys as
 * CloudTrail does: each region has its own key pair and lists only its own keys, for the time range
 * asked. It is either `{ REGION: list-public-keys JSON }` (regions not named have no keys) or one
 * list-public-keys JSON for every region. `delayMs` > 0 delays every request, that answer included.
 * `calls` records each ListPublicKeys call (region, start, end).
 */
export async function startProxy(target, { publicKeys, delayMs = 0 } = {}) {
  const upstream = new URL(target);
  // Keep-alive with no socket cap: the proxy must not queue what clients send in parallel.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const toWire = (json) => json.PublicKeyList.map((k) => ({
    Value: k.Value,
    ValidityStartTime: Date.parse(k.ValidityStartTime) / 1000,
    ValidityEndTime: Date.parse(k.ValidityEndTime) / 1000,
    Fingerprint: k.Fingerprint,
  }));
  const perRegion = publicKeys === undefined ? undefined : 'PublicKeyList' in publicKeys ? undefined : Object.fromEntries(Object.entries(publicKeys).map(([r, j]) => [r, toWire(j)]));
  const everyRegion = publicKeys !== undefined && 'PublicKeyList' in publicKeys ? toWire(publicKeys) : undefined;
  const calls = [];
  const handle = (req, res) => {
    if (publicKeys !== undefined && String(req.headers['x-amz-target'] ?? '').endsWith('.ListPublicKeys')) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const region = signedRegion(req);
        let body = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          body = {};
        }
        const start = typeof body.StartTime === 'number' ? body.StartTime : undefined;
        const end = typeof body.EndTime === 'number' ? body.EndTime : undefined;
        calls.push({ region, start, end });
        const keys = (perRegion === undefined ? everyRegion : perRegion[region]) ?? [];
        // Keys whose validity overlaps the range asked for, as the API documents.
        const list = keys.filter((k) => (end === undefined || k.ValidityStartTime <= end) && (start === undefined || k.ValidityEndTime >= start));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ PublicKeyList: list }));
      });
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  };
  // A request body waits, paused, in its socket until the delay is over and it is piped on.
  const server = createServer(delayMs > 0 ? (req, res) => setTimeout(handle, delayMs, req, res) : handle);
  // Clients keep connections idle between bursts (and between a benchmark's runs): outlast that.
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => {
        agent.destroy();
        resolve();
      });
    }),
  };
}

/** The ListPublicKeys proxy without delay, as the integration tests use it. */
export function startKeyProxy(target, publicKeys) {
  return startProxy(target, { publicKeys });
}
