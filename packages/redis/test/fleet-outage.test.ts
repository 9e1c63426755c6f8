// Redis stopped under a running fleet: every process keeps working on its own, with one warning per
// outage, no error storm and no call stuck beyond the configured timeouts; sharing resumes after.

import { randomBytes } from 'node:crypto';
import { AuthSecTestServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './fixtures/fleet.mjs';
import { type RedisServer, startRedis } from './redis-server.js';

const PROCESSES = 8;
const CALLERS = 50;
const REFRESH_SHIFT_MS = 3_570_000;
/** The store's limit per Redis command: a dead Redis may delay a call this much, no more. */
const OPERATION_TIMEOUT_MS = 1_000;
/** The client's limit per pull attempt (the pull itself is slow on a busy machine, not hung). */
const PULL_TIMEOUT_MS = 5_000;
const SLACK_MS = 3_000;

let server: AuthSecTestServer;
let redis: RedisServer;
let fleet: Fleet;
let clientId: string;
let shiftMs = 0;

beforeAll(async () => {
  [server, redis] = await Promise.all([
    AuthSecTestServer.start({ clock: () => Date.now() + shiftMs }),
    startRedis(),
  ]);
  ({
    agent: { clientId },
  } = await server.createDelegatedAgent({ permissions: ['read:records'], ttlSeconds: 3600 }));
  fleet = await startFleet({
    size: PROCESSES,
    config: {
      baseUrl: server.url,
      clientId,
      redisUrl: redis.url,
      store: { operationTimeoutMs: OPERATION_TIMEOUT_MS },
      client: { timeoutMs: PULL_TIMEOUT_MS },
    },
    storeKey: randomBytes(32).toString('base64'),
  });
}, 90_000);

afterAll(async () => {
  await fleet?.close();
  await Promise.all([server?.close(), redis?.stop()]);
}, 60_000);

async function nextRefresh(): Promise<string> {
  shiftMs += REFRESH_SHIFT_MS;
  const delegation = await server.delegate(clientId, { ttlSeconds: 3600 });
  await fleet.all('clock', { offsetMs: shiftMs });
  return delegation.jti;
}

/**
 * Refreshes every process at once and checks every caller got the new token, with no process held
 * up by the store longer than its operation timeout before it pulled. Returns the pulls made.
 */
async function refreshAll(): Promise<number> {
  const jti = await nextRefresh();
  const before = server.pulls.length;
  const answers = await fleet.all('tokens', { callers: CALLERS });
  const logs = await fleet.all('logs');
  answers.forEach((answer, i) => {
    expect(answer.codes).toEqual([]);
    expect(answer.jtis).toEqual([jti]);
    expect(answer.maxMs).toBeLessThan(OPERATION_TIMEOUT_MS + PULL_TIMEOUT_MS + SLACK_MS);
    // A process that pulled decided to within the store's limit (a process that read the
    // shared token has no pull entry).
    const pulled = logs[i]?.entries.find((e) => e.event === 'token.pull');
    if (pulled) expect(pulled.at - answer.startedAt).toBeLessThan(OPERATION_TIMEOUT_MS + SLACK_MS);
    warnings[i]?.push(
      ...(logs[i]?.entries ?? [])
        .filter((e) => e.level === 'warn' || e.level === 'error')
        .map((e) => e.message),
    );
  });
  return server.pulls.length - before;
}

/** Warnings and errors per process, collected by refreshAll(). */
const warnings: string[][] = Array.from({ length: PROCESSES }, () => []);

/** The warnings since the last call, per process. */
function complaints(): string[][] {
  return warnings.map((messages) => messages.splice(0));
}

describe('redis-server stopped while 8 processes share a token', () => {
  it('every process still gets its tokens, pulling on its own, with one warning per outage', async () => {
    expect(await refreshAll()).toBe(1);
    expect(complaints()).toEqual(Array(PROCESSES).fill([]));

    // Outage 1: two refreshes while Redis is down.
    await redis.stop();
    expect(await refreshAll()).toBe(PROCESSES);
    expect(await refreshAll()).toBe(PROCESSES);
    for (const messages of complaints()) {
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/token store failed: this process pulls on its own/);
    }

    // Redis is back (empty, same port): the fleet shares one pull again, without a warning.
    await redis.restart();
    await fleet.all('redisReady');
    expect(await refreshAll()).toBe(1);
    expect(complaints()).toEqual(Array(PROCESSES).fill([]));

    // Outage 2: one more warning per process.
    await redis.stop();
    expect(await refreshAll()).toBe(PROCESSES);
    for (const messages of complaints()) expect(messages).toHaveLength(1);
    // No error storm on the side either: ioredis printed nothing about its failed reconnections.
    for (const worker of fleet.workers) expect(worker.stderr).toBe('');
  }, 180_000);
});
