// A fleet of real processes sharing one delegation token through a real redis-server: one pull per
// refresh, a dead lock holder, a revocation reaching every process.

import { randomBytes } from 'node:crypto';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, type FleetWorkerConfig, startFleet } from './fixtures/fleet.mjs';
import { type RedisServer, startRedis } from './redis-server.js';

const PROCESSES = 8;
const CALLERS = 50;
/** Past the default 60 s refresh margin of a 1 h token, short of its expiry: every copy is stale. */
const REFRESH_SHIFT_MS = 3_570_000;
/** Scheduling slack on a busy 2-core machine, on top of a bound under test. */
const SLACK_MS = 3_000;

const storeKey = randomBytes(32).toString('base64');
let server: AuthSecTestServer;
let redis: RedisServer;
/** The AuthSec server's and the workers' clock run this far ahead of the wall clock. */
let shiftMs = 0;
/** One fleet for every test (forking 8 processes is the slow part); each test reconfigures it. */
let fleet: Fleet;

beforeAll(async () => {
  [server, redis] = await Promise.all([
    AuthSecTestServer.start({ clock: () => Date.now() + shiftMs }),
    startRedis(),
  ]);
  fleet = await startFleet({ size: PROCESSES, config: config(await newAgent()), storeKey });
}, 90_000);

afterAll(async () => {
  await fleet?.close();
  await Promise.all([server?.close(), redis?.stop()]);
}, 60_000);

async function newAgent(): Promise<string> {
  const { agent } = await server.createDelegatedAgent({
    permissions: ['read:records'],
    ttlSeconds: 3600,
  });
  return agent.clientId;
}

function config(clientId: string, extra: Partial<FleetWorkerConfig> = {}): FleetWorkerConfig {
  return { baseUrl: server.url, clientId, redisUrl: redis.url, clockOffsetMs: shiftMs, ...extra };
}

/**
 * Makes every cached copy stale: the AuthSec server's clock moves on, an admin delegates a new
 * token, then the workers' clocks follow. Returns the new token's `jti`.
 */
async function nextRefresh(running: Fleet, clientId: string): Promise<string> {
  shiftMs += REFRESH_SHIFT_MS;
  const delegation = await server.delegate(clientId, { ttlSeconds: 3600 });
  await running.all('clock', { offsetMs: shiftMs });
  return delegation.jti;
}

describe('8 processes sharing a RedisTokenStore', () => {
  it('50 concurrent callers in each of 8 processes cause one pull per refresh', async () => {
    const clientId = await newAgent();
    server.clearRequests();
    await fleet.all('configure', { config: config(clientId) });
    const first = server.delegation(clientId)?.jti;

    const cold = await fleet.all('tokens', { callers: CALLERS });
    for (const answer of cold) {
      expect(answer.codes).toEqual([]);
      expect(answer.jtis).toEqual([first]);
    }
    expect(server.pulls).toHaveLength(1);

    for (const refresh of [2, 3]) {
      const jti = await nextRefresh(fleet, clientId);
      const answers = await fleet.all('tokens', { callers: CALLERS });
      for (const answer of answers) {
        expect(answer.codes).toEqual([]);
        expect(answer.jtis).toEqual([jti]);
      }
      expect(server.pulls).toHaveLength(refresh);
    }
    // Nothing went wrong on the way: no process warned.
    for (const { entries } of await fleet.all('logs')) {
      expect(entries.filter((e) => e.level === 'warn' || e.level === 'error')).toEqual([]);
    }
  }, 120_000);
});

describe('a revocation', () => {
  let api: DownstreamServer | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('reaches every process within 1 s once one of them is refused, and no process serves the token again', async () => {
    const clientId = await newAgent();
    api = await DownstreamServer.start({
      // The API checks tokens remotely (revocation included): after the revocation it answers 401.
      routes: { 'GET /api/records': { status: 401, body: { error: 'token has been revoked' } } },
    });
    await fleet.all('configure', {
      config: config(clientId, { downstreamUrl: `${api.url}/api` }),
    });
    const jti = server.delegation(clientId)?.jti;
    for (const answer of await fleet.all('tokens', { callers: CALLERS })) {
      expect(answer.jtis).toEqual([jti]);
    }
    const [first, ...rest] = fleet.workers;
    if (first === undefined) throw new Error('no workers');

    server.revoke(clientId);
    const dropped = Promise.all(rest.map((w) => w.ask('watch')));
    const refusedAt = Date.now();
    const refused = await first.ask('request', { path: '/records' });
    expect(refused).toEqual({ ok: false, code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND' });

    const reachedMs = (await dropped).map(({ at }) => at - refusedAt);
    expect(Math.max(...reachedMs)).toBeLessThanOrEqual(1_000);

    for (const answer of await fleet.all('tokens', { callers: CALLERS })) {
      expect(answer.jtis).toEqual([]);
      expect(answer.codes).toEqual(['ERR_AUTHSEC_DELEGATION_NOT_FOUND']);
    }
  }, 120_000);
});

// Last: it kills one of the fleet's processes.
describe('a lock holder killed in the middle of its pull', () => {
  const LOCK_TTL_MS = 3_000;

  it('stalls the other processes no longer than the lock TTL, and one of them pulls instead', async () => {
    const clientId = await newAgent();
    server.clearRequests();
    await fleet.all('configure', {
      config: config(clientId, {
        store: { lockTtlMs: LOCK_TTL_MS, waitTimeoutMs: 60_000 },
        client: { timeoutMs: 60_000, totalTimeoutMs: 60_000, maxRetries: 0 },
      }),
    });
    const [holder, ...others] = fleet.workers;
    if (holder === undefined) throw new Error('no workers');

    // The holder takes the lock and pulls; AuthSec never answers that pull.
    server.injectPullFault({ type: 'hang' });
    const held = holder.ask('tokens', { callers: CALLERS });
    held.catch(() => undefined);
    await server.waitForRequests(1, { kind: 'pull', timeoutMs: 30_000 });

    const started = Date.now();
    const waiting = Promise.all(others.map((w) => w.ask('tokens', { callers: CALLERS })));
    await holder.kill();
    const answers = await waiting;
    const stalledMs = Date.now() - started;

    const jti = server.delegation(clientId)?.jti;
    for (const answer of answers) {
      expect(answer.codes).toEqual([]);
      expect(answer.jtis).toEqual([jti]);
      expect(answer.maxMs).toBeLessThan(LOCK_TTL_MS + SLACK_MS);
    }
    expect(stalledMs).toBeLessThan(LOCK_TTL_MS + SLACK_MS);
    // The dead holder's pull, then exactly one more: the others still shared a single pull.
    expect(server.pulls).toHaveLength(2);
    await expect(held).rejects.toThrow(/exited/);
  }, 120_000);
});
