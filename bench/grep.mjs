#!/usr/bin/env node
// Benchmarks `trailkit grep` against baselines run in the same script, on the same files, in
// interleaved rounds (a noisy neighbour slows every command of a round alike); the best round of
// each command counts. Three archives:
//   - a large one generated to look like real deliveries (20-500 records per file, \u escapes,
//     long requestParameters, varied record shapes): against `zcat` alone (single core, the
//     decompression floor; target <= 1.0x with both cores) and `zcat | jq` with the same filter
//     (target >= 4x faster), peak RSS under 256 MiB;
//   - 1,000+ small generated files, and the 1,120 .json.gz files of ../shared/data (skipped, with
//     a line, when absent): against `find | xargs zcat | jq` (target: no slower);
//   - on each, `--count`, `--output json` and pretty output within the same bounds;
//   - when the machine sets NODE_EXTRA_CA_CERTS (Node 20 reads that file at every start), the
//     public files once more with trailkit run without it, for comparison: the target is judged
//     on the run as the machine is.
// `BENCH_RUNS` rounds (default 3). Exits 1 when trailkit and jq find different numbers of events.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine } from './lib/machine.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = join(root, 'bin', 'trailkit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MiB = 1024 * 1024;

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Generates an archive once into bench/.data/NAME (never committed); its folder. */
function generated(name, options) {
  const dir = join(root, 'bench', '.data', name);
  if (!existsSync(join(dir, '.complete'))) {
    console.error(`generating ${dir} (once)...`);
    execFileSync(process.execPath, [join(root, 'fixtures', 'generate.mjs'), '--out', dir, '--quiet', ...options], { stdio: 'inherit' });
  }
  return dir;
}

function listFiles(dir, keep) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, keep));
    else if (keep(entry.name)) out.push(full);
  }
  return out.sort();
}

const isLogGz = (name) => name.endsWith('.json.gz') && !name.includes('_CloudTrail-Digest_');

/** Runs `sh -c script` with `args` as "$@": wall seconds, CPU seconds (user + system) and peak RSS (bytes) of the whole run, workers included. */
function timeShell(script, args = []) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // grep exits 1 when nothing matched.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  const [user, system, rssKiB] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, cpu: user + system, rss: rssKiB * 1024, stdout: r.stdout };
}

/** Runs every command RUNS times, interleaved; the fastest run of each, with the peak RSS over all runs. */
function race(commands) {
  const best = commands.map(() => ({ seconds: Infinity, cpu: 0, rss: 0 }));
  for (let round = 0; round < RUNS; round++) {
    commands.forEach((c, i) => {
      const run = timeShell(c.script, c.args);
      const b = best[i];
      if (run.seconds < b.seconds) Object.assign(b, { seconds: run.seconds, cpu: run.cpu });
      b.rss = Math.max(b.rss, run.rss);
    });
  }
  return best;
}

const fmt = (s) => `${s.seconds.toFixed(3)} s (cpu ${s.cpu.toFixed(2)} s)`;
const mib = (bytes) => `${Math.round(bytes / MiB)} MiB`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');

let mismatch = false;

/**
 * One archive: `paths` are what trailkit is given (a folder, or the files), `files` what the
 * baselines read. `cases`: filters with their jq equivalent; the first is also run with --count
 * and pretty output.
 */
function benchArchive({ title, paths, files, cases, floorTarget, jqTarget, findRoot, node = 'node' }) {
  const uncompressed = Number(execFileSync('sh', ['-c', 'zcat "$@" | wc -c', 'sh', ...files], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim());
  const compressed = files.reduce((n, f) => n + statSync(f).size, 0);
  console.log(`\n${title}: ${files.length} files, ${(uncompressed / 1e6).toFixed(1)} MB of JSON (${(compressed / 1e6).toFixed(1)} MB gzip)`);
  const grep = (args, output) => `${node} ${shellQuote(bin)} grep ${paths === 'args' ? '"$@"' : shellQuote(paths)} ${args.map(shellQuote).join(' ')} ${output}`;
  const tkArgs = paths === 'args' ? files : [];
  const jqScript = (jq) => (findRoot !== undefined ? `find "$1" -name '*.json.gz' ! -name '*_CloudTrail-Digest_*' -print0 | xargs -0 zcat | jq -c ${shellQuote(jq)}` : `zcat "$@" | jq -c ${shellQuote(jq)}`);
  const jqArgs = findRoot !== undefined ? [findRoot] : files;

  const commands = [
    { key: 'zcat', script: 'zcat "$@" > /dev/null', args: files },
    // How much of a second core the machine gives: two zcats at once take 1x one's time on two free cores, 2x on one.
    { key: 'zcat2', script: 'zcat "$@" > /dev/null & zcat "$@" > /dev/null & wait', args: files },
  ];
  cases.forEach((c, n) => {
    commands.push({ key: `jq${n}`, script: `${jqScript(c.jq)} > /dev/null`, args: jqArgs });
    commands.push({ key: `json${n}`, script: `${grep(c.args, '--output json')} > /dev/null`, args: tkArgs });
    if (n === 0) {
      commands.push({ key: 'count', script: `${grep(c.args, '--count')} > /dev/null`, args: tkArgs });
      commands.push({ key: 'pretty', script: `${grep(c.args, '--output pretty')} > /dev/null`, args: tkArgs });
    }
  });
  const results = Object.fromEntries(race(commands).map((r, i) => [commands[i].key, r]));
  const floor = results.zcat;
  console.log(`  zcat alone (one core): ${fmt(floor)}; two zcats at once: ${(results.zcat2.seconds / floor.seconds).toFixed(2)}x its time (1x when a second core is free, 2x when not)`);

  cases.forEach((c, n) => {
    const tkCount = Number(timeShell(`${grep(c.args, '--output json')} | wc -l`, tkArgs).stdout.trim());
    const jqCount = Number(timeShell(`${jqScript(c.jq)} | wc -l`, jqArgs).stdout.trim());
    const jq = results[`jq${n}`];
    console.log(`  grep ${c.name}: ${tkCount} events (jq: ${jqCount}); zcat | jq: ${fmt(jq)}`);
    if (tkCount !== jqCount) {
      console.log('    MISMATCH: trailkit and jq found different numbers of events');
      mismatch = true;
    }
    const outputs = n === 0 ? [['--output json', `json${n}`], ['--count', 'count'], ['--output pretty', 'pretty']] : [['--output json', `json${n}`]];
    for (const [label, key] of outputs) {
      const tk = results[key];
      const vsFloor = tk.seconds / floor.seconds;
      const vsJq = jq.seconds / tk.seconds;
      const parts = [`${label.padEnd(15)} ${fmt(tk)}, peak RSS ${mib(tk.rss)}`];
      if (floorTarget !== undefined) parts.push(`${vsFloor.toFixed(2)}x zcat (<= ${floorTarget}x: ${verdict(vsFloor <= floorTarget)})`);
      else parts.push(`${vsFloor.toFixed(2)}x zcat`);
      parts.push(`${vsJq.toFixed(2)}x faster than zcat | jq (>= ${jqTarget}x: ${verdict(vsJq >= jqTarget)})`);
      if (floorTarget !== undefined) parts.push(`RSS < 256 MiB: ${verdict(tk.rss < 256 * MiB)}`);
      console.log(`    ${parts.join('; ')}`);
    }
  });
}

const DELETE = { name: '--event-name DeleteTrail', args: ['--event-name', 'DeleteTrail'], jq: '.Records[] | select(.eventName == "DeleteTrail")' };
const ERRORS = { name: '--errors', args: ['--errors'], jq: '.Records[] | select(.errorCode != null)' };
// && binds tighter than ||: UnauthorizedOperation, or AccessDenied* not from log delivery nor HeadBucket.
const CIS_41 = {
  name: '--preset cis-4.1 (unauthorized API calls)',
  args: ['--preset', 'cis-4.1'],
  jq: '.Records[] | select(((.errorCode // "") | endswith("UnauthorizedOperation")) or (((.errorCode // "") | startswith("AccessDenied")) and .sourceIPAddress != "delivery.logs.amazonaws.com" and .eventName != "HeadBucket"))',
};

console.log(`best of ${RUNS} interleaved rounds; cpu is user + system time of that run, all threads and processes`);
console.log(machineLine());

// Large files shaped like real deliveries: 300 files of 20-500 records, about 180 MB of JSON.
const large = generated('deliveries', ['--bench', '--escapes', '--long-parameters', '--events-per-file', '20-500']);
benchArchive({ title: `large archive (${large})`, paths: large, files: listFiles(large, isLogGz), cases: [DELETE, ERRORS, CIS_41], floorTarget: 1.0, jqTarget: 4 });

// Many small files: 1,080 files of 1-40 records, as an hour or a day of one account's deliveries.
const small = generated('small-deliveries', ['--bench', '--escapes', '--long-parameters', '--events-per-file', '1-40', '--hours', '6', '--files-per-hour', '30']);
benchArchive({ title: `many small files (${small})`, paths: small, files: listFiles(small, isLogGz), cases: [ERRORS, DELETE], jqTarget: 1, findRoot: small });

const shared = resolve(root, '..', 'shared', 'data');
if (existsSync(shared)) {
  // The .json.gz files only, named on the command line: the other files there are in formats jq would need another filter for.
  benchArchive({ title: `public CloudTrail files (${shared}, its .json.gz files)`, paths: 'args', files: listFiles(shared, isLogGz), cases: [ERRORS, DELETE], jqTarget: 1, findRoot: shared });
  // Node 20 reads the file NODE_EXTRA_CA_CERTS names at every start, before any script runs (see
  // below): the same race as a machine without the variable runs it.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    benchArchive({
      title: `the same files, trailkit run without NODE_EXTRA_CA_CERTS (env -u; the target is judged on the run above)`,
      paths: 'args', files: listFiles(shared, isLogGz), cases: [ERRORS], jqTarget: 1, findRoot: shared, node: 'env -u NODE_EXTRA_CA_CERTS node',
    });
  }
} else {
  console.log(`\nskipped the public CloudTrail files: ${shared} is not here`);
}

const startup = race([
  { script: `node ${shellQuote(bin)} --help > /dev/null` },
  { script: 'node -e 0' },
]);
console.log(`\nstartup: trailkit --help ${(startup[0].seconds * 1000).toFixed(0)} ms (node -e 0: ${(startup[1].seconds * 1000).toFixed(0)} ms, target < 150 ms)`);
// Node 20 reads the file NODE_EXTRA_CA_CERTS names at every start, before any script runs: a cost
// every trailkit run above carries and jq does not, which a machine without the variable is spared.
if (process.env.NODE_EXTRA_CA_CERTS) {
  const [withCa, withoutCa] = race([{ script: 'node -e 0' }, { script: 'env -u NODE_EXTRA_CA_CERTS node -e 0' }]);
  console.log(`NODE_EXTRA_CA_CERTS is set here: node -e 0 takes ${(withCa.seconds * 1000).toFixed(0)} ms with it, ${(withoutCa.seconds * 1000).toFixed(0)} ms without`);
}
process.exitCode = mismatch ? 1 : 0;
