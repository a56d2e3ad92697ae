#!/usr/bin/env node
// Peak memory of trailkit on hostile input: decompression bombs (a 2 MB .json.gz that inflates to
// about 2 GB; four 1 MB objects in a bucket on moto_server), endless standard input, /dev/zero
// given as a file, a --config or a file:// argument, a FIFO, and a record nested a million levels
// deep under --fields. Each case runs `grep` and `tail` (and `grep`/`tail --bucket` for the bucket)
// under /usr/bin/time; every peak must stay under 512 MiB. The bombs are made by bench/lib/bombs.mjs
// into bench/.data/bombs (never committed).
//
// BENCH_TRAILKIT_ROOT=/path/to/another/checkout measures another build (e.g. an older commit).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDir, makeFifo, ndjsonWriterScript, writeDeepRecord, writeGzipBomb } from './lib/bombs.mjs';
import { startMotoServer } from './lib/moto.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.BENCH_TRAILKIT_ROOT ?? dirname(here);
const bin = join(root, 'bin', 'trailkit.js');
const data = ensureDir(join(dirname(here), 'bench', '.data', 'bombs'));
const LIMIT_MIB = 512;
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 240);
const STDIN_BYTES = Number(process.env.BENCH_STDIN_BYTES ?? 2 * 1024 ** 3);
const bucket = 'bomb-trail';

const env = {
  ...process.env,
  NO_COLOR: '1',
  AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
};

/**
 * Runs trailkit under /usr/bin/time with stdout to /dev/null; `stdin` is 'ignore' or a function
 * that returns a readable stream to feed it. Returns exit status, peak RSS (MiB), seconds and the
 * first lines of stderr.
 */
function measure(args, stdin = 'ignore') {
  return new Promise((resolve) => {
    const scratch = mkdtempSync(join(tmpdir(), 'trailkit-mem-'));
    const timeFile = join(scratch, 'time');
    const devNull = openSync('/dev/null', 'w');
    const feeder = typeof stdin === 'function' ? stdin() : undefined;
    const started = process.hrtime.bigint();
    // Its own process group, so a run that hangs is ended with everything it started.
    const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%M', process.execPath, bin, ...args], {
      env,
      detached: true,
      stdio: [feeder === undefined ? 'ignore' : 'pipe', devNull, 'pipe'],
    });
    if (feeder !== undefined) {
      feeder.stdout.pipe(child.stdin);
      child.stdin.on('error', () => feeder.kill());
    }
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (stderr.length < 4000) stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, TIMEOUT_S * 1000);
    child.on('close', (status) => {
      clearTimeout(timer);
      feeder?.kill();
      closeSync(devNull);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let kib = NaN;
      try {
        kib = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
      } catch {
        // killed before time wrote its line
      }
      rmSync(scratch, { recursive: true, force: true });
      const lines = stderr.split('\n').filter((l) => l !== '' && !/^Command (exited|terminated)/.test(l));
      resolve({ status: timedOut ? 'timeout' : status, mib: kib / 1024, seconds, stderr: lines.slice(0, 2).join(' | ') });
    });
  });
}

// validate-digest's hostile archives (digest bombs, huge digests, a listed log bomb) are measured
// by bench/validate-digest-memory.mjs.

console.error('making the bombs (once; they are kept in bench/.data/bombs)...');
const gzBomb = join(data, '111111111111_CloudTrail_us-east-1_20261120T1000Z_bomb2mb000000000.json.gz');
await writeGzipBomb(gzBomb, 2 * 1024 * 1024);
const objectBombs = [];
for (let n = 0; n < 4; n++) {
  const path = join(data, `111111111111_CloudTrail_us-east-1_20261120T10${String(n).padStart(2, '0')}Z_bomb1mb00000000${n}.json.gz`);
  await writeGzipBomb(path, 1024 * 1024);
  objectBombs.push(path);
}
const deep = join(data, 'deep-record.json');
writeDeepRecord(deep, 1_000_000);
const fifo = join(data, 'fifo');
makeFifo(fifo);
const endless = () => spawn(process.execPath, ['-e', ndjsonWriterScript(STDIN_BYTES)], { stdio: ['ignore', 'pipe', 'ignore'] });

const cases = [
  { name: 'grep, 2 MB .json.gz bomb', args: ['grep', gzBomb, '--output', 'json'] },
  { name: 'tail, 2 MB .json.gz bomb', args: ['tail', gzBomb, '--output', 'json'] },
  { name: `grep -, ${(STDIN_BYTES / 1024 ** 3).toFixed(0)} GiB of NDJSON on stdin`, args: ['grep', '-', '--output', 'json'], stdin: endless },
  { name: `tail -, ${(STDIN_BYTES / 1024 ** 3).toFixed(0)} GiB of NDJSON on stdin`, args: ['tail', '-', '--output', 'json'], stdin: endless },
  { name: 'grep /dev/zero', args: ['grep', '/dev/zero'] },
  { name: 'tail /dev/zero', args: ['tail', '/dev/zero'] },
  { name: 'setup --config /dev/zero', args: ['setup', '--config', '/dev/zero', '--dry-run', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'] },
  {
    name: 'put-event-selectors file:///dev/zero',
    args: ['put-event-selectors', '--trail-name', 'main-trail', '--event-selectors', 'file:///dev/zero', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'],
  },
  { name: 'grep FIFO', args: ['grep', fifo] },
  { name: 'tail FIFO', args: ['tail', fifo] },
  { name: 'grep --fields, record nested 10^6 deep', args: ['grep', deep, '--output', 'pretty', '--fields', 'eventName,requestParameters'] },
  { name: 'tail --fields, record nested 10^6 deep', args: ['tail', deep, '--output', 'pretty', '--fields', 'eventName,requestParameters'] },
];

const haveMoto = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
let moto;
if (haveMoto) {
  moto = await startMotoServer();
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import(join(dirname(here), 'node_modules', '@aws-sdk', 'client-s3', 'dist-cjs', 'index.js'));
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const path of objectBombs) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/${name}`, Body: readFileSync(path) }));
  }
  s3.destroy();
  const remote = ['--bucket', bucket, '--since', '2026-11-20T00:00:00Z', '--until', '2026-11-20T23:59:59Z', '--endpoint-url', moto.endpoint];
  cases.push({ name: 'grep --bucket, four 1 MB bombs (moto)', args: ['grep', ...remote, '--output', 'json'] });
  cases.push({ name: 'tail --bucket, four 1 MB bombs (moto)', args: ['tail', ...remote, '--output', 'json'] });
} else {
  console.log('skipped grep/tail --bucket: needs moto_server (pip install "moto[server]")');
}

let failed = 0;
try {
  for (const c of cases) {
    const r = await measure(c.args, c.stdin);
    const over = !(r.mib < LIMIT_MIB) || r.status === 'timeout';
    if (over) failed++;
    console.log(`${over ? 'OVER ' : 'ok   '} ${c.name}: peak ${Number.isNaN(r.mib) ? '?' : r.mib.toFixed(0)} MiB, exit ${r.status}, ${r.seconds.toFixed(1)} s${r.stderr === '' ? '' : `; stderr: ${r.stderr.slice(0, 240)}`}`);
  }
} finally {
  moto?.stop();
}
console.log(`${cases.length - failed}/${cases.length} cases under ${LIMIT_MIB} MiB`);
process.exitCode = failed === 0 ? 0 : 1;
