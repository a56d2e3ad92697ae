import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, SAMPLE, SHARED_DATA } from '../helpers/cli.js';

// The search reads records with a WebAssembly loop where Node can compile it, and with the
// JavaScript loop where it cannot (node --jitless has no WebAssembly): the same bytes either way.
const FILTERS: string[][] = [['--errors'], ['--event-name', 'Delete*'], ['--preset', 'cis-4.1'], ['--user', 'alice'], ['--pattern', '{ $.eventSource = "s3.amazonaws.com" }']];

describe('grep without WebAssembly', () => {
  it('prints the same events of the sample, byte for byte, for every kind of filter', () => {
    let total = 0;
    for (const filter of FILTERS) {
      const fast = runCli(['grep', SAMPLE, ...filter, '--output', 'json']);
      const plain = runCli(['grep', SAMPLE, ...filter, '--output', 'json'], { nodeArgs: ['--jitless'] });
      expect(plain.status).toBe(fast.status);
      expect(plain.stdout).toBe(fast.stdout);
      total += fast.stdout.split('\n').filter((l) => l !== '').length;
    }
    // Not a comparison of two empty outputs.
    expect(total).toBeGreaterThan(100);
  }, 120_000);

  it.skipIf(!existsSync(SHARED_DATA))('prints the same events of ../shared/data, byte for byte', () => {
    for (const filter of [['--errors'], ['--event-name', 'Get*']]) {
      const fast = runCli(['grep', SHARED_DATA, ...filter, '--output', 'json'], { timeoutMs: 120_000 });
      const plain = runCli(['grep', SHARED_DATA, ...filter, '--output', 'json'], { nodeArgs: ['--jitless'], timeoutMs: 120_000 });
      expect(plain.stdout).toBe(fast.stdout);
      expect(fast.stdout.length).toBeGreaterThan(10_000);
    }
  }, 300_000);
});
