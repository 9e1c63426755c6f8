// Test support: a real redis-server of our own on a free loopback port, started and stopped by PID.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const INSTALL_HINT =
  'install it with `apt-get install -y --no-install-recommends redis-server` (no service needs to run: the tests start their own), or set REDIS_SERVER_BIN';
/** Generous: a busy 2-core machine can take seconds to start a process. */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running redis-server owned by the test. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's PID while it runs. */
  readonly pid: number | undefined;
  /** Stops it (SIGTERM, then SIGKILL if it lingers) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop()`), e.g. to end a simulated outage. */
  restart(): Promise<void>;
}

/**
 * Starts `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no` and resolves once
 * it logs that it accepts connections.
 * @param options - `port`: a fixed port instead of a free one; `binary`: the program to run
 *   (default `REDIS_SERVER_BIN`, else `redis-server` on PATH)
 * @returns the running server; call `stop()` when done
 * @throws Error naming the apt-get command when the binary is missing
 */
export async function startRedis(
  options: { port?: number; binary?: string } = {},
): Promise<RedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let lastError: unknown;
  // A free port can be taken between our probe and redis binding it: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port ?? (await freePort());
    try {
      let child: ChildProcess | undefined = await launch(binary, port);
      return {
        host: '127.0.0.1',
        port,
        url: `redis://127.0.0.1:${port}`,
        get pid() {
          return child?.pid;
        },
        async stop() {
          const running = child;
          child = undefined;
          if (running !== undefined) await terminate(running);
        },
        async restart() {
          if (child !== undefined) return;
          child = await launch(binary, port);
        },
      };
    } catch (error) {
      lastError = error;
      if ((error as { missing?: boolean }).missing || options.port !== undefined) throw error;
    }
  }
  throw lastError;
}

async function launch(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      finish(new Error(`redis-server did not accept connections within ${START_TIMEOUT_MS} ms`));
      child.kill('SIGKILL');
    }, START_TIMEOUT_MS);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(child);
    };
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      if (/Ready to accept connections/i.test(output)) {
        // Keep draining its output so a full pipe never blocks the server.
        child.stdout?.resume();
        finish();
      }
    };
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        finish(
          Object.assign(new Error(`redis-server was not found (${binary}): ${INSTALL_HINT}`), {
            missing: true,
          }),
        );
      } else finish(error);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      finish(
        new Error(
          `redis-server exited before it was ready (code ${code}, signal ${signal}): ${output.trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.on('error', onError);
    child.on('exit', onExit);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}
