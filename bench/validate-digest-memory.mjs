#!/usr/bin/env node
// Peak memory of `trailkit validate-digest` on hostile archives, offline and from moto S3, against
// the same validation of the untouched archive in the same run (the baseline). Target: every peak
// under 512 MiB. The hostile files are made here, under bench/.data, and never committed:
//  - a 4 MB digest that inflates to about 4 GB (a decompression bomb),
//  - every digest replaced by 16 MiB of incompressible bytes (the largest a digest may be),
//  - one digest of 15 MiB of JSON listing 60,000 log files (parsed, then failing its signature),
//  - a listed log file that inflates to 2 GB (hashing streams).
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { generateArchive } from '../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../fixtures/digest-signer.mjs';
import { startMotoServer } from './lib/moto.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const data = join(root, 'bench', '.data', 'digest-memory');
const bin = join(root, 'bin', 'trailkit.js');
const BUCKET = 'memory-trail';
const START = '2026-11-19T23:00:00Z';
const END = '2026-11-20T05:00:00Z';
const range = ['--trail-arn', 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main', '--start-time', START, '--end-time', END];
const LIMIT_MIB = 512;

const walk = (dir, rel = '') => readdirSync(join(dir, rel)).flatMap((n) => (statSync(join(dir, rel, n)).isDirectory() ? walk(dir, join(rel, n)) : [join(rel, n)]));

/** Zeros, gzipped, streamed: `bytes` of input make about bytes/1000 of output. */
async function gzipBomb(file, bytes) {
  const chunk = Buffer.alloc(1 << 20);
  let left = bytes;
  const source = Readable.from((function* () {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  })());
  await pipeline(source, createGzip({ level: 9 }), createWriteStream(file));
}

/** Peak RSS (MiB), exit status and wall seconds of one trailkit run. */
function measure(args, env = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = Number(r.stderr.trim().split('\n').pop()) / 1024;
  return { status: r.status, peak, seconds, stderr: r.stderr };
}

rmSync(data, { recursive: true, force: true });
const base = join(data, 'base');
generateArchive({ out: base, accounts: ['111111111111'], regions: ['us-east-1'], start: START, hours: 6, filesPerHour: 6, eventsPerFile: 50, duplicates: 0, marker: false });
const key = makeSigningKey();
const { digests } = signArchive({ dir: base, bucket: BUCKET, trailName: 'main', homeRegion: 'us-east-1', key, start: START, end: END });
const keysFile = join(data, 'keys.json');
writeFileSync(keysFile, JSON.stringify(key.publicKeysJson()));
const logs = walk(base).filter((f) => f.includes('/CloudTrail/'));

const cases = [];
const variant = (name) => {
  const dir = join(data, name);
  cpSync(base, dir, { recursive: true });
  return dir;
};
{
  const dir = variant('bomb-digest');
  await gzipBomb(join(dir, digests[2].key), 4 * 1024 ** 3);
  cases.push({ name: `a ${(statSync(join(dir, digests[2].key)).size / 1e6).toFixed(1)} MB digest inflating to 4 GiB`, dir });
}
{
  const dir = variant('huge-digests');
  for (const d of digests) writeFileSync(join(dir, d.key), randomBytes(16 * 1024 * 1024));
  cases.push({ name: `${digests.length} digests of 16 MiB each (incompressible)`, dir });
}
{
  const dir = variant('wide-digest');
  const entries = Array.from({ length: 60_000 }, (_, i) => ({ s3Bucket: BUCKET, s3Object: `AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T0100Z_${String(i).padStart(16, '0')}.json.gz`, hashValue: '0'.repeat(64), hashAlgorithm: 'SHA-256' }));
  const original = JSON.parse(gunzipSync(readFileSync(join(dir, digests[3].key))).toString('utf8'));
  original.logFiles = entries;
  writeFileSync(join(dir, digests[3].key), gzipSync(Buffer.from(JSON.stringify(original))));
  cases.push({ name: `a digest of ${(JSON.stringify(original).length / 1e6).toFixed(1)} MB JSON listing 60,000 log files`, dir });
}
{
  const dir = variant('bomb-log');
  await gzipBomb(join(dir, logs[3]), 2 * 1024 **3);
  cases.push({ name: 'a listed log file inflating to 2 GiB', dir });
}

console.log('offline (local folder), peak RSS against the untouched archive:');
const baseline = measure(['validate-digest', base, ...range, '--public-keys', keysFile]);
console.log(`  ${'untouched archive (baseline)'.padEnd(58)} ${baseline.peak.toFixed(0).padStart(5)} MiB  ${baseline.seconds.toFixed(2)} s  exit ${baseline.status}`);
let ok = baseline.status === 0;
for (const c of cases) {
  const r = measure(['validate-digest', c.dir, ...range, '--public-keys', keysFile]);
  const within = r.peak < LIMIT_MIB && r.status === 1;
  ok &&= within;
  console.log(`  ${c.name.padEnd(58)} ${r.peak.toFixed(0).padStart(5)} MiB  ${r.seconds.toFixed(2)} s  exit ${r.status}  ${(r.peak / baseline.peak).toFixed(2)}x baseline (target < ${LIMIT_MIB} MiB: ${within ? 'met' : 'MISSED'})`);
}

// The same hostile objects in a moto bucket.
const moto = await startMotoServer();
const endpoint = moto.endpoint;
try {
  const env = { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' };
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const metadata = new Map(digests.map((d) => [d.key, d.metadata]));
  console.log('moto S3, peak RSS against the untouched archive in the same bucket:');
  const s3cases = [{ name: 'untouched archive (baseline)', dir: base }, cases[0], cases[1], cases[3]];
  let s3Baseline;
  for (const [i, c] of s3cases.entries()) {
    await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const rel of walk(c.dir).filter((f) => !f.endsWith('.meta.json'))) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: rel, Body: readFileSync(join(c.dir, rel)), ...(metadata.has(rel) ? { Metadata: metadata.get(rel) } : {}) }));
    }
    const r = measure(['validate-digest', '--bucket', BUCKET, ...range, '--public-keys', keysFile], env);
    if (i === 0) {
      s3Baseline = r;
      ok &&= r.status === 0;
      console.log(`  ${c.name.padEnd(58)} ${r.peak.toFixed(0).padStart(5)} MiB  ${r.seconds.toFixed(2)} s  exit ${r.status}`);
      continue;
    }
    const within = r.peak < LIMIT_MIB && r.status === 1;
    ok &&= within;
    console.log(`  ${c.name.padEnd(58)} ${r.peak.toFixed(0).padStart(5)} MiB  ${r.seconds.toFixed(2)} s  exit ${r.status}  ${(r.peak / s3Baseline.peak).toFixed(2)}x baseline (target < ${LIMIT_MIB} MiB: ${within ? 'met' : 'MISSED'})`);
  }
  s3.destroy();
} finally {
  moto.stop();
}
process.exitCode = ok ? 0 : 1;
