// Loaded with `node --import` by the CLI tests: appends every module the process loads to the file
// named by TRAILKIT_TRACE_IMPORTS, so a test can prove what a command did not load. ES modules are
// seen by a resolve hook; CommonJS modules (the bundled command line and the packages it requires)
// by a wrapper around the CommonJS loader, which resolve hooks do not see on Node 20, each with the
// file that required it (`MODULE <- FILE`: the bundle's own requires name dist/cli-bundle/main.cjs).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.TRAILKIT_TRACE_IMPORTS;
if (out) {
  register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { out } });
  const Module = createRequire(import.meta.url)('node:module');
  const load = Module._load;
  Module._load = function traced(request, parent, isMain) {
    let file = request;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      // Not resolvable: the load below throws the error the caller expects.
    }
    appendFileSync(out, `${file} <- ${parent?.filename ?? ''}\n`);
    return load.apply(this, arguments);
  };
}
