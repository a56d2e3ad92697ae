#!/usr/bin/env node
// Client CPU per object of the direct S3 GETs (src/aws/s3-object-reader.ts) with trailkit's own
// SigV4 signer against the SDK's @smithy/signature-v4, on 1,000 GETs each, in the same run. The
// objects come from a loopback server that answers at once, so the client's CPU is what is measured.
// Rounds alternate the two signers; each figure is the lowest of the rounds. The SDK's signer is
// adopted when it costs at most 20% more per object.
import { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer } from 'node:http';
import { createHash, createHmac } from 'node:crypto';
import { S3ObjectReader } from '../dist/aws/s3-object-reader.js';
import { EMPTY_PAYLOAD_SHA256 } from '../dist/aws/sigv4.js';

const OBJECTS = 1000;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 5);
const body = Buffer.alloc(4096, 'x');

const toBytes = (data) => (typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
/** node:crypto behind the hash interface @smithy/signature-v4 takes. */
class NodeSha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data) {
    this.hash.update(toBytes(data));
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** The SDK's signer behind the reader's signer interface: one per region and service, as the SDK keeps it. */
function smithySigner(region, service) {
  let latest;
  const signer = new SignatureV4({ credentials: async () => latest, region, service, sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
  return {
    async sign(method, host, path, query, credentials, date) {
      latest = credentials;
      const signed = await signer.sign({ method, protocol: 'http:', hostname: host.split(':')[0], path, query: {}, headers: { host, 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 } }, { signingDate: date });
      const { host: _host, ...rest } = signed.headers;
      return rest;
    },
  };
}

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-length': body.length, etag: '"e"', 'content-type': 'application/octet-stream' });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${server.address().port}`;
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' } });

async function cpuPerObject(signer) {
  const reader = new S3ObjectReader(s3, signer === undefined ? {} : { signer });
  // The first GET goes through the SDK and teaches the route; it is not measured.
  const first = await reader.get('bench', 'warm-up');
  first.body.resume();
  const started = process.cpuUsage();
  for (let i = 0; i < OBJECTS; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, OBJECTS - i) }, async (_, j) => {
      const object = await reader.get('bench', `AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/object-${i + j}.json.gz`);
      for await (const _chunk of object.body) {
        // drain
      }
    }));
  }
  const used = process.cpuUsage(started);
  if (reader.fetched.direct !== OBJECTS) throw new Error(`expected ${OBJECTS} direct GETs, got ${reader.fetched.direct}`);
  reader.close();
  return (used.user + used.system) / OBJECTS;
}

try {
  let ours = Infinity;
  let sdk = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so neither always runs on a warmer process.
    if (r % 2 === 0) {
      ours = Math.min(ours, await cpuPerObject(undefined));
      sdk = Math.min(sdk, await cpuPerObject(smithySigner));
    } else {
      sdk = Math.min(sdk, await cpuPerObject(smithySigner));
      ours = Math.min(ours, await cpuPerObject(undefined));
    }
  }
  const ratio = sdk / ours;
  console.log(`client CPU per object, ${OBJECTS} direct GETs, lowest of ${ROUNDS} rounds:`);
  console.log(`  trailkit's SigV4Signer         ${ours.toFixed(0).padStart(5)} µs`);
  console.log(`  @smithy/signature-v4 (the SDK) ${sdk.toFixed(0).padStart(5)} µs  (${((ratio - 1) * 100).toFixed(0)}% more: ${ratio <= 1.2 ? 'within' : 'over'} the 20% that would let the SDK's signer replace trailkit's)`);
} finally {
  s3.destroy();
  server.close();
}
