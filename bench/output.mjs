#!/usr/bin/env node
// Benchmarks the human-readable outputs of `trailkit grep` against `--output json` on the public
// CloudTrail files in ../shared/data (22,852 events), measured in the same run: each format must
// run at no less than half the speed of json (at most 2x its time). Also `trailkit --help`
// start-up against `node -e 0`, and that none of these runs loads an @aws-sdk module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const data = resolve(root, '..', 'shared', 'data');
const bin = join(root, 'bin', 'trailkit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `sh -c script`; wall seconds and peak RSS (KiB) of the whole run, workers included. */
function timeShell(script, env = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return { seconds, rssKiB: Number(r.stderr.trim().split('\n').pop()), stdout: r.stdout };
}

function best(script, env) {
  let fastest;
  for (let i = 0; i < RUNS; i++) {
    const run = timeShell(script, env);
    if (fastest === undefined || run.seconds < fastest.seconds) fastest = run;
  }
  return fastest;
}

if (!existsSync(data)) {
  console.log(`skipped: ${data} is not here (the public CloudTrail files this benchmark reads)`);
  process.exit(0);
}

const grep = (format, extra = '') => `node ${shellQuote(bin)} grep ${shellQuote(data)} --output ${format}${extra}`;
const count = Number(timeShell(`${grep('json')} | wc -l`).stdout.trim());
console.log(`input: ${data}, ${count} events (best of ${RUNS} runs each)`);

// Runs are interleaved (json, pretty, ..., then again), so a noisy neighbour slows every format
// alike rather than the one that happened to run during it; the best run of each counts.
const cases = [
  ['json', 'json', {}],
  ['pretty', 'pretty, fitted to 120 columns', { COLUMNS: '120' }],
  ['pretty', 'pretty, full values (not a terminal)', {}],
  ['table', 'table, fitted to 120 columns', { COLUMNS: '120' }],
  ['table', 'table, preferred widths (not a terminal)', {}],
  ['text', 'text (tab-separated)', {}],
];
const results = cases.map(() => ({ seconds: Infinity, rssKiB: 0 }));
for (let i = 0; i < RUNS; i++) {
  cases.forEach(([format, , env], c) => {
    const run = timeShell(`${grep(format)} > /dev/null`, env);
    const r = results[c];
    r.seconds = Math.min(r.seconds, run.seconds);
    r.rssKiB = Math.max(r.rssKiB, run.rssKiB);
  });
}
const json = results[0];
console.log(`--output json: ${json.seconds.toFixed(3)} s, peak RSS ${(json.rssKiB / 1024).toFixed(0)} MiB (baseline)`);
let failed = false;
cases.slice(1).forEach(([format, label, env], index) => {
  const run = results[index + 1];
  const lines = Number(timeShell(`${grep(format)} | wc -l`, env).stdout.trim());
  const ratio = run.seconds / json.seconds;
  const ok = ratio <= 2;
  if (!ok) failed = true;
  console.log(`--output ${label}: ${run.seconds.toFixed(3)} s, ${lines} lines, peak RSS ${(run.rssKiB / 1024).toFixed(0)} MiB; ${ratio.toFixed(2)}x the time of json, ${(1 / ratio).toFixed(2)}x its speed (target >= 0.5x)${ok ? '' : '  NOT MET'}`);
});

const help = best(`node ${shellQuote(bin)} --help > /dev/null`);
const node = best('node -e 0');
const helpOk = help.seconds < 0.15;
if (!helpOk) failed = true;
console.log(`start-up: trailkit --help ${(help.seconds * 1000).toFixed(0)} ms, node -e 0 ${(node.seconds * 1000).toFixed(0)} ms (target < 150 ms)${helpOk ? '' : '  NOT MET'}`);

// No @aws-sdk module in any of these runs (the same import trace the tests use).
const traceDir = mkdtempSync(join(tmpdir(), 'trailkit-bench-trace-'));
try {
  for (const args of [['--help'], ...['json', 'pretty', 'table', 'text'].map((f) => ['grep', data, '--output', f])]) {
    const trace = join(traceDir, 'trace.txt');
    spawnSync(process.execPath, ['--import', join(root, 'test', 'helpers', 'trace-imports.mjs'), bin, ...args], { env: { ...process.env, TRAILKIT_TRACE_IMPORTS: trace }, stdio: 'ignore' });
    const loaded = readFileSync(trace, 'utf8');
    const sdk = loaded.includes('@aws-sdk');
    if (sdk || !loaded.includes('/node_modules/commander/')) failed = true;
    console.log(`modules of trailkit ${args[0]}${args[0] === 'grep' ? ` --output ${args[3]}` : ''}: ${sdk ? 'an @aws-sdk module was loaded' : 'no @aws-sdk module'}`);
  }
} finally {
  rmSync(traceDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
