// Proves the retry waits: exponential ceilings with full jitter, on the pull as on the wire.

import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKOFF_LIMIT_MS, backoffCeiling, fullJitter } from '../src/backoff.js';
import { AuthSecClient } from '../src/client.js';
import { captureLogger } from './support.js';

describe('backoffCeiling and fullJitter', () => {
  it('doubles from 250 ms per retry and stops at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffCeiling)).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000,
    ]);
    expect(BACKOFF_LIMIT_MS).toBe(5000);
  });

  it('spreads a wait uniformly from 0 up to the ceiling (full jitter, not equal jitter)', () => {
    expect(fullJitter(1000, () => 0)).toBe(0);
    expect(fullJitter(1000, () => 0.25)).toBe(250);
    expect(fullJitter(1000, () => 0.999)).toBeCloseTo(999);
  });
});

describe('retry waits on the pull', () => {
  let server: AuthSecTestServer | undefined;
  let client: AuthSecClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it('waits at most the exponential ceiling between attempts', async () => {
    server = await AuthSecTestServer.start();
    const { agent, delegation } = await server.createDelegatedAgent();
    const log = captureLogger();
    client = new AuthSecClient({
      baseUrl: server.url,
      clientId: agent.clientId,
      maxRetries: 4,
      logger: log,
      logLevel: 'info',
      env: {},
    });
    server.injectPullFault({ type: 'status', status: 503 }, { times: 4 });
    expect((await client.getDelegationToken()) === delegation.token).toBe(true);
    expect(server.pulls.map((p) => p.status)).toEqual([503, 503, 503, 503, 200]);
    // The wait chosen before each retry (logged as delayMs), not the wall clock, which a busy
    // machine stretches: each is within its retry's ceiling, and the server saw them in order.
    const retries = log.lines.filter((line) => line.fields?.event === 'pull.retry');
    expect(retries.map((line) => line.fields?.attempt)).toEqual([2, 3, 4, 5]);
    retries.forEach((line, i) => {
      const delayMs = line.fields?.delayMs as number;
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThanOrEqual(backoffCeiling(i + 1));
    });
    const at = server.pulls.map((p) => p.at.getTime());
    for (let retry = 1; retry < at.length; retry++) {
      const gap = (at[retry] as number) - (at[retry - 1] as number);
      const delayMs = retries[retry - 1]?.fields?.delayMs as number;
      expect(gap).toBeGreaterThanOrEqual(delayMs - 5);
    }
  });

  it('a 429 without Retry-After uses the backoff, not a vendor reset header far in the future', async () => {
    server = await AuthSecTestServer.start();
    const { agent, delegation } = await server.createDelegatedAgent();
    client = new AuthSecClient({
      baseUrl: server.url,
      clientId: agent.clientId,
      logLevel: 'silent',
      env: {},
    });
    const inAnHour = String(Math.floor(Date.now() / 1000) + 3600);
    server.injectPullFault({
      type: 'status',
      status: 429,
      headers: { 'x-ratelimit-reset': inAnHour, 'ratelimit-reset': inAnHour },
    });
    const started = performance.now();
    expect((await client.getDelegationToken()) === delegation.token).toBe(true);
    expect(performance.now() - started).toBeLessThan(backoffCeiling(1) + 1000);
    expect(server.pulls.map((p) => p.status)).toEqual([429, 200]);
  });
});
