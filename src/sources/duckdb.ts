/**
 * DuckDB, through @duckdb/node-api (SPEC section 10: the maintained client; its binary ships in the
 * npm package). Loaded only by the commands that query or build an index, with a dynamic import,
 * so every other command starts as fast as before.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import * as nodeModule from 'node:module';
import { TrailkitError } from '../core/errors.js';

export interface DuckSession {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  close(): void;
}

export interface DuckOptions {
  /** Threads DuckDB may use (default: the machine's cores, at most 4). */
  readonly threads?: number;
  /** DuckDB's own memory limit; it spills to `tempDirectory` beyond it. */
  readonly memoryLimit?: string;
  readonly tempDirectory?: string;
}

/**
 * The Trino functions the generated SQL uses, defined for DuckDB so that the SQL text is the same
 * in both dialects (core/query-model.ts): `json_extract_scalar` returns NULL for objects and
 * arrays as Trino's does, `json_format` is the JSON text of a value.
 */
const TRINO_COMPAT_MACROS = [
  `CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE WHEN TRY(json_type(j, p)) IN ('OBJECT', 'ARRAY') THEN NULL ELSE TRY(json_extract_string(j, p)) END`,
  `CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)`,
  `CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)`,
];

/**
 * Set by the command line's bundle (scripts/bundle-cli.mjs): the file beside it that holds
 * @duckdb/node-api bundled into one CommonJS file, and the @duckdb/node-bindings version that
 * bundle was built against. Undefined in the library (tsc's output), which requires the package.
 */
declare const TRAILKIT_DUCKDB_API_BUNDLE: string | undefined;
declare const TRAILKIT_DUCKDB_BINDINGS_VERSION: string | undefined;

type DuckApi = typeof import('@duckdb/node-api');
let loaded: DuckApi | undefined;

/**
 * @duckdb/node-api is CommonJS whose entry re-exports its 120-odd modules: an ESM import() has
 * Node lex every one of them for named exports, which took as long again as loading the library
 * (measured: 620-1,070 ms against 290-470 ms). It is required instead (the package has no
 * "exports" map, so require and import resolve it to the same file). The command line loads the
 * same code from its one-file bundle instead, with V8's code cache on Node 20 (bin/load-bundle.js):
 * resolving, reading and compiling the 120 files was 50 ms of every query's start, the bundle
 * 24 ms, both with the native library's 12-15 ms. The bundle is used only while the installed
 * @duckdb/node-bindings is the version it was built against.
 */
export function loadDuckApi(): DuckApi {
  if (loaded !== undefined) return loaded;
  const require = nodeModule.createRequire(import.meta.url);
  if (typeof TRAILKIT_DUCKDB_API_BUNDLE === 'string' && bundleMatchesBindings(require)) {
    const { loadBundle } = require('../../bin/load-bundle.js') as { loadBundle: (url: URL, options: { codeCache: boolean }) => { exports: DuckApi } };
    const nodeCaches = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    loaded = loadBundle(new URL(TRAILKIT_DUCKDB_API_BUNDLE, import.meta.url), { codeCache: !nodeCaches }).exports;
  } else {
    loaded = require('@duckdb/node-api') as DuckApi;
  }
  return loaded;
}

function bundleMatchesBindings(require: NodeJS.Require): boolean {
  try {
    return (require('@duckdb/node-bindings/package.json') as { version?: unknown }).version === TRAILKIT_DUCKDB_BINDINGS_VERSION;
  } catch {
    return false;
  }
}

export async function openDuck(options: DuckOptions = {}): Promise<DuckSession> {
  let api: DuckApi;
  try {
    api = loadDuckApi();
  } catch (error) {
    throw new TrailkitError('engine', `DuckDB could not be loaded (${(error as Error).message})`, {
      hint: 'reinstall trailkit so that @duckdb/node-api and its platform binary (@duckdb/node-bindings-<os>-<cpu>) are installed',
    });
  }
  const config: Record<string, string> = { preserve_insertion_order: 'false' };
  if (options.threads !== undefined) config['threads'] = String(options.threads);
  if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
  if (options.tempDirectory !== undefined) config['temp_directory'] = options.tempDirectory;
  const instance = await api.DuckDBInstance.create(':memory:', config);
  const connection = await instance.connect();
  for (const sql of TRINO_COMPAT_MACROS) await connection.run(sql);
  return {
    instance,
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A DuckDB error as one line: its first line, without the generic advice that follows. */
export function duckMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
