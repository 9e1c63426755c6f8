import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { AuthSecClosedError, AuthSecConfigError } from '@authsec/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
const key = randomBytes(32).toString('base64');

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

describe('RedisTokenStore basics', () => {
  it('stores, reads back and deletes a value under its prefix, sealed at rest', async () => {
    const store = new RedisTokenStore({ redis, key, env: {} });
    await store.set('k1', 'the value', 60_000);
    expect(await store.get('k1')).toBe('the value');
    const raw = await redis.get('authsec:k1');
    expect(raw).not.toContain('the value');
    expect(await redis.pttl('authsec:k1')).toBeGreaterThan(50_000);
    await store.delete('k1');
    expect(await store.get('k1')).toBeUndefined();
    await store.close();
  });

  it('a missing key is an AuthSecConfigError naming the option, the env var and how to make one', () => {
    let caught: unknown;
    try {
      new RedisTokenStore({ redis, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthSecConfigError);
    const error = caught as AuthSecConfigError;
    expect(error.code).toBe('ERR_AUTHSEC_CONFIG');
    expect(error.message).toContain('AUTHSEC_STORE_KEY');
    expect(error.message).toContain('`key`');
    expect(error.message).toContain('openssl rand -base64 32');
  });

  it('never shows the key in inspect or JSON output', () => {
    const store = new RedisTokenStore({ redis, key, env: {} });
    const shown = `${inspect(store, { depth: 10 })}\n${JSON.stringify(store)}\n${String(store)}`;
    expect(shown).not.toContain(key);
    expect(shown).toContain('encrypted');
  });
});

describe('RedisTokenStore lock and lifecycle', () => {
  it('SET NX PX: one holder at a time; release is compare-and-delete, never freeing a lock taken over', async () => {
    const a = new RedisTokenStore({ redis, key, env: {} });
    const b = new RedisTokenStore({ redis, key, env: {} });
    const first = await a.acquireLock('lk', 150);
    expect(first).toBeDefined();
    expect(await b.acquireLock('lk', 60_000)).toBeUndefined();
    const ttl = await redis.pttl('authsec:lock:lk');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(150);
    // a's lock expires; b takes it over; a's late release must leave b's lock alone.
    let second: Awaited<ReturnType<RedisTokenStore['acquireLock']>>;
    const deadline = Date.now() + 10_000;
    do {
      second = await b.acquireLock('lk', 60_000);
    } while (second === undefined && Date.now() < deadline);
    expect(second).toBeDefined();
    await first?.release();
    expect(await redis.exists('authsec:lock:lk')).toBe(1);
    await second?.release();
    expect(await redis.exists('authsec:lock:lk')).toBe(0);
    await a.close();
    await b.close();
  });

  it('lockTtlMs overrides the TTL the client asks for', async () => {
    const store = new RedisTokenStore({ redis, key, env: {}, lockTtlMs: 5_000 });
    const lock = await store.acquireLock('lk2', 60_000);
    expect(await redis.pttl('authsec:lock:lk2')).toBeLessThanOrEqual(5_000);
    await lock?.release();
    await store.close();
  });

  it('invalidations reach other stores for any key, never echo to the publisher, and stop at close()', async () => {
    const a = new RedisTokenStore({ redis, key, env: {} });
    const b = new RedisTokenStore({ redis, key, env: {} });
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    a.onInvalidation((k) => heardByA.push(k));
    const received = new Promise<void>((resolve) => {
      b.onInvalidation((k) => {
        heardByB.push(k);
        if (k === 'token:v1:done') resolve();
      });
    });
    const probe = new Redis(server.port, '127.0.0.1');
    const deadline = Date.now() + 15_000;
    while (Number(((await probe.pubsub('NUMSUB', 'authsec:invalidations')) as unknown[])[1]) < 2) {
      if (Date.now() > deadline) throw new Error('not subscribed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await a.publishInvalidation('token:v1:one');
    await a.publishInvalidation('token:v1:done');
    await received;
    expect(heardByB).toEqual(['token:v1:one', 'token:v1:done']);
    // The publisher's own listeners hear it at once, exactly once (no echo from Redis).
    expect(heardByA).toEqual(['token:v1:one', 'token:v1:done']);
    await b.close();
    expect(JSON.parse(JSON.stringify(b))).toMatchObject({ closed: true, subscribed: false });
    await expect(b.get('x')).rejects.toBeInstanceOf(AuthSecClosedError);
    // The caller's connection stays open.
    expect(await redis.ping()).toBe('PONG');
    probe.disconnect();
    await a.close();
  });
});

describe('startRedis()', () => {
  it('a missing redis-server binary fails with the install command, never a skip', async () => {
    await expect(startRedis({ binary: '/nonexistent/redis-server' })).rejects.toThrow(
      /redis-server was not found .*apt-get install -y --no-install-recommends redis-server/,
    );
  });

  it('stops by PID and starts again on the same port', async () => {
    const own = await startRedis();
    const pid = own.pid;
    expect(pid).toBeGreaterThan(0);
    await own.stop();
    expect(own.pid).toBeUndefined();
    expect(() => process.kill(pid as number, 0)).toThrow();
    await own.restart();
    const client = new Redis(own.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await own.stop();
  });
});
