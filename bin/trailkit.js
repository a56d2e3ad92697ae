#!/usr/bin/env node
import module, { createRequire } from 'node:module';

// Caches compiled bytecode between runs (Node >= 22.1); a no-op where unavailable.
module.enableCompileCache?.();

// The command line bundled by scripts/bundle-cli.mjs (npm run build): one CommonJS file.
createRequire(import.meta.url)('../dist/cli-bundle/main.cjs');
