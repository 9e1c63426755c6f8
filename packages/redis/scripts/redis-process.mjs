// A throwaway redis-server on a free 127.0.0.1 port for scripts/measure-fleet.mjs (plain Node, so
// it cannot use test/redis-server.ts). No persistence; stopped by PID.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const HINT =
  'redis-server is not installed: `apt-get install -y --no-install-recommends redis-server` ' +
  '(Debian/Ubuntu; .ci/run does it), `brew install redis` (macOS)';

/** A port nothing listens on right now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server and resolves once it accepts connections.
 * @param {object} [options]
 * @param {number} [options.port] - default: a free port
 * @param {number} [options.readyTimeoutMs] - default 20 s
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 * @throws Error with an install hint when redis-server is missing
 */
export async function startRedisProcess({ port, readyTimeoutMs = 20_000 } = {}) {
  const chosen = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let onEarlyExit;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${readyTimeoutMs} ms: ${output}`));
    }, readyTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error(HINT) : error);
    });
    onEarlyExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) at start: ${output.trim()}`));
    };
    child.once('exit', onEarlyExit);
    const onData = (chunk) => {
      output = (output + chunk).slice(-4_000);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
  });
  child.off('exit', onEarlyExit);
  let stopped;
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    pid: child.pid,
    /** SIGTERM, then waits for the exit (SIGKILL after 10 s). Safe to call twice. */
    stop() {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
