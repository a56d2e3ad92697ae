#!/usr/bin/env node
// Writes dist/cli-bundle/main.cjs.cache, V8's code cache for the command line's bundle, which
// bin/load-bundle.js hands to V8 on Node 20: the bundle is run once, as `trailkit grep` of the
// bundled sample (its output discarded by scripts/bundle-cli.mjs, which runs this), so the cache
// holds the top level and every function the start-up and a search compiled, and it is written
// when the process exits. Written to a temporary name and renamed, so a cache is whole or absent.
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../bin/load-bundle.js';

const bundle = new URL('../dist/cli-bundle/main.cjs', import.meta.url);
const cacheFile = `${fileURLToPath(bundle)}.cache`;
process.argv = [process.argv[0], 'trailkit', 'grep', fileURLToPath(new URL('../fixtures/sample-archive', import.meta.url)), '--count'];
const { script, cache } = loadBundle(bundle, { codeCache: true });
if (script === undefined) throw new Error(`this Node (${process.version}) cannot run the bundle with a code cache`);
if (cache !== 'absent') throw new Error(`a code cache was already there (${cache}): it is made from a fresh bundle only`);
process.once('exit', () => {
  writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
  renameSync(`${cacheFile}.tmp`, cacheFile);
});
