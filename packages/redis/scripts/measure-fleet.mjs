// Measures a fleet: pulls per token refresh for N processes with C concurrent callers each, sharing
// a RedisTokenStore or not, and what a store hit costs next to a memory hit. Used by the bench's
// fleet row (bench/cases/11-fleet.mjs); runnable on its own, printing JSON:
//
//   node packages/redis/scripts/measure-fleet.mjs [--processes 8] [--callers 50] [--unshared]
//
// Everything is local: an AuthSec-compatible test server in this process, a redis-server of its own
// on a free 127.0.0.1 port, and N forked worker processes (test/fixtures/fleet-worker.mjs).

import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AuthSecClient } from '@authsec/core';
import { AuthSecTestServer } from '@authsec/testing';
import { startFleet } from '../test/fixtures/fleet.mjs';
import { startRedisProcess } from './redis-process.mjs';

/** Past the default 60 s refresh margin of a 1 h token, short of its expiry: every copy is stale. */
const REFRESH_SHIFT_MS = 3_570_000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function nsPerCall(fn, batch) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) await fn();
  return Number(process.hrtime.bigint() - start) / batch;
}

/**
 * A store hit (`getDelegationToken()` on a client whose memory is empty and whose token is in Redis)
 * against a memory hit (the same call on a warm client), interleaved round by round.
 */
async function hitLatencies({ server, clock, clientId, store, rounds, storeBatch, memoryBatch }) {
  const options = { baseUrl: server.url, clientId, clock, env: {}, logLevel: 'silent' };
  const viaStore = new AuthSecClient({ ...options, store });
  const inMemory = new AuthSecClient(options);
  try {
    await viaStore.getDelegationToken();
    await inMemory.getDelegationToken();
    const storeHit = async () => {
      viaStore.invalidate(); // forgets this process's copy only: the next call reads Redis
      await viaStore.getDelegationToken();
    };
    const memoryHit = () => inMemory.getDelegationToken();
    const pullsBefore = server.pulls.length;
    await nsPerCall(storeHit, storeBatch);
    await nsPerCall(memoryHit, memoryBatch);
    const storeNs = [];
    const memoryNs = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2) {
        storeNs.push(await nsPerCall(storeHit, storeBatch));
        memoryNs.push(await nsPerCall(memoryHit, memoryBatch));
      } else {
        memoryNs.push(await nsPerCall(memoryHit, memoryBatch));
        storeNs.push(await nsPerCall(storeHit, storeBatch));
      }
    }
    if (server.pulls.length !== pullsBefore) {
      throw new Error(`store hits pulled ${server.pulls.length - pullsBefore} time(s)`);
    }
    return { storeHitNs: median(storeNs), memoryHitNs: median(memoryNs) };
  } finally {
    await viaStore.close();
    await inMemory.close();
  }
}

/**
 * Runs the fleet and measures it.
 * @param {object} [options]
 * @param {number} [options.processes] - worker processes, default 8
 * @param {number} [options.callers] - concurrent callers in each, default 50
 * @param {boolean} [options.shared] - share a RedisTokenStore (default) or keep tokens per process
 * @param {number} [options.refreshes] - refreshes measured, the first from a cold start; default 3
 * @param {number} [options.rounds] - rounds of the hit latencies, default 15
 * @param {number} [options.storeBatch] - store hits per round, default 200
 * @param {number} [options.memoryBatch] - memory hits per round, default 20,000
 * @returns {Promise<{ pullsPerRefresh: number, pulls: number[], storeHitNs: number | null, memoryHitNs: number | null }>}
 *   pulls per refresh (the mean; `pulls` per refresh), and the latencies when shared
 */
export async function measureFleet({
  processes = 8,
  callers = 50,
  shared = true,
  refreshes = 3,
  rounds = 15,
  storeBatch = 200,
  memoryBatch = 20_000,
} = {}) {
  let shiftMs = 0;
  const server = await AuthSecTestServer.start({ clock: () => Date.now() + shiftMs });
  let redis;
  let fleet;
  let connection;
  let store;
  try {
    const { agent } = await server.createDelegatedAgent({
      permissions: ['read:records'],
      ttlSeconds: 3600,
    });
    const { clientId } = agent;
    const storeKey = randomBytes(32).toString('base64');
    if (shared) redis = await startRedisProcess();
    fleet = await startFleet({
      size: processes,
      config: { baseUrl: server.url, clientId, ...(redis && { redisUrl: redis.url }) },
      storeKey,
    });

    const pulls = [];
    for (let refresh = 0; refresh < refreshes; refresh++) {
      if (refresh > 0) {
        // Every copy goes stale at once: the server's clock moves on, an admin re-delegates, the
        // workers' clocks follow.
        shiftMs += REFRESH_SHIFT_MS;
        await server.delegate(clientId, { ttlSeconds: 3600 });
        await fleet.all('clock', { offsetMs: shiftMs });
      }
      const before = server.pulls.length;
      const answers = await fleet.all('tokens', { callers });
      const failed = answers.flatMap((a) => a.codes);
      if (failed.length) throw new Error(`fleet callers failed: ${[...new Set(failed)]}`);
      pulls.push(server.pulls.length - before);
    }
    await fleet.close();
    fleet = undefined;

    let latencies = { storeHitNs: null, memoryHitNs: null };
    if (redis) {
      const [{ Redis }, { RedisTokenStore }] = await Promise.all([
        import('ioredis'),
        import('@authsec/redis'),
      ]);
      connection = new Redis(redis.url);
      store = new RedisTokenStore({ redis: connection, key: storeKey, env: {} });
      latencies = await hitLatencies({
        server,
        clock: () => Date.now() + shiftMs,
        clientId,
        store,
        rounds,
        storeBatch,
        memoryBatch,
      });
    }
    return {
      processes,
      callers,
      shared,
      pullsPerRefresh: pulls.reduce((a, b) => a + b, 0) / pulls.length,
      pulls,
      ...latencies,
    };
  } finally {
    await fleet?.close();
    await store?.close();
    connection?.disconnect();
    await redis?.stop();
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', default: '8' },
      callers: { type: 'string', default: '50' },
      unshared: { type: 'boolean', default: false },
    },
  });
  const result = await measureFleet({
    processes: Number(values.processes),
    callers: Number(values.callers),
    shared: !values.unshared,
  });
  console.log(JSON.stringify(result, null, 2));
}
