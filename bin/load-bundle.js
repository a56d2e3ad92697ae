// Runs the command line's CommonJS bundle as require() would, but on Node 20 with V8's code cache
// for it (FILE.cache, written by `npm run build` after a grep of the bundled sample): compiling
// the 1 MB bundle and the functions a command runs was 20-30 ms of every start. Node 22.1 and
// later cache compiled code themselves (module.enableCompileCache), and bin/trailkit.js then
// asks for a plain require.
//
// The cache is only a cache: V8 refuses one made by another V8 version or with other V8 flags,
// or for a source of another length, and compiles the source as usual. A cache older than its
// bundle (the bundle edited or rebuilt without it) is not offered at all, since V8 checks only
// the source's length, not its text. Nor is it offered to a bundle with an import() in it: Node 20
// cannot run an import() in code that V8 took from a cache (it throws "A dynamic import callback
// was not specified"), so the bundle turns its imports of packages into require().
const buffer = require('node:buffer');
const { readFileSync, statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { fileURLToPath } = require('node:url');
const vm = require('node:vm');

// Node's own wrapper for a CommonJS module (module.wrap), spelled out: the bundle's first line keeps
// its number in stack traces.
const WRAP_START = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_END = '\n});';

/**
 * Loads the CommonJS file at `url` (a file: URL) and runs it. With `codeCache`, compiles it with
 * the code cache at FILE.cache when there is one no older than the file. Returns the module's
 * exports, what became of the cache ('accepted', 'rejected' by V8, 'stale', 'absent', or 'off':
 * not asked for, or the file has an import() in it, or this Node cannot run one outside require),
 * and the compiled script (none when it was required), whose createCachedData() makes a cache.
 */
function loadBundle(url, options = {}) {
  const file = fileURLToPath(url);
  const requireFromFile = createRequire(file);
  const mainContextLoader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (options.codeCache !== true || mainContextLoader === undefined) {
    return { exports: requireFromFile(file), cache: 'off', script: undefined };
  }
  const cacheFile = `${file}.cache`;
  let cachedData;
  let cache = 'absent';
  const bytes = readFileSync(file);
  // esbuild writes the bundle in ASCII (it escapes other characters): read as Latin-1, it is the
  // same text without UTF-8 decoding, which took 14 ms of the 1 MB where this takes 8.
  const source = buffer.isAscii?.(bytes) === true ? bytes.toString('latin1') : bytes.toString('utf8');
  const cacheInfo = statSync(cacheFile, { throwIfNoEntry: false });
  if (source.includes('import(')) cache = 'off';
  else if (cacheInfo !== undefined) {
    if (cacheInfo.mtimeMs < statSync(file).mtimeMs) cache = 'stale';
    else cachedData = readFileSync(cacheFile);
  }
  const script = new vm.Script(WRAP_START + source + WRAP_END, { filename: file, cachedData, importModuleDynamically: mainContextLoader });
  if (cachedData !== undefined) cache = script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const bundle = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: [] };
  script.runInThisContext().call(bundle.exports, bundle.exports, requireFromFile, bundle, file, dirname(file));
  bundle.loaded = true;
  return { exports: bundle.exports, cache, script };
}

module.exports = { loadBundle };
