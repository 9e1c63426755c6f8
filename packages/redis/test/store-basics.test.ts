import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { AuthSecConfigError } from '@authsec/core';
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
