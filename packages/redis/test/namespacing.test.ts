import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from './support.js';

let world: World;

beforeAll(async () => {
  world = await World.start({ session: true });
});

afterAll(async () => {
  await world?.close();
});

describe('keys: namespaced by base URL, client id and a session fingerprint', () => {
  it('one session never reads a token another session pulled, and keys hold no credential', async () => {
    const first = await world.server.createSession();
    const second = await world.server.createSession();
    const a = world.worker({ client: { sessionToken: first.token } });
    const b = world.worker({ client: { sessionToken: first.token } });
    const c = world.worker({ client: { sessionToken: second.token } });
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(world.server.pulls).toHaveLength(1); // same session: shared
    await c.client.getDelegationToken();
    expect(world.server.pulls).toHaveLength(2); // another session: its own pull

    const keys = (await world.connect().keys('*')).filter((k) => !k.includes('lock:')).sort();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key.startsWith(`authsec:token:v1:${world.server.url}:${world.clientId}:s`)).toBe(true);
      expect(key).toMatch(/:s[0-9a-f]{32}$/);
      expect(key).not.toContain(first.token);
      expect(key).not.toContain(second.token);
    }
    // Entries expire with the token (less the refresh margin); the lock is gone.
    const redis = world.connect();
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(3_400_000);
      expect(ttl).toBeLessThanOrEqual(3_540_000);
    }
    expect(await redis.keys('authsec:lock:*')).toEqual([]);
  });

  it('another client id or another prefix is another key', async () => {
    const other = await world.server.createDelegatedAgent();
    const session = await world.server.createSession();
    const a = world.worker({ client: { sessionToken: session.token } });
    const b = world.worker({
      client: { sessionToken: session.token, clientId: other.agent.clientId },
    });
    const c = world.worker({
      client: { sessionToken: session.token },
      store: { prefix: 'tenant-b:' },
    });
    const before = world.server.pulls.length;
    expect(await a.client.getDelegationToken()).not.toBe(await b.client.getDelegationToken());
    await c.client.getDelegationToken();
    expect(world.server.pulls.length - before).toBe(3);
    expect((await world.connect().keys('tenant-b:token:*')).length).toBe(1);
  });
});
