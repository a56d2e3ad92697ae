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

/**
 * Starts the proxy on a free 127.0.0.1 port. `publicKeys` (the list-public-keys JSON) makes it
 * answer ListPublicKeys; `delayMs` > 0 delays every request, that answer included.
 */
export async function startProxy(target, { publicKeys, delayMs = 0 } = {}) {
  const upstream = new URL(target);
  // Keep-alive with no socket cap: the proxy must not queue what clients send in parallel.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const list = publicKeys?.PublicKeyList.map((k) => ({
    Value: k.Value,
    ValidityStartTime: Date.parse(k.ValidityStartTime) / 1000,
    ValidityEndTime: Date.parse(k.ValidityEndTime) / 1000,
    Fingerprint: k.Fingerprint,
  }));
  const handle = (req, res) => {
    if (list && String(req.headers['x-amz-target'] ?? '').endsWith('.ListPublicKeys')) {
      req.resume();
      req.on('end', () => {
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
