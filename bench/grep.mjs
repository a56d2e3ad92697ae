#!/usr/bin/env node
// Benchmarks `trailkit grep` against baselines run in the same script, on the same files:
// `zcat` alone (the decompression floor) and `zcat | jq` doing the same filter. Prints ratios,
// which stay meaningful on a shared, noisy machine where absolute times do not.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const archive = join(root, 'bench', '.data', 'archive');
const bin = join(root, 'bin', 'trailkit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function ensureArchive() {
  if (existsSync(join(archive, '.complete'))) return;
  console.error('generating the benchmark archive (once)...');
  execFileSync(process.execPath, [join(root, 'fixtures', 'generate.mjs'), '--out', archive, '--bench'], { stdio: 'inherit' });
}

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.name.endsWith('.json.gz') && !entry.name.includes('_CloudTrail-Digest_')) out.push(full);
  }
  return out.sort();
}

/** Runs `sh -c script` with the files as "$@"; returns wall seconds and peak RSS (KiB) of the whole run. */
function timeShell(script, files) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', script, 'sh', ...files], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rssKiB, stdout: r.stdout };
}

function best(label, script, files) {
  let fastest;
  for (let i = 0; i < RUNS; i++) {
    const run = timeShell(script, files);
    if (fastest === undefined || run.seconds < fastest.seconds) fastest = { ...run, rssKiB: Math.max(run.rssKiB, fastest?.rssKiB ?? 0) };
    else fastest.rssKiB = Math.max(fastest.rssKiB, run.rssKiB);
  }
  return { label, ...fastest };
}

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

ensureArchive();
const files = listFiles(archive);
const compressed = files.reduce((n, f) => n + statSync(f).size, 0);
const uncompressed = Number(execFileSync('sh', ['-c', 'zcat "$@" | wc -c', 'sh', ...files], { encoding: 'utf8' }).trim());
console.log(`archive: ${files.length} files, ${(uncompressed / 1e6).toFixed(1)} MB uncompressed, ${(compressed / 1e6).toFixed(1)} MB compressed`);

const cases = [
  { name: "--event-name 'Delete*'", args: ['--event-name', 'Delete*'], jq: '.Records[] | select((.eventName // "") | startswith("Delete"))' },
  { name: '--errors', args: ['--errors'], jq: '.Records[] | select(.errorCode != null)' },
  // && binds tighter than ||: UnauthorizedOperation, or AccessDenied* not from log delivery nor HeadBucket.
  { name: '--preset cis-4.1 (unauthorized API calls)', args: ['--preset', 'cis-4.1'], jq: '.Records[] | select(((.errorCode // "") | endswith("UnauthorizedOperation")) or (((.errorCode // "") | startswith("AccessDenied")) and .sourceIPAddress != "delivery.logs.amazonaws.com" and .eventName != "HeadBucket"))' },
];

const floor = best('zcat', 'zcat "$@" > /dev/null', files);
console.log(`zcat alone (floor): ${floor.seconds.toFixed(3)} s`);
let failed = false;
for (const c of cases) {
  const trailkitCmd = `node ${shellQuote(bin)} grep ${shellQuote(archive)} ${c.args.map(shellQuote).join(' ')} --output json`;
  const tk = best('trailkit', `${trailkitCmd} > /dev/null`, []);
  const jq = best('jq', `zcat "$@" | jq -c ${shellQuote(c.jq)} > /dev/null`, files);
  const tkCount = Number(timeShell(`${trailkitCmd} | wc -l`, []).stdout.trim());
  const jqCount = Number(timeShell(`zcat "$@" | jq -c ${shellQuote(c.jq)} | wc -l`, files).stdout.trim());
  const vsFloor = tk.seconds / floor.seconds;
  const vsJq = jq.seconds / tk.seconds;
  console.log(`grep ${c.name}: ${tk.seconds.toFixed(3)} s, ${tkCount} matches (jq: ${jqCount}), peak RSS ${(tk.rssKiB / 1024).toFixed(0)} MiB`);
  console.log(`  ratio to zcat floor: ${vsFloor.toFixed(2)}x (target <= 1.3x)   speed-up over zcat|jq: ${vsJq.toFixed(1)}x (target >= 4x, jq ${jq.seconds.toFixed(3)} s)`);
  if (tkCount !== jqCount) {
    console.log('  MISMATCH: trailkit and jq found different numbers of events');
    failed = true;
  }
}

const startup = best('startup', `node ${shellQuote(bin)} --help > /dev/null`, []);
const nodeAlone = best('node', `node -e 0`, []);
console.log(`startup: trailkit --help ${(startup.seconds * 1000).toFixed(0)} ms (node -e 0: ${(nodeAlone.seconds * 1000).toFixed(0)} ms, target < 150 ms)`);
process.exitCode = failed ? 1 : 0;
