// Test support: a real redis-server, the local AuthSec server, and clients each with its own store.

import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  AuthSecClient,
  type AuthSecClientOptions,
  type LogFields,
  type Logger,
} from '@authsec/core';
import { AuthSecTestServer } from '@authsec/testing';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { RedisTokenStore, type RedisTokenStoreOptions } from '../src/index.js';
import { type RedisServer, startRedis } from './redis-server.js';

export interface CapturedLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every line it is given. */
export function captureLogger(): Logger & { lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = [];
  const at = (level: CapturedLine['level']) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`).join('\n'),
  };
}

/** A fresh AES-256 key, base64. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

export interface Worker {
  client: AuthSecClient;
  store: RedisTokenStore;
  redis: Redis;
  /** The client's log lines. */
  log: ReturnType<typeof captureLogger>;
  /** The store's own log lines. */
  storeLog: ReturnType<typeof captureLogger>;
}

/** One redis-server, one AuthSec server with a delegated agent, and workers to close afterwards. */
export class World {
  readonly workers: Worker[] = [];
  readonly connections: Redis[] = [];

  private constructor(
    readonly redisServer: RedisServer,
    readonly server: AuthSecTestServer,
    readonly clientId: string,
    readonly token: string,
    readonly key: string,
  ) {}

  static async start(options: { session?: boolean; ttlSeconds?: number } = {}): Promise<World> {
    const redisServer = await startRedis();
    const server = await AuthSecTestServer.start(options.session ? { generation: 'session' } : {});
    const { agent, delegation } = await server.createDelegatedAgent({
      ttlSeconds: options.ttlSeconds ?? 3600,
    });
    return new World(redisServer, server, agent.clientId, delegation.token, newKey());
  }

  /** A Redis connection for the test itself (inspection, planting values). */
  connect(): Redis {
    const redis = new Redis(this.redisServer.port, '127.0.0.1', {
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    redis.on('error', () => undefined);
    this.connections.push(redis);
    return redis;
  }

  /** A "process": its own Redis connection, its own RedisTokenStore, its own client. */
  worker(
    options: {
      store?: Partial<RedisTokenStoreOptions>;
      client?: Partial<AuthSecClientOptions>;
    } = {},
  ): Worker {
    // Offline commands fail fast and retry little, as a fleet should configure it.
    const redis = new Redis(this.redisServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    const storeLog = captureLogger();
    const store = new RedisTokenStore({
      redis,
      key: this.key,
      env: {},
      logger: storeLog,
      ...options.store,
    });
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: this.server.url,
      clientId: this.clientId,
      logger: log,
      logLevel: 'debug',
      env: {},
      store,
      ...options.client,
    });
    const worker = { client, store, redis, log, storeLog };
    this.workers.push(worker);
    return worker;
  }

  /** Resolves once `count` connections are subscribed to the invalidation channel. */
  async subscribers(count: number, prefix = 'authsec:'): Promise<void> {
    const probe = this.connect();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [, subscribed] = (await probe.pubsub('NUMSUB', `${prefix}invalidations`)) as [
        string,
        number,
      ];
      if (Number(subscribed) >= count) return;
      if (Date.now() > deadline) throw new Error(`only ${subscribed} of ${count} subscribed`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    for (const worker of this.workers.splice(0)) {
      await worker.client.close();
      await worker.store.close();
      worker.redis.disconnect();
    }
    for (const redis of this.connections.splice(0)) redis.disconnect();
    await this.server.close();
    await this.redisServer.stop();
  }
}

/** Asserts that none of `secrets` shows in any of `things` (inspect, JSON or text). */
export function expectNotShown(secrets: string[], ...things: unknown[]): void {
  const parts = secrets
    .flatMap((s) => (s.split('.').length === 3 ? [s, s.split('.')[2] as string] : [s]))
    .filter((s) => s.length > 8);
  for (const thing of things) {
    const shown =
      typeof thing === 'string'
        ? thing
        : `${inspect(thing, { depth: 10 })}\n${JSON.stringify(thing)}`;
    for (const secret of parts) expect(shown).not.toContain(secret);
  }
}
