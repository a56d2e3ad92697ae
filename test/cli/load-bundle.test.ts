import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript in bin/, without type declarations.
import { loadBundle } from '../../bin/load-bundle.js';

interface Loaded {
  exports: { answer: string; file: string; dynamic: Promise<string> };
  cache: 'accepted' | 'rejected' | 'stale' | 'absent' | 'off';
}
const load = loadBundle as (url: URL, options?: { codeCache?: boolean }) => Loaded;

const ROOT = join(import.meta.dirname, '..', '..');
const LOADER = pathToFileURL(join(ROOT, 'bin', 'load-bundle.js')).href;

/**
 * Loads the bundle in a fresh process: within one process V8 keeps what it compiled by source
 * text, and a second load of the same text would not look at the cache at all.
 */
function loadFresh(url: URL): { cache: string; answer: string } {
  const script = `
    import { loadBundle } from ${JSON.stringify(LOADER)};
    const r = loadBundle(new URL(${JSON.stringify(url.href)}), { codeCache: true });
    process.stdout.write(JSON.stringify({ cache: r.cache, answer: r.exports.answer }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { cache: string; answer: string };
}
// Node 22.1+ caches compiled code itself, and the build then makes no cache of its own.
const nodeCaches = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** A CommonJS bundle whose exports show which source ran; `word` has the same length in every version. */
const bundleText = (word: string) => `
const path = require('node:path');
module.exports.answer = path.join('answer', ${JSON.stringify(word)});
module.exports.file = __filename;
module.exports.dynamic = Promise.resolve().then(() => typeof require('node:os').cpus);
`;
/** The same with an import(), which Node 20 cannot run from code V8 took from a cache. */
const importingText = (word: string) => bundleText(word).replace("Promise.resolve().then(() => typeof require('node:os').cpus)", "import('node:os').then((os) => typeof os.cpus)");

describe('loadBundle: the command line with a code cache', () => {
  let dir: string;
  let file: string;
  let url: URL;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-bundle-'));
    file = join(dir, 'main.cjs');
    url = pathToFileURL(file);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes the cache of the bundle as it is now, dated `at` (seconds), the bundle dated `at - 10`. */
  const makeCache = (at: number) => {
    const script = `
      import { writeFileSync } from 'node:fs';
      import { loadBundle } from ${JSON.stringify(LOADER)};
      const r = loadBundle(new URL(${JSON.stringify(url.href)}), { codeCache: true });
      writeFileSync(${JSON.stringify(`${file}.cache`)}, r.script.createCachedData());`;
    expect(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).status).toBe(0);
    utimesSync(file, at - 10, at - 10);
    utimesSync(`${file}.cache`, at, at);
  };
  /** The bundle with 'alpha', and its cache dated 2_000_000_000 s. */
  const alphaWithCache = () => {
    writeFileSync(file, bundleText('alpha'));
    makeCache(2_000_000_000);
  };

  it('runs the file as require would: its exports, __filename and require', async () => {
    writeFileSync(file, bundleText('alpha'));
    for (const codeCache of [false, true]) {
      const r = load(url, { codeCache });
      expect(r.cache).toBe(codeCache ? 'absent' : 'off');
      expect(r.exports.answer).toBe(join('answer', 'alpha'));
      expect(r.exports.file).toBe(file);
      expect(await r.exports.dynamic).toBe('function');
    }
  });

  it('a file with characters outside ASCII is read as UTF-8', () => {
    writeFileSync(file, bundleText('alpha').replace("'answer'", "'r\u00e9ponse \u20ac \u{1f510}'"));
    expect(readFileSync(file, 'utf8')).toContain('r\u00e9ponse \u20ac \u{1f510}');
    expect(load(url, { codeCache: true }).exports.answer).toBe(join('r\u00e9ponse \u20ac \u{1f510}', 'alpha'));
  });

  it('a file with an import() is never run from a cache, and its import() works', async () => {
    writeFileSync(file, importingText('alpha'));
    // A cache V8 would accept: made for the same text without the check.
    const script = `
      import { readFileSync, writeFileSync } from 'node:fs';
      import vm from 'node:vm';
      const s = new vm.Script(readFileSync(${JSON.stringify(file)}, 'utf8'), { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
      writeFileSync(${JSON.stringify(`${file}.cache`)}, s.createCachedData());`;
    expect(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).status).toBe(0);
    utimesSync(file, 1_999_999_000, 1_999_999_000);
    utimesSync(`${file}.cache`, 2_000_000_000, 2_000_000_000);
    expect(loadFresh(url)).toEqual({ cache: 'off', answer: join('answer', 'alpha') });
    const r = load(url, { codeCache: true });
    expect(await r.exports.dynamic).toBe('function');
  });

  it('uses a cache made for the same file', () => {
    alphaWithCache();
    expect(loadFresh(url)).toEqual({ cache: 'accepted', answer: join('answer', 'alpha') });
  });

  it('an edit of the same length after the cache was made: the cache is not offered, the new source runs', () => {
    alphaWithCache();
    // V8 checks only the source's length: offered, this cache would run the old text.
    writeFileSync(file, bundleText('omega'));
    utimesSync(file, 2_000_000_100, 2_000_000_100);
    expect(loadFresh(url)).toEqual({ cache: 'stale', answer: join('answer', 'omega') });
  });

  it('a cache of another source length, or of garbage, is refused by V8 and the source runs', () => {
    alphaWithCache();
    writeFileSync(file, bundleText('a longer word'));
    utimesSync(file, 1_999_999_000, 1_999_999_000);
    expect(loadFresh(url)).toEqual({ cache: 'rejected', answer: join('answer', 'a longer word') });
    writeFileSync(`${file}.cache`, Buffer.alloc(4096, 0x5a));
    utimesSync(`${file}.cache`, 2_000_000_000, 2_000_000_000);
    expect(loadFresh(url)).toEqual({ cache: 'rejected', answer: join('answer', 'a longer word') });
  });

  it('an error in the bundle is thrown with the bundle\'s file and line', () => {
    writeFileSync(file, '\n\nthrow new Error("broken bundle");\n');
    let stack = '';
    try {
      load(url, { codeCache: true });
    } catch (error) {
      stack = (error as Error).stack ?? '';
    }
    expect(stack).toContain('broken bundle');
    expect(stack).toContain(`${file}:3`);
  });

  it('the command line\'s bundle has no import() (its packages are required)', () => {
    expect(readFileSync(join(ROOT, 'dist', 'cli-bundle', 'main.cjs'), 'utf8')).not.toContain('import(');
  });

  it.skipIf(nodeCaches)('the build\'s cache for the command line is accepted by this Node', () => {
    expect(readFileSync(join(ROOT, 'dist', 'cli-bundle', 'main.cjs.cache')).length).toBeGreaterThan(10_000);
    const script = `
      import { loadBundle } from ${JSON.stringify(pathToFileURL(join(ROOT, 'bin', 'load-bundle.js')).href)};
      process.argv = [process.argv[0], 'trailkit', '--version'];
      const r = loadBundle(new URL(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli-bundle', 'main.cjs')).href)}), { codeCache: true });
      process.stderr.write('cache ' + r.cache + '\\n');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('cache accepted\n');
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it.skipIf(nodeCaches)('the build\'s cache for DuckDB\'s bundled API is accepted by this Node, and the API works', () => {
    expect(readFileSync(join(ROOT, 'dist', 'cli-bundle', 'duckdb-api.cjs.cache')).length).toBeGreaterThan(10_000);
    const script = `
      import { loadBundle } from ${JSON.stringify(pathToFileURL(join(ROOT, 'bin', 'load-bundle.js')).href)};
      const r = loadBundle(new URL(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli-bundle', 'duckdb-api.cjs')).href)}), { codeCache: true });
      const instance = await r.exports.DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const rows = (await connection.runAndReadAll('SELECT 6 * 7 AS n')).getRows();
      process.stderr.write('cache ' + r.cache + ' ' + String(rows[0][0]) + '\\n');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('cache accepted 42\n');
  });
});
