#!/usr/bin/env node
import module from 'node:module';

// Caches compiled bytecode between runs (Node >= 22.1); a no-op where unavailable.
module.enableCompileCache?.();

await import('../dist/cli/main.js');
