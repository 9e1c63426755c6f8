import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Worker, World } from './support.js';

let world: World;

// A store failure must never surface as an unhandled rejection, in the client or the store.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  world = await World.start();
});

afterEach(async () => {
  // Node reports an unhandled rejection after the microtasks drain: give it a macrotask turn.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled.map(String)).toEqual([]);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await world?.close();
  process.off('unhandledRejection', onUnhandled);
});

const OPERATION_TIMEOUT_MS = 500;
/** A call may take one Redis time limit plus a pull on a busy machine; never more. */
const CALL_BOUND_MS = OPERATION_TIMEOUT_MS + 5_000;

const outageWarnings = (w: Worker) =>
  w.log.lines.filter((l) => l.level === 'warn' && l.message.includes('shared token store failed'));
const recoveries = (w: Worker) =>
  w.log.lines.filter((l) => l.level === 'info' && l.message.includes('answers again'));

async function timedCall(w: Worker): Promise<number> {
  w.client.invalidate();
  const started = Date.now();
  expect(await w.client.getDelegationToken()).toBe(world.token);
  return Date.now() - started;
}

describe('Redis down or slow', () => {
  it('Redis stopped mid-run: calls still succeed, one warning per outage, no console noise, nothing hangs', async () => {
    // Also the fault matrix's "Redis stopped mid-run" item (packages/core/test/faults.test.ts):
    // each call within CALL_BOUND_MS with the valid token, one pull per call, no unhandled rejection.
    const consoleError = vi.spyOn(console, 'error');
    const consoleWarn = vi.spyOn(console, 'warn');
    const store = { operationTimeoutMs: OPERATION_TIMEOUT_MS };
    const a = world.worker({ store });
    const b = world.worker({ store });
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(world.server.pulls).toHaveLength(1);

    await world.redisServer.stop();
    for (let i = 0; i < 4; i += 1) {
      expect(await timedCall(a)).toBeLessThan(CALL_BOUND_MS);
      expect(await timedCall(b)).toBeLessThan(CALL_BOUND_MS);
    }
    // A worker that starts during the outage works too.
    const c = world.worker({ store });
    expect(await timedCall(c)).toBeLessThan(CALL_BOUND_MS);
    for (const w of [a, b, c]) {
      expect(outageWarnings(w)).toHaveLength(1);
      expect(outageWarnings(w)[0]?.fields).toMatchObject({ event: 'store.unavailable' });
    }
    // Every process pulled on its own meanwhile: once per call, no more.
    expect(world.server.pulls).toHaveLength(1 + 9);

    await world.redisServer.restart();
    // Each client notices at its next store call after the 2 s back-off (ioredis reconnects on its own).
    for (const w of [a, b]) {
      const deadline = Date.now() + 30_000;
      while (recoveries(w).length === 0) {
        if (Date.now() > deadline) throw new Error('the store never answered again');
        await timedCall(w);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recoveries(w)).toHaveLength(1);
      expect(outageWarnings(w)).toHaveLength(1);
    }
    // Shared again: a pull by one is read by the other.
    const before = world.server.pulls.length;
    await world.connect().flushall();
    a.client.invalidate();
    b.client.invalidate();
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(world.server.pulls.length - before).toBe(1);

    // Each store subscribed again after the restart: an invalidation still reaches b.
    await world.subscribers(3);
    const heard = b.log.lines.length;
    const [sharedKey] = await world.connect().keys('authsec:token:*');
    await a.store.publishInvalidation((sharedKey as string).slice('authsec:'.length));
    const deadline = Date.now() + 5_000;
    while (!b.log.lines.slice(heard).some((l) => l.message.includes('Another process'))) {
      if (Date.now() > deadline)
        throw new Error('b never heard the invalidation after the restart');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    // A second outage is a second warning, still one per outage.
    await world.redisServer.stop();
    await timedCall(a);
    await timedCall(a);
    expect(outageWarnings(a)).toHaveLength(2);
    await world.redisServer.restart();

    // ioredis never printed its connection errors: no error storm on the console.
    const printed = [...consoleError.mock.calls, ...consoleWarn.mock.calls].map((c) =>
      String(c[0]),
    );
    expect(printed.filter((line) => /ioredis|ECONNREFUSED/i.test(line))).toEqual([]);
  });

  it('a slow Redis (every client paused) counts as down after operationTimeoutMs', async () => {
    const w = world.worker({ store: { operationTimeoutMs: OPERATION_TIMEOUT_MS } });
    // Make sure the worker's connection is up before pausing.
    await w.redis.ping();
    const pauser = world.connect();
    await pauser.client('PAUSE', 3_000, 'ALL');
    try {
      const took = await timedCall(w);
      expect(took).toBeLessThan(CALL_BOUND_MS);
      expect(outageWarnings(w)).toHaveLength(1);
      expect(outageWarnings(w)[0]?.fields).toMatchObject({ code: 'ERR_AUTHSEC_TIMEOUT' });
    } finally {
      await pauser.client('UNPAUSE');
    }
  });
});
