#!/usr/bin/env node
// Benchmarks `trailkit download` against `aws s3 sync` (awscli, from pip) of the same bucket into an
// empty folder, and `trailkit grep --bucket` against download-then-grep, all against one
// moto_server on a loopback port, measured in the same run. Prints ratios: absolute times on a
// shared machine mean little, and moto (not the network) is the server in both cases.
// On loopback moto's own time per request bounds every client, so the download pair is run a second
// time through bench/lib/digest-key-proxy.mjs adding BENCH_LATENCY_MS (default 30) to each request,
// where overlapping requests pays off as it does against S3.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy } from './lib/digest-key-proxy.mjs';
import { startMotoServer } from './lib/moto.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = join(root, 'bin', 'trailkit.js');
const archive = join(root, 'bench', '.data', 'download-archive');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Added per request for the second figure (0 skips it): S3's median for small objects is "often in
// the tens of milliseconds" (AWS, Optimizing Amazon S3 Performance).
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 30);
const bucket = 'bench-trail';
const ARCHIVE = { seed: 3, accounts: '111111111111,222222222222,333333333333', regions: 'us-east-1,eu-west-1', start: '2026-11-19T12:00:00Z', hours: 12, filesPerHour: 14, eventsPerFile: '20-40' };

function ensureArchive() {
  if (existsSync(join(archive, '.complete'))) return;
  console.error('generating the download benchmark archive (once)...');
  const args = Object.entries(ARCHIVE).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
  execFileSync(process.execPath, [join(root, 'fixtures', 'generate.mjs'), '--out', archive, ...args, '--quiet'], { stdio: 'inherit' });
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1',
};

// Asynchronous, not spawnSync: the latency proxy answers from this process's event loop.
function timed(command, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (status !== 0 && status !== 1) reject(new Error(`${command} ${args.join(' ')} failed (${status}): ${stderr}`));
      else resolve({ seconds, stdout });
    });
  });
}

function countFiles(dir) {
  return existsSync(dir) ? walk(dir).length : 0;
}

// Best of RUNS of `trailkit download` and `aws s3 sync` of the whole bucket through `endpoint`,
// each copy checked complete.
async function downloadPair(endpoint, expected, scratch) {
  let tk;
  let aws;
  for (let i = 0; i < RUNS; i++) {
    const a = join(scratch, `tk-${i}`);
    const b = join(scratch, `aws-${i}`);
    const t = await timed(process.execPath, [bin, 'download', '--bucket', bucket, '--to', a, '--endpoint-url', endpoint]);
    const s = await timed('aws', ['s3', 'sync', `s3://${bucket}/AWSLogs/`, join(b, 'AWSLogs'), '--endpoint-url', endpoint, '--only-show-errors']);
    if (countFiles(a) !== expected || countFiles(b) !== expected) throw new Error(`incomplete copies: trailkit ${countFiles(a)}, aws ${countFiles(b)}, expected ${expected}`);
    tk = tk === undefined || t.seconds < tk ? t.seconds : tk;
    aws = aws === undefined || s.seconds < aws ? s.seconds : aws;
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
  return { tk, aws };
}

ensureArchive();
if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0 || spawnSync('aws', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('skipped: needs moto_server and the aws CLI (pip install "moto[server]" awscli)');
  process.exit(0);
}
const moto = await startMotoServer();
const scratch = mkdtempSync(join(tmpdir(), 'trailkit-bench-dl-'));
try {
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import(join(root, 'node_modules', '@aws-sdk', 'client-s3', 'dist-cjs', 'index.js'));
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const files = walk(archive);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < files.length) {
      const f = files[next++];
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(archive, f), Body: readFileSync(f) }));
    }
  }));
  s3.destroy();
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  console.log(`bucket: ${files.length} log files, ${(bytes / 1e6).toFixed(1)} MB, on moto_server ${moto.endpoint}`);

  const { tk, aws } = await downloadPair(moto.endpoint, files.length, scratch);
  const ratio = aws / tk;
  console.log(`download: trailkit ${tk.toFixed(2)} s, aws s3 sync ${aws.toFixed(2)} s (best of ${RUNS})`);
  console.log(`  speed-up over aws s3 sync: ${ratio.toFixed(2)}x (target >= 1.5x)`);

  if (LATENCY_MS > 0) {
    // The same pair, both tools through one proxy that holds each request LATENCY_MS (listings and
    // GETs alike): with moto's ~2 ms on loopback no client can overlap much, on S3 they can.
    const proxy = await startProxy(moto.endpoint, { delayMs: LATENCY_MS });
    try {
      const slow = await downloadPair(proxy.endpoint, files.length, scratch);
      console.log(`download with ${LATENCY_MS} ms per request (S3's small-object median latency is tens of ms): trailkit ${slow.tk.toFixed(2)} s, aws s3 sync ${slow.aws.toFixed(2)} s, speed-up ${(slow.aws / slow.tk).toFixed(2)}x (best of ${RUNS})`);
    } finally {
      await proxy.close();
    }
  }

  const filter = ['--event-name', 'Delete*', '--since', '2026-11-19', '--until', '2026-11-21', '--count'];
  let direct;
  let viaDisk;
  let counts;
  for (let i = 0; i < RUNS; i++) {
    const g = await timed(process.execPath, [bin, 'grep', '--bucket', bucket, ...filter, '--endpoint-url', moto.endpoint]);
    const dir = join(scratch, `dg-${i}`);
    const d = await timed(process.execPath, [bin, 'download', '--bucket', bucket, '--to', dir, '--endpoint-url', moto.endpoint]);
    const l = await timed(process.execPath, [bin, 'grep', dir, ...filter]);
    counts = [g.stdout.trim(), l.stdout.trim()];
    rmSync(dir, { recursive: true, force: true });
    direct = direct === undefined || g.seconds < direct ? g.seconds : direct;
    const total = d.seconds + l.seconds;
    viaDisk = viaDisk === undefined || total < viaDisk ? total : viaDisk;
  }
  console.log(`grep --bucket: ${direct.toFixed(2)} s; download + grep folder: ${viaDisk.toFixed(2)} s; ${counts[0]} vs ${counts[1]} matches`);
  console.log(`  ratio (download+grep / grep --bucket): ${(viaDisk / direct).toFixed(2)}x (target >= 1.0x)`);
  process.exitCode = counts[0] === counts[1] ? 0 : 1;
} finally {
  moto.stop();
  rmSync(scratch, { recursive: true, force: true });
}
