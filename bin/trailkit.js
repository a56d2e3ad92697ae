#!/usr/bin/env node
// CommonJS (bin/package.json), like the bundle it loads: an ES module entry had Node set up its
// ES module loader first, 10 ms of every start.
const nodeModule = require('node:module');
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');
const { loadBundle } = require('./load-bundle.js');

// Node >= 22.1 caches compiled bytecode between runs itself; Node 20 uses the bundle's code cache.
const nodeCache = nodeModule.enableCompileCache?.();

// The command line bundled by scripts/bundle-cli.mjs (npm run build): one CommonJS file.
loadBundle(pathToFileURL(join(__dirname, '..', 'dist', 'cli-bundle', 'main.cjs')), { codeCache: nodeCache === undefined });
