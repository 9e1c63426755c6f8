// A bounded load test on loopback: 200 concurrent callers while an admin re-delegates, each time
// moving the client's clock into the refresh margin. It stops by itself after AUTHSEC_LOAD_SECONDS
// (default 10) and prints its figures on one line.

import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { createDelegationTokenVerifier } from '../src/verify.js';
import { manualClock } from './support.js';

const CALLERS = 200;
const REDELEGATIONS = 5;
/** Every this many calls, a caller also makes an authorized request instead of only a token call. */
const REQUEST_EVERY = 10;
const HEAP_LIMIT_BYTES = 10 * 1024 * 1024;
const REFRESH_MARGIN_SECONDS = 60;
const TTL_SECONDS = 3600;

function loadSeconds(): number {
  const raw = process.env.AUTHSEC_LOAD_SECONDS?.trim();
  if (raw === undefined || raw === '') return 10;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new RangeError(
      `AUTHSEC_LOAD_SECONDS must be a number of seconds from 1 to 3600, got '${raw}': unset it for the default 10`,
    );
  }
  return seconds;
}

const seconds = loadSeconds();
const gc = (globalThis as { gc?: () => void }).gc;

/** Heap in use after full collections, so garbage still waiting for the collector is not counted. */
async function settledHeap(): Promise<number> {
  if (!gc) throw new Error('the load test needs --expose-gc (set in vitest.config.ts execArgv)');
  for (let i = 0; i < 3; i++) {
    gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

let server: AuthSecTestServer;
let api: DownstreamServer;
let client: AuthSecClient;
afterAll(async () => {
  await client?.close();
  await api?.close();
  await server?.close();
});

describe('load', () => {
  it(
    `${CALLERS} concurrent callers while an admin re-delegates ${REDELEGATIONS} times: one pull per re-delegation plus one, no error, heap growth under 10 MB`,
    async () => {
      const clock = manualClock();
      server = await AuthSecTestServer.start({ clock: clock.now });
      // The first token lives half as long as the others, so each move of the clock (to 30 s
      // before the cached token's exp) leaves the token delegated just before it well outside the margin.
      const { agent } = await server.createDelegatedAgent({
        ttlSeconds: TTL_SECONDS / 2,
        maxDurationSeconds: TTL_SECONDS,
      });
      // The API verifies every bearer on the same clock, without leeway: an expired token is a 401.
      const verifier = createDelegationTokenVerifier({
        baseUrl: server.url,
        workspaceId: server.workspaceId,
        audience: 'authsec-api',
        clock: clock.now,
        clockToleranceSeconds: 0,
        env: {},
      });
      api = await DownstreamServer.start({
        routes: {
          'GET /records': async (request) => {
            try {
              await verifier.verify(request.bearer ?? '');
              return { body: { ok: true } };
            } catch {
              return { status: 401 };
            }
          },
        },
      });
      client = new AuthSecClient({
        baseUrl: server.url,
        clientId: agent.clientId,
        downstreamUrl: api.url,
        clock: clock.now,
        refreshMarginSeconds: REFRESH_MARGIN_SECONDS,
        logLevel: 'silent',
        env: {},
      });

      // Warm up (first pull, key bundle, a pool of connections as wide as the load's), then take
      // the baseline.
      await Promise.all(Array.from({ length: CALLERS }, () => client.requestJson('/records')));
      api.clearRequests();
      const heapBefore = await settledHeap();

      // Callers stop once the time is up and the admin is done, whichever comes last.
      let timeUp = false;
      let adminDone = false;
      let calls = 0;
      let requests = 0;
      const errors: unknown[] = [];
      // Callers start at different points of their cycle, so requests spread instead of bunching.
      const caller = async (_: unknown, offset: number) => {
        for (let i = 1 + offset; !(timeUp && adminDone); i++) {
          try {
            if (i % REQUEST_EVERY === 0) {
              await client.requestJson('/records');
              requests++;
            } else {
              await client.getDelegationToken();
            }
            calls++;
          } catch (error) {
            errors.push(error);
          }
          // A cache hit never leaves the microtask queue: yield, so timers and I/O get their turn.
          await nextTurn();
        }
      };
      const admin = async () => {
        for (let round = 1; round <= REDELEGATIONS; round++) {
          await sleep((seconds * 1000) / (REDELEGATIONS + 1));
          const cachedExpiresAtMs = server.delegation(agent.clientId)?.expiresAtMs ?? 0;
          await server.delegate(agent.clientId, { ttlSeconds: TTL_SECONDS });
          // 30 s before the cached token's exp: inside the margin, so the next call must refresh.
          clock.advance((cachedExpiresAtMs - 30_000 - clock.now()) / 1000);
          await server.waitForRequests(1 + round, { kind: 'pull', timeoutMs: 30_000 });
        }
        adminDone = true;
      };
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      const started = performance.now();
      const stop = setTimeout(() => {
        timeUp = true;
      }, seconds * 1000);
      try {
        await Promise.all([
          admin().finally(() => {
            adminDone = true;
          }),
          ...Array.from({ length: CALLERS }, caller),
        ]);
      } finally {
        clearTimeout(stop);
        timeUp = true;
      }
      // Node reports an unhandled rejection after the microtasks drain: give it a macrotask turn.
      await nextTurn();
      process.off('unhandledRejection', onUnhandled);
      const elapsedS = (performance.now() - started) / 1000;
      api.clearRequests();
      const heapDelta = (await settledHeap()) - heapBefore;
      const pulls = server.pulls.length;
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
      console.log(
        `load: ${CALLERS} callers for ${elapsedS.toFixed(1)} s: ${calls} calls (${Math.round(calls / elapsedS)}/s, ${requests} authorized requests), ` +
          `${pulls} pulls for ${REDELEGATIONS} re-delegations, ${errors.length} errors, heap ${heapDelta >= 0 ? '+' : ''}${mb(heapDelta)} MB after GC`,
      );

      expect(errors.map(String)).toEqual([]);
      expect(unhandled.map(String)).toEqual([]);
      expect(pulls).toBe(REDELEGATIONS + 1);
      expect(await client.getDelegationToken()).toBe(server.delegation(agent.clientId)?.token);
      expect(calls).toBeGreaterThan(CALLERS);
      expect(heapDelta).toBeLessThan(HEAP_LIMIT_BYTES);
    },
    (seconds + 90) * 1000,
  );
});
