#!/usr/bin/env node
// Benchmarks `trailkit validate-digest` against baselines measured in the same run:
//  - S3: `aws cloudtrail validate-logs` (awscli v1) on the same moto_server bucket (>= 300 log files
//    with signed digests). moto has no ListPublicKeys, so both tools talk to a tiny loopback proxy
//    (bench/lib/digest-key-proxy.mjs) that answers it and forwards everything else to moto.
//  - offline: `zcat FILES | sha256sum` over the same log files (the decompress + hash floor).
// Prints ratios (targets: >= 4x faster than aws-cli; <= 1.5x the zcat|sha256sum time) and checks
// that both tools report the same counts.
// On loopback moto's own time per request bounds both tools, so the S3 pair is run a second time
// through a proxy that also adds BENCH_LATENCY_MS (default 30; 0 skips it) to every request, as
// S3's small-object median latency ("often in the tens of milliseconds") would.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateArchive } from '../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../fixtures/digest-signer.mjs';
import { startProxy } from './lib/digest-key-proxy.mjs';
import { startMotoServer } from './lib/moto.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, 'bench', '.data', 'digest-archive');
const bin = join(root, 'bin', 'trailkit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 30);
// validate-logs is sequential: ~370 requests x 30 ms is 11+ s a run, so fewer runs under latency.
const LATENCY_RUNS = Math.min(RUNS, 2);
const BUCKET = 'bench-trail';
const START = '2026-11-19T23:00:00Z';
const END = '2026-11-20T05:00:00Z';
const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/bench';

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

async function best(label, make, runs = RUNS) {
  let fastest;
  for (let i = 0; i < runs; i++) {
    const r = await make();
    if (fastest === undefined || r.seconds < fastest.seconds) fastest = r;
  }
  console.log(`  ${label.padEnd(44)} ${fastest.seconds.toFixed(2)} s`);
  return fastest;
}

const counts = (stdout) => ({
  digests: /(\d+\/\d+) digest files valid/.exec(stdout)?.[1],
  logs: /(\d+\/\d+) log files valid/.exec(stdout)?.[1],
});

// 1. The archive: 1 account-region, 6 hours x 60 log files, 400-600 records each (about the bench
//    archive of bench/grep.mjs), signed digests.
rmSync(dir, { recursive: true, force: true });
const summary = generateArchive({ out: dir, accounts: ['111111111111'], regions: ['us-east-1'], start: START, hours: 6, filesPerHour: 60, eventsPerFile: [Number(process.env.BENCH_MIN_EVENTS ?? 400), Number(process.env.BENCH_MAX_EVENTS ?? 600)], duplicates: 0, marker: false });
const key = makeSigningKey();
const { digests } = signArchive({ dir, bucket: BUCKET, trailName: 'bench', homeRegion: 'us-east-1', key, start: START, end: END });
const keysFile = join(dir, '..', 'digest-bench-keys.json');
writeFileSync(keysFile, JSON.stringify(key.publicKeysJson()));
const logFiles = [];
const objects = [];
for (const d of digests) objects.push({ key: d.key, metadata: d.metadata });
{
  const { readdirSync, statSync } = await import('node:fs');
  const walk = (rel) => readdirSync(join(dir, rel)).flatMap((n) => (statSync(join(dir, rel, n)).isDirectory() ? walk(join(rel, n)) : [join(rel, n)]));
  for (const rel of walk('AWSLogs')) if (rel.includes('/CloudTrail/')) { logFiles.push(rel); objects.push({ key: rel }); }
}
logFiles.sort();
console.log(`archive: ${summary.logFiles} log files (${(summary.bytesUncompressed / 1e6).toFixed(1)} MB uncompressed), ${digests.length} digests`);

// 2. moto_server with the bucket, and the ListPublicKeys proxy in front of it.
const moto = await startMotoServer();
const motoEndpoint = moto.endpoint;
let proxy;
let slowProxy;
try {
  const s3 = new S3Client({ endpoint: motoEndpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (let i = 0; i < objects.length; i += 32) {
    await Promise.all(objects.slice(i, i + 32).map((o) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: readFileSync(join(dir, o.key)), ...(o.metadata ? { Metadata: o.metadata } : {}) }))));
  }
  s3.destroy();
  proxy = await startProxy(motoEndpoint, { publicKeys: key.publicKeysJson() });
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
  };
  const range = ['--trail-arn', TRAIL_ARN, '--start-time', START, '--end-time', END];

  // Both tools on one endpoint, best of `runs` each, same counts required; returns whether they were.
  async function s3Pair(endpoint, runs, where = '') {
    const via = { ...env, AWS_ENDPOINT_URL: endpoint };
    const aws = await best('aws cloudtrail validate-logs', () => run('aws', ['cloudtrail', 'validate-logs', '--s3-bucket', BUCKET, ...range], { env: via }), runs);
    const tk = await best('trailkit validate-digest --bucket', () => run(process.execPath, [bin, 'validate-digest', '--bucket', BUCKET, ...range], { env: via }), runs);
    const a = counts(aws.stdout);
    const t = counts(tk.stdout);
    const same = a.digests !== undefined && a.digests === t.digests && a.logs === t.logs && aws.status === 0 && tk.status === 0;
    const identical = aws.stdout === tk.stdout && aws.stderr === tk.stderr;
    console.log(`  counts: aws-cli digests ${a.digests}, logs ${a.logs}; trailkit digests ${t.digests}, logs ${t.logs}: ${same ? 'same' : 'DIFFERENT'}; text ${identical ? 'byte for byte the same' : 'DIFFERENT'}`);
    const speedup = aws.seconds / tk.seconds;
    console.log(`  trailkit is ${speedup.toFixed(1)}x faster than aws cloudtrail validate-logs${where} (target >= 4x: ${speedup >= 4 ? 'met' : 'MISSED'})`);
    return { same: same && identical, logs: t.logs };
  }

  console.log('S3 (moto_server, same bucket, same run):');
  const raw = await s3Pair(proxy.endpoint, RUNS);
  let slow = { same: true };
  if (LATENCY_MS > 0) {
    slowProxy = await startProxy(motoEndpoint, { publicKeys: key.publicKeysJson(), delayMs: LATENCY_MS });
    console.log(`S3 with ${LATENCY_MS} ms per request (S3's small-object median latency is tens of ms), best of ${LATENCY_RUNS}:`);
    slow = await s3Pair(slowProxy.endpoint, LATENCY_RUNS, ` with ${LATENCY_MS} ms per request`);
  }

  console.log('offline (local folder):');
  const files = logFiles.map((f) => join(dir, f));
  const floor = await best('zcat FILES | sha256sum', () => run('sh', ['-c', 'zcat "$@" | sha256sum', 'sh', ...files]));
  const offline = await best('trailkit validate-digest PATH', () => run(process.execPath, [bin, 'validate-digest', dir, ...range, '--public-keys', keysFile]));
  const o = counts(offline.stdout);
  const ratio = offline.seconds / floor.seconds;
  console.log(`  counts: digests ${o.digests}, logs ${o.logs} (exit ${offline.status})`);
  console.log(`  trailkit takes ${ratio.toFixed(2)}x the time of zcat | sha256sum (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'MISSED'})`);
  process.exitCode = raw.same && slow.same && offline.status === 0 && o.logs === raw.logs ? 0 : 1;
} finally {
  await proxy?.close();
  await slowProxy?.close();
  moto.stop();
  if (existsSync(keysFile)) rmSync(keysFile);
}
