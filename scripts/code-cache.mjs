#!/usr/bin/env node
// With no argument, writes dist/cli-bundle/main.cjs.cache, V8's code cache for the command line's
// bundle, which bin/load-bundle.js hands to V8 on Node 20: the bundle is run once, as `trailkit grep` of the
// bundled sample (its output discarded by scripts/bundle-cli.mjs, which runs this), so the cache
// holds the top level and every function the start-up and a search compiled, and it is written
// when the process exits. Written to a temporary name and renamed, so a cache is whole or absent.
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../bin/load-bundle.js';

if (process.argv[2] === 'duckdb') await duckdbCache();
else mainCache();

/** Runs `bundle` through loadBundle, then has `work` use it; the cache is written when the process exits. */
function cached(bundle, work) {
  const cacheFile = `${fileURLToPath(bundle)}.cache`;
  const { exports, script, cache } = loadBundle(bundle, { codeCache: true });
  if (script === undefined) throw new Error(`this Node (${process.version}) cannot run the bundle with a code cache`);
  if (cache !== 'absent') throw new Error(`a code cache was already there (${cache}): it is made from a fresh bundle only`);
  process.once('exit', () => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  });
  return work(exports);
}

function mainCache() {
  process.argv = [process.argv[0], 'trailkit', 'grep', fileURLToPath(new URL('../fixtures/sample-archive', import.meta.url)), '--count'];
  cached(new URL('../dist/cli-bundle/main.cjs', import.meta.url), () => {});
}

/**
 * `duckdb`: dist/cli-bundle/duckdb-api.cjs.cache, for the bundle of @duckdb/node-api, made by
 * what the index and query commands ask of it: an instance with settings, statements run, a
 * result streamed chunk by chunk and its values converted to JavaScript.
 */
async function duckdbCache() {
  await cached(new URL('../dist/cli-bundle/duckdb-api.cjs', import.meta.url), async (api) => {
    const instance = await api.DuckDBInstance.create(':memory:', { threads: '1', preserve_insertion_order: 'false' });
    const connection = await instance.connect();
    await connection.run("CREATE TABLE t AS SELECT i, 'text ' || i AS s, {'a': i, 'b': [i, i]} AS j, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND AS at FROM range(5000) r(i)");
    const result = await connection.stream('SELECT * FROM t');
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      chunk.convertRows(api.JSDuckDBValueConverter);
      chunk.convertColumnValues(1, api.JSDuckDBValueConverter);
    }
    (await connection.runAndReadAll('SELECT count(*) FROM t')).getRows();
    connection.closeSync();
    instance.closeSync();
  });
}

