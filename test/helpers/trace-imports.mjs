// Loaded with `node --import` by the CLI tests: appends every module URL the process resolves to
// the file named by TRAILKIT_TRACE_IMPORTS, so a test can prove what a command did not load.
import { register } from 'node:module';

const out = process.env.TRAILKIT_TRACE_IMPORTS;
if (out) {
  register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { out } });
}
