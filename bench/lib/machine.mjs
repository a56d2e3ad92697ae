// What a benchmark's ratios depend on besides the code: what a page of memory costs to fault in.
// Node's start-up, V8's heap and DuckDB's buffers touch far more fresh pages than zcat and jq do,
// and on the 2-core virtual machines this project is measured on that cost has varied from day to
// day: 7-14 µs a 4 KB page one day (the same build then took 1.02-1.11x jq's time on
// ../shared/data), 1.2-1.5 µs another (0.54-0.58x), when memory unused for minutes still cost
// 8-10 µs. Each benchmark prints the cost beside its ratios, measured as its own runs meet it: in
// a child process, on memory other processes freed moments before, so that a run can be read
// against the machine it ran on.
import { spawnSync } from 'node:child_process';

const TOUCH = `
const pages = 32768;
const buf = Buffer.allocUnsafeSlow(pages * 4096);
const t = process.hrtime.bigint();
for (let i = 0; i < buf.length; i += 4096) buf[i] = 1;
process.stdout.write(String(Number(process.hrtime.bigint() - t) / pages));
`;

/** Nanoseconds to fault in one fresh 4 KB page (best of `runs` child processes, 128 MB each). */
function pageFaultNs(runs = 3) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', TOUCH], { encoding: 'utf8' });
    const ns = Number(r.stdout);
    if (r.status === 0 && Number.isFinite(ns)) best = Math.min(best, ns);
  }
  return best;
}

/** One line on the machine's cost of fresh memory, for a benchmark's output. */
export function machineLine() {
  const ns = pageFaultNs();
  return Number.isFinite(ns) ? `machine: a fresh 4 KB page costs ${(ns / 1000).toFixed(2)} µs to fault in (best of 3, 128 MB each)` : 'machine: the cost of a fresh page could not be measured';
}
