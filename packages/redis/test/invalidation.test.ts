import { AuthSecDelegationNotFoundError } from '@authsec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from './support.js';

let world: World;

beforeAll(async () => {
  world = await World.start({ ttlSeconds: 3600 });
});

afterAll(async () => {
  await world?.close();
});

/** Resolves when `lines` gains one matching `text`, with the time it took; bounded. */
function lineAppears(lines: { message: string }[], text: string, limitMs: number) {
  const started = Date.now();
  return new Promise<number>((resolve, reject) => {
    const check = () => {
      if (lines.some((l) => l.message.includes(text))) resolve(Date.now() - started);
      else if (Date.now() - started > limitMs)
        reject(new Error(`no "${text}" within ${limitMs} ms`));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('revocation reaches every process', () => {
  it('a 404 after a revocation: the shared entry is deleted and another client drops its copy within 1 s', async () => {
    const a = world.worker();
    const b = world.worker();
    await world.subscribers(2);
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(world.server.pulls).toHaveLength(1);
    world.server.revoke(world.clientId);
    // The shared entry reached its refresh margin: a refreshes first and learns of the revocation.
    const redis = world.connect();
    await redis.del(...(await redis.keys('authsec:token:*')));
    a.client.invalidate();
    const heard = lineAppears(b.log.lines, 'Another process invalidated', 5_000);
    await expect(a.client.getDelegationToken()).rejects.toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
    // Within 1 s of a's call, pull and publication included.
    expect(await heard).toBeLessThan(1_000);
    expect(await redis.keys('authsec:token:*')).toEqual([]);
    // a published it: it does not log its own message as news from another process.
    expect(a.log.lines.filter((l) => l.message.includes('Another process invalidated'))).toEqual(
      [],
    );
    // b no longer serves the revoked token from memory: it asks AuthSec, which refuses.
    await expect(b.client.getDelegationToken()).rejects.toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
  });

  it('a new delegation after the revocation is pulled once and shared again', async () => {
    await world.server.delegate(world.clientId);
    const workers = [world.worker(), world.worker(), world.worker()];
    const before = world.server.pulls.length;
    const tokens = await Promise.all(workers.map((w) => w.client.getDelegationToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(world.server.pulls.length - before).toBe(1);
  });
});
