import { inspect } from 'node:util';
import { AuthSecConfigError } from '@authsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.js';
import { expectNotShown, newKey, World } from './support.js';

let world: World;

beforeAll(async () => {
  world = await World.start();
});

afterAll(async () => {
  await world?.close();
});

async function tokenKey(prefix = 'authsec:'): Promise<string> {
  const keys = await world.connect().keys(`${prefix}token:*`);
  expect(keys).toHaveLength(1);
  return keys[0] as string;
}

describe('tokens sealed at rest with AES-256-GCM', () => {
  it('the raw Redis value is neither the token nor any part of it, and two writes differ (random IV)', async () => {
    const a = world.worker();
    await a.client.getDelegationToken();
    const redis = world.connect();
    const key = await tokenKey();
    const raw = (await redis.get(key)) as string;
    expect(raw.startsWith('aesgcm1:')).toBe(true);
    expectNotShown([world.token, ...world.token.split('.')], raw);
    // Same value written again under the same key: another IV, another ciphertext.
    await a.store.set(key.slice('authsec:'.length), 'same', 60_000);
    const once = await redis.get(key);
    await a.store.set(key.slice('authsec:'.length), 'same', 60_000);
    expect(await redis.get(key)).not.toBe(once);
    await redis.del(key);
  });

  it('a value sealed with another key is a miss with one warning, never an error: the client pulls', async () => {
    const writer = world.worker();
    await writer.client.getDelegationToken();
    const before = world.server.pulls.length;
    const stranger = world.worker({ store: { key: newKey() } });
    expect(await stranger.client.getDelegationToken()).toBe(world.token);
    expect(world.server.pulls.length - before).toBe(1);
    const warnings = stranger.storeLog.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('could not open a stored token');
    expect(stranger.log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    await world.connect().del(await tokenKey());
  });

  it('after a rotation, values sealed with a previous key are still read; new ones use the new key', async () => {
    const oldKey = world.key;
    const writer = world.worker();
    await writer.client.getDelegationToken();
    const before = world.server.pulls.length;
    const rotated = newKey();
    const reader = world.worker({ store: { key: rotated, previousKeys: [oldKey] } });
    expect(await reader.client.getDelegationToken()).toBe(world.token);
    expect(world.server.pulls.length - before).toBe(0);
    expect(reader.storeLog.lines).toEqual([]);
    // A store with only the new key reads what the rotated store writes…
    const key = (await tokenKey()).slice('authsec:'.length);
    await reader.store.set(key, 'after rotation', 60_000);
    const onlyNew = new RedisTokenStore({ redis: reader.redis, key: rotated, env: {} });
    expect(await onlyNew.get(key)).toBe('after rotation');
    // …and one with only the old key does not.
    const onlyOld = new RedisTokenStore({
      redis: reader.redis,
      key: oldKey,
      env: {},
      logger: world.worker().storeLog,
    });
    expect(await onlyOld.get(key)).toBeUndefined();
    await onlyNew.close();
    await onlyOld.close();
    await world.connect().del(`authsec:${key}`);
  });

  it('the Redis key is the additional data: a value copied to another key does not open', async () => {
    const a = world.worker();
    await a.store.set('token:v1:elsewhere', 'bound to its key', 60_000);
    const redis = world.connect();
    await redis.copy('authsec:token:v1:elsewhere', 'authsec:token:v1:moved');
    expect(await a.store.get('token:v1:elsewhere')).toBe('bound to its key');
    expect(await a.store.get('token:v1:moved')).toBeUndefined();
    expect(a.storeLog.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    await redis.del('authsec:token:v1:elsewhere', 'authsec:token:v1:moved');
  });

  it('a plaintext value planted in Redis is refused by an encrypting store', async () => {
    const a = world.worker();
    await world.connect().set('authsec:token:v1:planted', 'plain1:{"v":1}', 'PX', 60_000);
    expect(await a.store.get('token:v1:planted')).toBeUndefined();
  });

  it('unsafePlaintext: stores plain values and warns once at construction', async () => {
    const plain = world.worker({
      store: { unsafePlaintext: true, key: undefined, prefix: 'plain:' },
    });
    expect(plain.storeLog.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(plain.storeLog.lines[0]?.message).toContain('UNENCRYPTED');
    await plain.store.set('k', 'visible', 60_000);
    expect(await world.connect().get('plain:k')).toBe('plain1:visible');
    expect(await plain.store.get('k')).toBe('visible');
  });

  it('key problems are one AuthSecConfigError naming option and env var, never echoing the key', () => {
    const redis = world.connect();
    const notBase64 = 'this is not base64 but a secret passphrase!';
    const short = Buffer.from('sixteen byte key').toString('base64');
    const errorOf = (build: () => unknown) => {
      try {
        build();
      } catch (error) {
        return error as AuthSecConfigError;
      }
      throw new Error('expected a throw');
    };
    const missing = errorOf(() => new RedisTokenStore({ redis, env: {} }));
    expect(missing).toBeInstanceOf(AuthSecConfigError);
    expect(missing.code).toBe('ERR_AUTHSEC_CONFIG');
    expect(missing.message).toMatch(/key is missing: pass `key` or set AUTHSEC_STORE_KEY/);
    expect(missing.message).toContain('unsafePlaintext');

    const bad = errorOf(
      () => new RedisTokenStore({ redis, key: notBase64, previousKeys: [short], env: {} }),
    );
    expect(bad.problems).toHaveLength(2);
    expect(bad.problems[0]).toContain('`key` is not base64');
    expect(bad.problems[1]).toContain('previousKeys[0] must decode to 32 bytes (got 16)');
    expectNotShown([notBase64, short], bad.message, inspect(bad), JSON.stringify(bad));

    const fromEnv = errorOf(
      () => new RedisTokenStore({ redis, env: { AUTHSEC_STORE_KEY: short } }),
    );
    expect(fromEnv.message).toContain('AUTHSEC_STORE_KEY must decode to 32 bytes');
    expect(fromEnv.message).not.toContain(short);

    const noRedis = errorOf(
      () => new RedisTokenStore({ key: newKey(), env: {} } as unknown as { redis: never }),
    );
    expect(noRedis.message).toContain('redis is missing');
  });

  it('reads AUTHSEC_STORE_KEY and AUTHSEC_STORE_PREVIOUS_KEYS from env', async () => {
    const redis = world.connect();
    const older = newKey();
    const writer = new RedisTokenStore({ redis, key: older, env: {} });
    await writer.set('env-test', 'sealed with the older key', 60_000);
    const reader = new RedisTokenStore({
      redis,
      env: {
        AUTHSEC_STORE_KEY: ` ${newKey()} `,
        AUTHSEC_STORE_PREVIOUS_KEYS: `${newKey()},${older}`,
      },
    });
    expect(await reader.get('env-test')).toBe('sealed with the older key');
    await writer.close();
    await reader.close();
  });

  it('the key never shows in inspect, JSON or String of the store, nor in any log line', async () => {
    const previous = newKey();
    const w = world.worker({ store: { previousKeys: [previous] } });
    await w.client.getDelegationToken();
    w.client.invalidate();
    await w.client.getDelegationToken();
    const everything = [
      inspect(w.store, { depth: 10, showHidden: true }),
      JSON.stringify(w.store),
      String(w.store),
      inspect(w.client, { depth: 10 }),
      w.log.text(),
      w.storeLog.text(),
    ].join('\n');
    expectNotShown([world.key, previous, world.token], everything);
    expect(JSON.parse(JSON.stringify(w.store))).toMatchObject({
      prefix: 'authsec:',
      encrypted: true,
      previousKeys: 1,
    });
  });
});
