#!/usr/bin/env node
import module from 'node:module';

// Caches compiled bytecode between runs (Node >= 22.1); a no-op where unavailable.
module.enableCompileCache?.();

// The command line bundled by scripts/bundle-cli.mjs (npm run build): a few files to load instead of dozens.
await import('../dist/cli-bundle/main.js');
