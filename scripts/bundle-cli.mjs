#!/usr/bin/env node
// Bundles the command line (dist/cli/main.js, which tsc built) into dist/cli-bundle/, the files
// bin/trailkit.js runs. Node 20 pays for every ES module it loads (resolve, stat, read, compile,
// link, each step a turn of its asynchronous loader): `grep` over files loaded 74 of them before
// reading its first file, about a third of its time on a day of small deliveries.
//
// - main.cjs: the command line as one CommonJS file. Node reads and compiles it in one
//   synchronous step; split into ES module chunks (one per dynamic import, 35 of them for grep),
//   the same code took 50-70 ms longer to reach the first file of a grep over 1,120 small files
//   (0.42-0.44 s against 0.35-0.37 s, the same run). A dynamic import inside becomes a function
//   that runs the module's code on first use, and a package it imports becomes a require() in
//   that function: so the AWS SDK and DuckDB are still loaded only by the commands that need them
//   (the tests trace what each command loads). An ES module file could not do that: its imports
//   of packages are hoisted to the top of the file, so every command would load the AWS SDK.
// - Packages stay outside but commander and chalk, which every command loads. The two licences go
//   beside the bundle (THIRD-PARTY-LICENSES). The packages outside are all CommonJS.
// - import.meta.url, which CommonJS lacks, becomes the file's own URL.
// - main.cjs.cache: V8's code cache for it, made by scripts/code-cache.mjs (Node 20 only).
// - duckdb-api.cjs: @duckdb/node-api (its 120-odd CommonJS files) as one file, with its native
//   @duckdb/node-bindings left outside; main.cjs loads it in the commands that use DuckDB, while
//   the installed bindings are the version it was built against (src/sources/duckdb.ts), and
//   duckdb-api.cjs.cache is V8's code cache for it (Node 20). Measured: 24 ms to load against 50.
// - search-worker.js, the search pool's worker thread, is an ES module beside it: the pool finds it
//   with new URL('./search-worker.js', import.meta.url).
// - The library (dist/index.js and what it imports) is not bundled: it is tsc's output as is.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Leaves bare imports outside the bundle, but those of the packages named. */
function externalPackagesExcept(inside) {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./#]/ }, (args) => {
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        if (args.path.startsWith('node:') || !inside.includes(name)) return { path: args.path, external: true };
        return undefined;
      });
    },
  };
}

const INSIDE = ['commander', 'chalk'];
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'dist', 'cli-bundle');
const requireHere = createRequire(import.meta.url);
const duckBindingsVersion = JSON.parse(readFileSync(requireHere.resolve('@duckdb/node-bindings/package.json'), 'utf8')).version;
rmSync(out, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Every package but the two every command loads (commander, chalk) stays outside.
  plugins: [externalPackagesExcept(INSIDE)],
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: join(out, 'main.cjs'),
  format: 'cjs',
  // A dynamic import of a package becomes a require() in a promise (they are all CommonJS): V8
  // loses what Node needs to run an import() in code that comes from a code cache.
  supported: { 'dynamic-import': false },
  define: {
    'import.meta.url': '__trailkitFileUrl',
    TRAILKIT_DUCKDB_API_BUNDLE: JSON.stringify('./duckdb-api.cjs'),
    TRAILKIT_DUCKDB_BINDINGS_VERSION: JSON.stringify(duckBindingsVersion),
  },
  banner: { js: "const __trailkitFileUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({
  ...common,
  entryPoints: [requireHere.resolve('@duckdb/node-api')],
  outfile: join(out, 'duckdb-api.cjs'),
  format: 'cjs',
});
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'sources', 'search-worker.js')],
  outfile: join(out, 'search-worker.js'),
  format: 'esm',
});

// V8's code cache for the bundle, for Node 20 (see bin/load-bundle.js); Node 22 makes its own.
if (typeof (await import('node:module')).default.enableCompileCache !== 'function') {
  for (const which of [[], ['duckdb']]) {
    const made = spawnSync(process.execPath, [join(root, 'scripts', 'code-cache.mjs'), ...which], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (made.status !== 0) throw new Error(`scripts/code-cache.mjs ${which.join(' ')} failed (exit ${made.status ?? made.signal})`);
  }
}

// All three are MIT-licensed, which asks that their notice go with copies of their code.
const notices = [...INSIDE, '@duckdb/node-api'].map((name) => {
  const dir = join(root, 'node_modules', name);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licence = ['LICENSE', 'license'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (licence === undefined) throw new Error(`${name} has no licence file to put beside the bundle`);
  return `${name} ${version}\n\n${readFileSync(licence, 'utf8').trim()}\n`;
});
writeFileSync(join(out, 'THIRD-PARTY-LICENSES'), `${notices.join('\n---\n\n')}`);
