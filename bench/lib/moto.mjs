// moto_server for the benchmarks: started on a free loopback port, ready when its API answers.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts moto_server; returns its endpoint and a stop function. Only 127.0.0.1 is contacted. */
export async function startMotoServer() {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Its request log goes nowhere: a pipe nobody drains would stall the server.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return { endpoint, child, stop: () => child.kill('SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('moto_server did not start');
}
