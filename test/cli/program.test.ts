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

  const COMMANDS = ['grep', 'tail', 'download', 'validate-digest', 'setup', 'create-log-group', 'create-role', 'put-role-policy', 'update-trail', 'put-event-selectors', 'put-insight-selectors', 'policy', 'verify', 'index', 'query', 'athena'];

  it('lists every command, each with help that has examples and the global options', () => {
    const top = runCli(['--help']);
    expect(top.status).toBe(0);
    for (const command of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const command of COMMANDS) {
      const r = runCli([command, '--help']);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(/Examples?:/);
      if (command !== 'athena') expect(r.stdout, command).toContain('--no-color');
    }
    for (const sub of ['ddl', 'query']) expect(runCli(['athena', sub, '--help']).stdout).toMatch(/Examples:[\s\S]*--no-color|--no-color[\s\S]*Examples:/);
    for (const command of ['grep', 'tail']) expect(runCli([command, '--help']).stdout).toContain('--event-name');
  });

  it('a command named first is made alone, and behaves as when every command is made', () => {
    // `trailkit help X` and global options before the command make the whole program.
    for (const command of ['grep', 'policy', 'athena']) {
      const alone = runCli([command, '--help']);
      expect(alone.status, command).toBe(0);
      expect(alone.stdout, command).toBe(runCli(['help', command]).stdout);
    }
    const first = runCli(['grep', SAMPLE, '--event-name', 'Delete*', '--output', 'table', '--no-color']);
    const after = runCli(['--no-color', 'grep', SAMPLE, '--event-name', 'Delete*', '--output', 'table']);
    expect(first.status).toBe(0);
    expect(first.stdout).not.toBe('');
    expect(after).toMatchObject({ status: first.status, stdout: first.stdout, stderr: first.stderr });
    for (const args of [['grep', '--bogus'], ['athena', 'frobnicate']]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
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

  it('does not load any @aws-sdk module, nor DuckDB, for help, grep and tail on files, or policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailkit-trace-'));
    const trace = (args: string[], name: string) => {
      const file = join(dir, `${name}.txt`);
      const r = runCli(args, { nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-imports.mjs')], env: { TRAILKIT_TRACE_IMPORTS: file } });
      expect(r.status, r.stderr).toBe(0);
      const loaded = readFileSync(file, 'utf8');
      // The trace sees the CLI's own files (the bundle), so an empty trace cannot pass by accident.
      expect(loaded).toContain('<- ' + join(ROOT, 'dist', 'cli-bundle', 'main.cjs'));
      return loaded;
    };
    try {
      for (const args of [['--help'], ['grep', SAMPLE, '--count'], ['tail', SAMPLE, '-n', '1'], ...['pretty', 'table', 'text'].map((f) => ['grep', SAMPLE, '--output', f, '--limit', '5']), ['policy', 'bucket', '--bucket', 'my-trail-bucket', '--trail-arn', 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main']]) {
        const loaded = trace(args, args.join('-').replace(/[^\w-]/g, '_'));
        expect(loaded).not.toContain('@aws-sdk');
        expect(loaded).not.toContain('@duckdb');
      }
      // Node's worker modules load only where threads are started (TRAILKIT_WORKERS sets how many).
      expect(trace(['grep', SAMPLE, '--count'], 'one-thread')).not.toContain('worker_threads');
      const threaded = join(dir, 'threaded.txt');
      const r = runCli(['grep', SAMPLE, '--count', '--debug'], { nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-imports.mjs')], env: { TRAILKIT_TRACE_IMPORTS: threaded, TRAILKIT_WORKERS: '1' } });
      expect(r.stderr).toMatch(/search: 2 threads/);
      expect(readFileSync(threaded, 'utf8')).toContain('worker_threads <- ' + join(ROOT, 'dist', 'cli-bundle', 'main.cjs'));
      // The commands that need DuckDB load it (so the trace would see it), and still no AWS SDK.
      const index = join(dir, 'index');
      expect(runCli(['index', SAMPLE, '--to', index]).status).toBe(0);
      for (const args of [['query', 'SELECT 1', '--index', index], ['grep', '--index', index, '--count']]) {
        const loaded = trace(args, args[0] as string);
        // DuckDB's JavaScript API from the bundle's one file, not the package's 120-odd.
        expect(loaded).toContain('<- ' + join(ROOT, 'dist', 'cli-bundle', 'duckdb-api.cjs'));
        expect(loaded).toContain('@duckdb/node-bindings');
        expect(loaded).not.toContain('@duckdb/node-api');
        expect(loaded).not.toContain('@aws-sdk');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
