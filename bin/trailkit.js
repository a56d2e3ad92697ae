#!/usr/bin/env node
import module from 'node:module';
import { loadBundle } from './load-bundle.js';

// Node >= 22.1 caches compiled bytecode between runs itself; Node 20 uses the bundle's code cache.
const nodeCache = module.enableCompileCache?.();

// The command line bundled by scripts/bundle-cli.mjs (npm run build): one CommonJS file.
loadBundle(new URL('../dist/cli-bundle/main.cjs', import.meta.url), { codeCache: nodeCache === undefined });
