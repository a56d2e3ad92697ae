import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { describe } from 'vitest';

/** A running moto_server on a loopback port (SPEC section 9). */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Forgets every resource, so each test starts from an empty account. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const MOTO_REQUIRED = process.env['TRAILKIT_REQUIRE_MOTO'] === '1';

/** Whether `moto_server` can be started here. */
export function motoAvailable(): boolean {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 30_000 });
  return probe.error === undefined && probe.status === 0;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('moto_server exited during start-up');
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/** Starts moto_server on a free loopback port; only 127.0.0.1 is ever contacted. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  // moto logs every request to stderr. It goes to a file, not a pipe: a test blocked in spawnSync
  // cannot drain a pipe, and moto would stall once the pipe filled up.
  const logDir = mkdtempSync(join(tmpdir(), 'trailkit-moto-'));
  const logFile = join(logDir, 'moto.log');
  const log = openSync(logFile, 'w');
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  child.once('exit', () => rmSync(logDir, { recursive: true, force: true }));
  try {
    await waitUntilUp(endpoint, child, 30_000);
  } catch (error) {
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      // the log is gone with the process
    }
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${tail}`);
  }
  return {
    endpoint,
    port,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `describe` for tests that need moto_server: skipped with a message when it is not installed,
 * and failing instead when TRAILKIT_REQUIRE_MOTO=1 (CI), so integration tests never vanish silently.
 */
export function describeWithMoto(name: string, body: () => void): void {
  const available = motoAvailable();
  if (!available && !MOTO_REQUIRED) {
    describe.skip(`${name} (moto_server is not installed: pip install 'moto[server]')`, body);
    return;
  }
  if (!available) {
    describe(name, () => {
      throw new Error('TRAILKIT_REQUIRE_MOTO=1 but moto_server is not installed or does not start (pip install "moto[server]")');
    });
    return;
  }
  describe(name, body);
}

/** Static credentials and region for talking to moto; never real ones. */
export const MOTO_REGION = 'us-east-1';

/**
 * Environment for a CLI process that must talk to moto only: its endpoint for every service,
 * fake credentials, and no shared config files that could name a real profile.
 */
export function motoEnv(moto: MotoServer): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Client settings for the SDK clients a test uses to arrange or inspect moto's state. */
export function motoClientConfig(moto: MotoServer, region = MOTO_REGION) {
  return {
    endpoint: moto.endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
    forcePathStyle: true,
    // moto may not accept the CRC checksums SDK v3 adds to uploads by default.
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
  };
}
