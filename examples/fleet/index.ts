// The fleet example: several agent processes share one AuthSec delegation token through Redis, so
// AuthSec sees one pull per refresh instead of one per process. Offline: everything runs locally.

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AuthSecTestServer } from '@authsec/testing';
import { type LocalRedis, startLocalRedis } from './redis-server.js';
import type { WorkMessage, WorkReport } from './worker.js';

const USAGE = `Usage: node dist/index.js [--workers 4] [--callers 25] [--redis-url redis://…]
                          [--log-level debug] [--log-format json] [--help]

Forks --workers agent processes that share one AuthSec delegation token through Redis
(RedisTokenStore from @authsec/redis), each running --callers concurrent getDelegationToken() calls,
through a cold start and two refreshes; then the same fleet without a shared store. Prints the pulls
AuthSec saw per refresh: 1 with Redis, one per process without.

Offline: a local AuthSec-compatible server (@authsec/testing) and a redis-server of its own on
127.0.0.1 (--redis-url uses a Redis you run instead). Reads no AUTHSEC_* setting; --log-level
and --log-format become the workers' AUTHSEC_LOG_LEVEL and AUTHSEC_LOG_FORMAT (default warn, pretty).
Exits 0 when the shared fleet pulled once per refresh, 1 otherwise, 2 on a bad flag.
`;

/** Past the default 60 s refresh margin of a 1 h token: every process's copy is stale. */
const HOUR_MINUS_30_S_MS = 3_570_000;
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Options {
  workers: number;
  callers: number;
  redisUrl: string | undefined;
  /** The workers' AUTHSEC_LOG_LEVEL and AUTHSEC_LOG_FORMAT; their clients check the values. */
  log: Record<string, string>;
}

class Fleet {
  readonly #children: ChildProcess[];

  private constructor(children: ChildProcess[]) {
    this.#children = children;
  }

  /** Forks `size` workers with this environment, resolving once each is ready. */
  static async start(size: number, env: NodeJS.ProcessEnv): Promise<Fleet> {
    const children = Array.from({ length: size }, () =>
      fork(WORKER, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const fleet = new Fleet(children);
    try {
      await Promise.all(children.map((child) => nextMessage(child, 'ready')));
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /** Every worker runs `callers` concurrent calls at once; resolves with their reports. */
  work(callers: number, skippedMs: number): Promise<WorkReport[]> {
    const message: WorkMessage = { type: 'work', callers, skippedMs };
    return Promise.all(
      this.#children.map((child) => {
        const report = nextMessage<WorkReport>(child, 'report');
        child.send(message);
        return report;
      }),
    );
  }

  /** Disconnects every worker (each then closes its client and Redis connections) and waits for it to exit. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`a worker process exited (${code}) before answering`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A fleet through a start and two refreshes; returns the pulls AuthSec saw for each. */
async function runFleet(
  server: AuthSecTestServer,
  clientId: string,
  clock: { skippedMs: number },
  options: Options,
  env: NodeJS.ProcessEnv,
): Promise<number[]> {
  const fleet = await Fleet.start(options.workers, env);
  const pulls: number[] = [];
  try {
    for (const step of ['start', 'refresh 1', 'refresh 2']) {
      if (step !== 'start') {
        // An hour nearly passes (simulated), and an admin delegates the next token.
        clock.skippedMs += HOUR_MINUS_30_S_MS;
        await server.delegate(clientId, { ttlSeconds: 3600 });
      }
      const before = server.pulls.length;
      const reports = await fleet.work(options.callers, clock.skippedMs);
      const errors = [...new Set(reports.flatMap((r) => r.errors))];
      if (errors.length > 0) throw new Error(`calls failed: ${errors.join('; ')}`);
      const jtis = [...new Set(reports.flatMap((r) => r.jtis))];
      const count = server.pulls.length - before;
      pulls.push(count);
      const calls = options.workers * options.callers;
      console.log(
        `  ${step.padEnd(10)} ${calls} calls in ${options.workers} processes → ${count} ${count === 1 ? 'pull' : 'pulls'}` +
          `   (token jti ${jtis.map((j) => `${j.slice(0, 8)}…`).join(', ')})`,
      );
    }
  } finally {
    await fleet.stop();
  }
  return pulls;
}

function perRefresh(pulls: number[]): number {
  return pulls.reduce((a, b) => a + b, 0) / pulls.length;
}

async function run(options: Options): Promise<number> {
  const clock = { skippedMs: 0 };
  let server: AuthSecTestServer | undefined;
  let redis: LocalRedis | undefined;
  try {
    server = await AuthSecTestServer.start({ clock: () => Date.now() + clock.skippedMs });
    const { agent } = await server.createDelegatedAgent({
      permissions: ['read:records'],
      ttlSeconds: 3600,
    });
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      redis = await startLocalRedis();
      redisUrl = redis.url;
    }
    console.log(
      `AuthSec fleet example: ${options.workers} worker processes × ${options.callers} concurrent callers, one AI agent, offline`,
    );
    console.log(`Local AuthSec server: ${server.url}`);
    console.log(
      `Redis: ${redis ? `redis-server started for this run on 127.0.0.1:${redis.port}` : 'the one given by --redis-url'}\n`,
    );

    // What each worker's environment holds in a deployment: the same agent and the same store key
    // everywhere (32 random bytes, base64; never printed).
    const base = {
      PATH: process.env.PATH ?? '',
      AUTHSEC_BASE_URL: server.url,
      AUTHSEC_AGENT_CLIENT_ID: agent.clientId,
      ...options.log,
    };
    const storeKey = randomBytes(32).toString('base64');

    console.log(
      `With RedisTokenStore (the ${options.workers} processes share one token through Redis):`,
    );
    const shared = await runFleet(server, agent.clientId, clock, options, {
      ...base,
      REDIS_URL: redisUrl,
      AUTHSEC_STORE_KEY: storeKey,
    });
    console.log('Without a shared store (each process keeps its own token):');
    const alone = await runFleet(server, agent.clientId, clock, options, base);

    const ours = perRefresh(shared);
    console.log(
      `\nPulls per refresh: ${ours} with Redis, ${perRefresh(alone)} without (one per process).`,
    );
    if (shared.some((count) => count !== 1)) {
      console.error('✗ The shared fleet should have pulled exactly once per refresh.');
      return 1;
    }
    console.log('✓ One pull per refresh for the whole fleet.');
    return 0;
  } catch (error) {
    console.error(`✗ ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await redis?.stop();
    await server?.close();
  }
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--${name} must be 1 to 64`);
  return n;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    const { values } = parseArgs({
      options: {
        workers: { type: 'string' },
        callers: { type: 'string' },
        'redis-url': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    options = {
      workers: positiveInteger(values.workers, 'workers', 4),
      callers: positiveInteger(values.callers, 'callers', 25),
      redisUrl: values['redis-url'],
      log: {
        ...(values['log-level'] !== undefined && { AUTHSEC_LOG_LEVEL: values['log-level'] }),
        ...(values['log-format'] !== undefined && { AUTHSEC_LOG_FORMAT: values['log-format'] }),
      },
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(USAGE);
    return 2;
  }
  return run(options);
}

process.exitCode = await main();
