import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from './support.js';

let world: World;

beforeAll(async () => {
  world = await World.start();
});

afterAll(async () => {
  await world?.close();
});

const lockKeyOf = async () => {
  const keys = await world.connect().keys('authsec:token:*');
  return keys[0];
};

describe('single flight across stores', () => {
  it('N clients, each with its own connection and store, calling at once: one pull', async () => {
    const workers = Array.from({ length: 8 }, () => world.worker());
    const before = world.server.pulls.length;
    const tokens = await Promise.all(workers.map((w) => w.client.getDelegationToken()));
    expect(new Set(tokens)).toEqual(new Set([world.token]));
    expect(world.server.pulls.length - before).toBe(1);
    // Their later calls are memory hits: still one pull.
    await Promise.all(workers.map((w) => w.client.getDelegationToken()));
    expect(world.server.pulls.length - before).toBe(1);
    expect(await world.connect().keys('authsec:lock:*')).toEqual([]);
  });

  it('a waiter whose lock holder never stores a value pulls itself after waitTimeoutMs (bounded)', async () => {
    const redis = world.connect();
    const key = await lockKeyOf();
    expect(key).toBeDefined();
    await redis.del(key as string);
    // A holder that took the lock and died without releasing it (its lock outlives the wait).
    const lockKey = (key as string).replace('authsec:', 'authsec:lock:');
    await redis.set(lockKey, 'a-dead-holder', 'PX', 60_000);
    const waiter = world.worker({ store: { waitTimeoutMs: 700 } });
    const before = world.server.pulls.length;
    const started = Date.now();
    expect(await waiter.client.getDelegationToken()).toBe(world.token);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(690);
    expect(waited).toBeLessThan(700 + 10_000);
    expect(world.server.pulls.length - before).toBe(1);
    // The dead holder's lock is not ours to delete.
    expect(await redis.get(lockKey)).toBe('a-dead-holder');
    await redis.del(lockKey);
  });

  it('a waiter takes the lock over once a dead holder’s lock expires, and shares its pull', async () => {
    const redis = world.connect();
    const key = (await lockKeyOf()) as string;
    await redis.del(key);
    const lockKey = key.replace('authsec:', 'authsec:lock:');
    await redis.set(lockKey, 'a-dead-holder', 'PX', 400);
    const waiter = world.worker({ store: { waitTimeoutMs: 20_000 } });
    const before = world.server.pulls.length;
    const started = Date.now();
    expect(await waiter.client.getDelegationToken()).toBe(world.token);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(world.server.pulls.length - before).toBe(1);
    expect(await redis.get(key)).not.toBeNull(); // it shared what it pulled
  });

  it('a waiter takes the holder’s token as soon as it is stored', async () => {
    const redis = world.connect();
    const key = (await lockKeyOf()) as string;
    const sealed = await redis.get(key);
    await redis.del(key);
    const lockKey = key.replace('authsec:', 'authsec:lock:');
    await redis.set(lockKey, 'a-live-holder', 'PX', 60_000);
    const waiter = world.worker({ store: { waitTimeoutMs: 20_000 } });
    const before = world.server.pulls.length;
    const pending = waiter.client.getDelegationToken();
    // The holder finishes: stores its (sealed) token and releases.
    await redis.set(key, sealed as string, 'PX', 600_000);
    await redis.del(lockKey);
    expect(await pending).toBe(world.token);
    expect(world.server.pulls.length - before).toBe(0);
  });
});
