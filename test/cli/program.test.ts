import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, SAMPLE } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('trailkit program', () => {
  it('prints its version', () => {
    const r = runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('has help with examples for each command and says what is not built yet', () => {
    const top = runCli(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('grep');
    expect(top.stdout).toContain('tail');
    expect(top.stdout).toMatch(/not built yet/);
    for (const command of ['grep', 'tail']) {
      const r = runCli([command, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('--event-name');
      expect(r.stdout).toContain('--no-color');
    }
  });

  it('exits 2 on an unknown command or option, with one line and no stack', () => {
    const r = runCli(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('accepts the global options before and after the command', () => {
    expect(runCli(['--no-color', 'grep', SAMPLE, '--count']).status).toBe(0);
    expect(runCli(['grep', SAMPLE, '--count', '--no-color', '--debug']).stderr).toMatch(/^trailkit: debug: grep: \d+ files/m);
  });

  it('colours only when asked: FORCE_COLOR on, NO_COLOR and --no-color off', () => {
    const args = ['grep', SAMPLE, '--output', 'pretty', '--limit', '1'];
    expect(runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toMatch(/\u001b\[/);
    expect(runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toMatch(/\u001b\[/);
    expect(runCli([...args, '--no-color'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).not.toMatch(/\u001b/);
    expect(runCli(args, { env: { NO_COLOR: '1' } }).stdout).not.toMatch(/\u001b/);
    // Not a terminal and nothing forced: no colour.
    expect(runCli(args, { env: { NO_COLOR: '' } }).stdout).not.toMatch(/\u001b/);
  });

  it('does not load any @aws-sdk module for help or for grep on files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailkit-trace-'));
    try {
      for (const args of [['--help'], ['grep', SAMPLE, '--count'], ['tail', SAMPLE, '-n', '1']]) {
        const trace = join(dir, `${args[0]}.txt`);
        const r = runCli(args, { nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-imports.mjs')], env: { TRAILKIT_TRACE_IMPORTS: trace } });
        expect(r.status).toBe(0);
        const loaded = readFileSync(trace, 'utf8');
        // The trace sees the CLI's own modules, so an empty trace cannot pass by accident.
        expect(loaded).toContain('/node_modules/commander/');
        expect(loaded).not.toContain('@aws-sdk');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
