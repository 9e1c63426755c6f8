// A demo environment whose AuthSec server requires sessions, and every secret it hands out.

import { randomBytes } from 'node:crypto';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { Redis } from 'ioredis';
import { startLocalRedis } from '../../../examples/fleet/redis-server.js';
import { SecretSet } from './secrets.js';

/** The demo servers with session-requiring AuthSec, plus secrets a deployment would also hold. */
export interface LeakEnvironment {
  readonly demo: DemoEnvironment;
  /** A custom header value the clients send (an API key of the deployment's gateway, say). */
  readonly apiKey: string;
  /** An OpenAI-style key in the agents' LLM config. */
  readonly openAiKey: string;
  /** Every secret in play; add the ones a test makes later (pulled, mock or store tokens). */
  readonly secrets: SecretSet;
  /** A client of a redis-server started for this environment, for `RedisTokenStore`s. */
  readonly redis: Redis;
  /** Stops the servers and Redis. */
  close(): Promise<void>;
}

/**
 * Starts the demo environment on a `session` AuthSec server and a redis-server, and collects the
 * secrets.
 * @returns the environment; `close()` stops it
 */
export async function startLeakEnvironment(): Promise<LeakEnvironment> {
  const demo = await startDemoEnvironment({
    authsec: { generation: 'session' },
    api: { revocationCacheSeconds: 0 },
  });
  const apiKey = `gw_${randomBytes(24).toString('base64url')}`;
  const openAiKey = `sk-test-${randomBytes(24).toString('hex')}`;
  const secrets = new SecretSet().add('gateway API key', apiKey).add('OpenAI key', openAiKey);
  for (const [name, agent] of Object.entries(demo.agents)) {
    secrets.add(`${name} delegation token`, agent.delegation.token);
    secrets.add(`${name} session credential`, agent.session.token);
  }
  const local = await startRedisClient();
  const close = async () => {
    await local.close();
    await demo.close();
  };
  return { demo, apiKey, openAiKey, secrets, redis: local.redis, close };
}

/** A redis-server of the test's own and an ioredis client of it. */
interface LocalRedisClient {
  readonly redis: Redis;
  /** Disconnects the client, then stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a redis-server on a free loopback port (as the fleet example does) and connects to it.
 * @returns the client; `close()` stops both
 */
async function startRedisClient(): Promise<LocalRedisClient> {
  const server = await startLocalRedis();
  const redis = new Redis(server.url);
  return {
    redis,
    close: async () => {
      redis.disconnect();
      await server.stop();
    },
  };
}
