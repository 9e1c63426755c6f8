// Encryption keys across a fleet: what one key wrote, another cannot read (the client pulls
// instead), and a rotated-in key still reads it through `previousKeys`. Real redis-server, real
// AuthSecClients.

import { randomBytes } from 'node:crypto';
import { AuthSecClient, type LogFields, type Logger } from '@authsec/core';
import { AuthSecTestServer } from '@authsec/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStore, type RedisTokenStoreOptions } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

let server: AuthSecTestServer;
let redisServer: RedisServer;
let redis: Redis;
let clientId: string;
let token: string;
const stores: RedisTokenStore[] = [];
const clients: AuthSecClient[] = [];

interface Entry {
  level: string;
  message: string;
  fields: LogFields | undefined;
}
const lines: Entry[] = [];
const logger: Logger = {
  error: (message, fields) => lines.push({ level: 'error', message, fields }),
  warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
  info: (message, fields) => lines.push({ level: 'info', message, fields }),
  debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
};

beforeAll(async () => {
  [server, redisServer] = await Promise.all([AuthSecTestServer.start(), startRedis()]);
  redis = new Redis(redisServer.url);
  const { agent, delegation } = await server.createDelegatedAgent({
    permissions: ['read:records'],
  });
  clientId = agent.clientId;
  token = delegation.token;
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const store of stores) await store.close();
  redis?.disconnect();
  await Promise.all([server?.close(), redisServer?.stop()]);
}, 60_000);

/** A process's view: its own client (fresh memory) over a store with these keys. */
function processWith(options: Omit<RedisTokenStoreOptions, 'redis'>): AuthSecClient {
  const store = new RedisTokenStore({ redis, logger, env: {}, ...options });
  stores.push(store);
  const client = new AuthSecClient({
    baseUrl: server.url,
    clientId,
    env: {},
    logLevel: 'info',
    logger,
    store,
  });
  clients.push(client);
  return client;
}

describe('store entries and their encryption key', () => {
  it('are encrypted at rest: Redis never holds the token or its claims in plain text', async () => {
    await processWith({ key: keyA }).getDelegationToken();
    expect(server.pulls).toHaveLength(1);
    const keys = await redis.keys('*');
    const values = await Promise.all(
      keys.map(async (k) => ((await redis.type(k)) === 'string' ? await redis.get(k) : '')),
    );
    const stored = values.join('\n');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.split('.')[1] ?? token);
    expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    expect(stored).not.toContain(clientId);
  });

  it('are unreadable with another key: that process pulls its own token, with a warning but no error', async () => {
    const before = server.pulls.length;
    lines.length = 0;
    const got = await processWith({ key: keyB }).getDelegationToken();
    expect(got).toBe(token);
    expect(server.pulls.length).toBe(before + 1);
    // One warning that says what to fix, whatever the number of calls; nothing at error level.
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/another key/);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain(keyA);
    expect(JSON.stringify(lines)).not.toContain(keyB);
  });

  it('are readable after a rotation that lists the old key in previousKeys: no pull', async () => {
    // A fresh entry written with key A only.
    await redis.flushall();
    await processWith({ key: keyA }).getDelegationToken();
    const before = server.pulls.length;
    lines.length = 0;

    const rotated = processWith({ key: keyB, previousKeys: [keyA] });
    expect(await rotated.getDelegationToken()).toBe(token);
    expect(server.pulls.length).toBe(before);
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});
