// A throwaway redis-server for the example: a free 127.0.0.1 port, no persistence, stopped by PID.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** What to do when redis-server is not installed. */
export const REDIS_HINT =
  'redis-server is not installed: `sudo apt-get install -y --no-install-recommends redis-server` ' +
  '(Debian/Ubuntu), `brew install redis` (macOS); or pass --redis-url to use a Redis you run';

/** A running redis-server. */
export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
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

/**
 * Starts redis-server on a free loopback port and resolves once it accepts connections.
 * @returns its URL and a `stop()`
 * @throws Error with {@link REDIS_HINT} when redis-server is missing
 */
export async function startLocalRedis(readyTimeoutMs = 20_000): Promise<LocalRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      reject(error);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`redis-server did not start within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    const onEarlyExit = (code: number | null) =>
      fail(new Error(`redis-server exited (${code}) at start: ${output.trim().slice(-500)}`));
    child.once('exit', onEarlyExit);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? new Error(REDIS_HINT) : error),
    );
    const onData = (chunk: string) => {
      output = (output + chunk).slice(-4_000);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
