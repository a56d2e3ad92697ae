// A loopback HTTP proxy in front of moto_server that answers CloudTrail ListPublicKeys (which moto
// lacks) with the test signing key, and forwards every other request unchanged. Used by
// bench/validate-digest.mjs so `aws cloudtrail validate-logs` and trailkit see the same endpoint.
import { createServer, request } from 'node:http';

/** Starts the proxy on a free 127.0.0.1 port; `publicKeys` is the list-public-keys JSON. */
export async function startKeyProxy(target, publicKeys) {
  const upstream = new URL(target);
  const list = publicKeys.PublicKeyList.map((k) => ({
    Value: k.Value,
    ValidityStartTime: Date.parse(k.ValidityStartTime) / 1000,
    ValidityEndTime: Date.parse(k.ValidityEndTime) / 1000,
    Fingerprint: k.Fingerprint,
  }));
  const server = createServer((req, res) => {
    if (String(req.headers['x-amz-target'] ?? '').endsWith('.ListPublicKeys')) {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ PublicKeyList: list }));
      });
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }) };
}
