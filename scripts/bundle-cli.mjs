#!/usr/bin/env node
// Bundles the command line (dist/cli/main.js, which tsc built) into dist/cli-bundle/, the files
// bin/trailkit.js runs. Node 20 pays for every ES module it loads (resolve, stat, read, compile,
// link): `grep` over files loaded 74 of them before reading its first file, about a third of its
// time on a day of small deliveries. Bundled, the same run loads a few files.
//
// - Packages stay outside but commander and chalk, which every command loads: the AWS SDK and
//   DuckDB are still imported only where a command needs them, and a command that does not talk
//   to AWS still loads none of it. The two licences go beside the bundle (THIRD-PARTY-LICENSES).
// - Splitting keeps every dynamic import a separate file, so the commands' bodies load only when run.
// - Every output is in one folder: the search pool finds its worker with
//   new URL('./search-worker.js', import.meta.url) from whichever file holds it.
// - The library (dist/index.js and what it imports) is not bundled: it is tsc's output as is.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'dist', 'cli', 'main.js'), 'search-worker': join(root, 'dist', 'sources', 'search-worker.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Every package but the two every command loads (commander, chalk) stays outside.
  plugins: [externalPackagesExcept(INSIDE)],
  chunkNames: 'chunk-[hash]',
  // commander is CommonJS: its require() of Node's own modules needs a require in ES module output.
  banner: { js: "import { createRequire as __trailkitRequire } from 'node:module'; const require = __trailkitRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Both are MIT-licensed, which asks that their notice go with copies of their code.
const notices = INSIDE.map((name) => {
  const dir = join(root, 'node_modules', name);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licence = ['LICENSE', 'license'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (licence === undefined) throw new Error(`${name} has no licence file to put beside the bundle`);
  return `${name} ${version}\n\n${readFileSync(licence, 'utf8').trim()}\n`;
});
writeFileSync(join(out, 'THIRD-PARTY-LICENSES'), `${notices.join('\n---\n\n')}`);
