#!/usr/bin/env node
// Benchmarks `trailkit index` and the questions asked of the index against `grep` over the same
// .json.gz files, measured in the same run: index wall time as a multiple of one grep pass, index
// size against the gzip files, peak RSS while indexing, and five questions through `query` /
// `grep --index` as a speed-up over grep (one process per question, and all five through one
// `query --file` process). Prints ratios, which stay meaningful on a shared machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineLine } from './lib/machine.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const archive = join(root, 'bench', '.data', 'archive');
const bin = join(root, 'bin', 'trailkit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

if (!existsSync(join(archive, '.complete'))) {
  console.error('generating the benchmark archive (once)...');
  execFileSync(process.execPath, [join(root, 'fixtures', 'generate.mjs'), '--out', archive, '--bench'], { stdio: 'inherit' });
}

function sizeOf(dir, filter = () => true) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(full, filter);
    else if (filter(full)) total += statSync(full).size;
  }
  return total;
}

/** Runs trailkit with args; wall seconds, peak RSS (KiB), stdout. */
function run(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`trailkit ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rssKiB, stdout: r.stdout };
}

function best(args, runs = RUNS) {
  let fastest;
  for (let i = 0; i < runs; i++) {
    const r = run(args);
    if (fastest === undefined || r.seconds < fastest.seconds) fastest = r;
  }
  return fastest;
}

const gz = sizeOf(archive, (f) => f.endsWith('.json.gz') && !f.includes('_CloudTrail-Digest_'));
console.log(`archive: ${(gz / 1e6).toFixed(1)} MB of .json.gz`);
console.log(machineLine());

const grepPass = best(['grep', archive, '--event-name', 'Delete*', '--output', 'json']);
console.log(`one grep pass (--event-name 'Delete*'): ${grepPass.seconds.toFixed(2)} s`);

const work = mkdtempSync(join(tmpdir(), 'trailkit-bench-index-'));
const dir = join(work, 'index');
let failed = false;
try {
  // The build is timed like grep (the fastest of RUNS, each into a new folder); its peak RSS is the highest of them.
  let index;
  let peakKiB = 0;
  for (let i = 0; i < RUNS; i++) {
    rmSync(dir, { recursive: true, force: true });
    const r = run(['index', archive, '--to', dir, '--output', 'json']);
    peakKiB = Math.max(peakKiB, r.rssKiB);
    if (index === undefined || r.seconds < index.seconds) index = r;
  }
  const summary = JSON.parse(index.stdout);
  const indexSize = sizeOf(dir);
  const rssMiB = peakKiB / 1024;
  const ratio = index.seconds / grepPass.seconds;
  console.log(`index: ${index.seconds.toFixed(2)} s for ${summary.events} events = ${ratio.toFixed(2)}x one grep pass (target <= 3x; the fastest of ${RUNS}); peak RSS ${rssMiB.toFixed(0)} MiB, the highest of them (target < 512 MiB)`);
  console.log(`index size: ${(indexSize / 1e6).toFixed(1)} MB = ${(indexSize / gz).toFixed(2)}x the gzip files (target <= 1x)`);
  if (ratio > 3 || rssMiB >= 512 || indexSize > gz) failed = true;
  const rerun = run(['index', archive, '--to', dir, '--output', 'json']);
  console.log(`index again (nothing new): ${rerun.seconds.toFixed(2)} s, ${JSON.parse(rerun.stdout).unchanged} files unchanged`);

  const key = run(['query', "SELECT useridentity.accesskeyid FROM events WHERE useridentity.accesskeyid LIKE 'AKIA%' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", '--index', dir, '--output', 'text']).stdout.trim();
  const principal = run(['query', "SELECT useridentity.arn FROM events WHERE useridentity.type = 'IAMUser' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", '--index', dir, '--output', 'text']).stdout.trim();
  const questions = [
    { name: 'an event name', grep: ['--event-name', 'DeleteBucket'], index: ['grep', '--index', dir, '--event-name', 'DeleteBucket'] },
    { name: `an access key (${key})`, grep: ['--pattern', `{ $.userIdentity.accessKeyId = "${key}" }`], index: ['query', '--access-key', key, '--index', dir] },
    { name: "a principal's timeline", grep: ['--user', principal], index: ['query', '--timeline', principal, '--index', dir] },
    { name: 'an error summary', grep: ['--errors'], index: ['query', 'SELECT errorcode, eventname, count(*) AS n FROM events WHERE errorcode IS NOT NULL GROUP BY ALL ORDER BY n DESC', '--index', dir] },
    { name: 'a CIDR', grep: ['--source-ip', '203.0.113.0/24'], index: ['grep', '--index', dir, '--source-ip', '203.0.113.0/24'] },
  ];
  let grepTotal = 0;
  let perProcessTotal = 0;
  for (const q of questions) {
    const g = best(['grep', archive, ...q.grep, '--output', 'json']);
    const i = best([...q.index, '--output', 'json']);
    grepTotal += g.seconds;
    perProcessTotal += i.seconds;
    const speedup = g.seconds / i.seconds;
    const counts = `${g.stdout.split('\n').filter(Boolean).length} events by grep, ${i.stdout.split('\n').filter(Boolean).length} rows from the index`;
    console.log(`${q.name}: grep ${g.seconds.toFixed(2)} s, index ${(i.seconds * 1000).toFixed(0)} ms = ${speedup.toFixed(1)}x faster (target >= 20x); ${counts}`);
    if (speedup < 20) failed = true;
  }
  console.log(`five questions, one process each: grep ${grepTotal.toFixed(2)} s, index ${perProcessTotal.toFixed(2)} s = ${(grepTotal / perProcessTotal).toFixed(1)}x faster`);

  // The same five questions through ONE `query --file` process: grep's filters compiled to SQL by
  // the module grep --index uses (the candidates it asks DuckDB for), and the SQL the named
  // questions run (from --show-sql), each named by a comment.
  const { compileFilterSql } = await import(pathToFileURL(join(root, 'dist', 'core', 'query-model.js')).href);
  const { SOURCE_ORDER } = await import(pathToFileURL(join(root, 'dist', 'core', 'index-sql.js')).href);
  const filterSql = (spec) => `SELECT raw FROM events WHERE ${compileFilterSql(spec, { dialect: 'duckdb', table: 'index', from: 'events', partitions: { kind: 'index' } }, { superset: true }).sql} ORDER BY ${SOURCE_ORDER}`;
  const grepSql = (args) => (args.includes('--event-name') ? filterSql({ eventNames: [args[args.indexOf('--event-name') + 1]] }) : filterSql({ sourceIps: [args[args.indexOf('--source-ip') + 1]] }));
  const shownSql = (args, prefix) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--show-sql', '--output', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
    return r.stderr.replace(/^-- ([a-z-]+):/gm, `-- ${prefix}-$1:`);
  };
  const file = join(work, 'five.sql');
  writeFileSync(file, [
    `-- event-name: an event name\n${grepSql(questions[0].index)};\n`,
    shownSql(questions[1].index, 'access-key'),
    shownSql(questions[2].index, 'timeline'),
    `-- error-summary: an error summary\n${questions[3].index[1]};\n`,
    `-- cidr: a CIDR\n${grepSql(questions[4].index)};\n`,
  ].join('\n'));
  let five;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, 'query', '--index', dir, '--file', file, '--output', 'json', '--debug'], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`query --file failed (${r.status}): ${r.stderr}`);
    if (five === undefined || seconds < five.seconds) five = { seconds, stderr: r.stderr, rows: r.stdout.split('\n').filter(Boolean).length };
  }
  const each = [...five.stderr.matchAll(/debug: ([a-z-]+): (\d+) rows in (\d+) ms/g)].map((m) => `${m[1]} ${m[3]} ms (${m[2]} rows)`);
  const fiveRatio = grepTotal / five.seconds;
  console.log(`five questions in one process (query --file): ${five.seconds.toFixed(2)} s against five grep passes ${grepTotal.toFixed(2)} s = ${fiveRatio.toFixed(1)}x faster (target >= 20x; one process each: ${(grepTotal / perProcessTotal).toFixed(1)}x); ${five.rows} rows; per statement: ${each.join(', ')}`);
  if (fiveRatio < 20) failed = true;
  const startup = best(['query', 'SELECT 1', '--index', dir, '--output', 'json']);
  console.log(`floor: 'query SELECT 1' on the index (start-up and DuckDB load) ${(startup.seconds * 1000).toFixed(0)} ms; grep pass / floor = ${(grepPass.seconds / startup.seconds).toFixed(1)}x`);

  // Deliveries full of long requestParameters (grep's large benchmark archive, the same options):
  // DuckDB holds more per row, and a batch that runs it out of memory on two threads is written
  // again on one. Every run must index every event, under 512 MiB.
  const long = join(root, 'bench', '.data', 'deliveries');
  if (!existsSync(join(long, '.complete'))) {
    console.error('generating grep\'s large benchmark archive (once)...');
    execFileSync(process.execPath, [join(root, 'fixtures', 'generate.mjs'), '--out', long, '--quiet', '--bench', '--escapes', '--long-parameters', '--events-per-file', '20-500'], { stdio: 'inherit' });
    writeFileSync(join(long, '.complete'), '');
  }
  const longGrep = best(['grep', long, '--event-name', 'Delete*', '--output', 'json']);
  const longDir = join(work, 'long');
  const longRuns = [];
  for (let i = 0; i < RUNS; i++) {
    rmSync(longDir, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, 'index', long, '--to', longDir, '--output', 'json', '--debug'], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssMiB = Number(r.stderr.trim().split('\n').pop()) / 1024;
    const retries = (r.stderr.match(/writing it again on one thread/g) ?? []).length;
    longRuns.push({ ok: r.status === 0, seconds, rssMiB, retries, events: r.status === 0 ? JSON.parse(r.stdout).events : 0, error: r.status === 0 ? '' : r.stderr.split('\n').find((l) => l.startsWith('trailkit: ') && !l.includes('indexing')) ?? '' });
  }
  const done = longRuns.filter((r) => r.ok);
  const longPeak = Math.max(...longRuns.map((r) => r.rssMiB));
  const fastest = Math.min(...done.map((r) => r.seconds));
  console.log(`long requestParameters (${(sizeOf(long, (f) => f.endsWith('.json.gz')) / 1e6).toFixed(1)} MB of .json.gz): ${done.length} of ${RUNS} index runs finished (${done.map((r) => r.events).join(', ')} events), ${longRuns.reduce((n, r) => n + r.retries, 0)} batches written again on one thread; fastest ${Number.isFinite(fastest) ? fastest.toFixed(2) : '-'} s = ${(fastest / longGrep.seconds).toFixed(2)}x one grep pass (${longGrep.seconds.toFixed(2)} s); peak RSS ${longPeak.toFixed(0)} MiB (target < 512 MiB)`);
  for (const r of longRuns.filter((x) => !x.ok)) console.log(`  failed: ${r.error}`);
  if (done.length < RUNS || longPeak >= 512) failed = true;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
