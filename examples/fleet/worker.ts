// One agent process of the fleet: an AuthSecClient whose token lives in Redis, shared by every process.
// Configured through its environment as a deployed worker would be; index.ts forks several.

import { AuthSecClient, isAuthSecError } from '@authsec/core';
import { RedisTokenStore } from '@authsec/redis';
import { Redis } from 'ioredis';

/** What index.ts asks: run `callers` concurrent token calls with the clock `skippedMs` ahead. */
export interface WorkMessage {
  readonly type: 'work';
  readonly callers: number;
  readonly skippedMs: number;
}

/** The answer: which tokens the callers got (by `jti`, never the token) and what failed. */
export interface WorkReport {
  readonly type: 'report';
  readonly jtis: string[];
  readonly errors: string[];
}

// REDIS_URL set: share through Redis (the key comes from AUTHSEC_STORE_KEY). Unset: keep the token
// in this process only, as every process does without a store.
const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? new Redis(redisUrl) : undefined;
const store = redis ? new RedisTokenStore({ redis }) : undefined;

// The example fast-forwards time rather than waiting an hour for the token to near its expiry.
let skippedMs = 0;
const client = new AuthSecClient({
  // AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID come from the environment.
  ...(store && { store }),
  clock: () => Date.now() + skippedMs,
});

async function work(message: WorkMessage): Promise<WorkReport> {
  skippedMs = message.skippedMs;
  const jtis = new Set<string>();
  const errors = new Set<string>();
  await Promise.all(
    Array.from({ length: message.callers }, async () => {
      try {
        const info = await client.getDelegationTokenInfo();
        jtis.add(info.jti ?? '(no jti)');
      } catch (error) {
        errors.add(isAuthSecError(error) ? `${error.code}: ${error.message}` : String(error));
      }
    }),
  );
  return { type: 'report', jtis: [...jtis], errors: [...errors] };
}

process.on('message', (message: WorkMessage) => {
  if (message?.type !== 'work') return;
  void work(message).then((report) => process.send?.(report));
});

// index.ts disconnects when the run is over: close the client and the Redis connections.
process.on('disconnect', () => {
  void (async () => {
    await client.close();
    await store?.close();
    redis?.disconnect();
  })();
});

process.send?.({ type: 'ready' });
