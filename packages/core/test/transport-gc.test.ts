// Requests, pulls and key fetches stay bounded after a garbage collection, and leave nothing behind.
// The worker runs with --expose-gc (vitest.config.ts), so these tests can force collections.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecTimeoutError } from '../src/errors.js';
import { BUNDLE_PATH, callAuthSec } from '../src/jwks-cache.js';
import { apiWorld, closeAfterTest } from './api-world.js';
import { rejection } from './support.js';

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) throw new Error('run this file with node --expose-gc (vitest.config.ts execArgv)');
  gc();
  gc();
}

/** Settles with the outcome of `promise`, or with 'still pending' after `ms` (collecting garbage meanwhile). */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> {
  const collector = setInterval(collect, 50);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'still pending'>((resolve) => {
        timer = setTimeout(() => resolve('still pending'), ms);
      }),
    ]);
  } finally {
    clearInterval(collector);
    clearTimeout(timer);
  }
}

describe('time limits survive a garbage collection', () => {
  it('request() against an API that never answers times out after a GC', async () => {
    const never = () => new Promise<never>(() => undefined);
    const w = await apiWorld({
      client: { timeoutMs: 200, totalTimeoutMs: 600 },
      api: { routes: { '/api/slow': never } },
    });
    await w.client.getDelegationToken();
    const outcome = await settleWithin(rejection(w.client.request('/slow')), 3_000);
    expect(outcome).toBeInstanceOf(AuthSecTimeoutError);
  });

  it('the pull stays within totalTimeoutMs after a GC when AuthSec never answers', async () => {
    const w = await apiWorld({ client: { timeoutMs: 10_000, totalTimeoutMs: 400 } });
    w.authsec.injectPullFault({ type: 'hang' }, { times: Number.POSITIVE_INFINITY });
    const outcome = await settleWithin(rejection(w.client.getDelegationToken()), 3_000);
    expect(outcome).toBeInstanceOf(AuthSecTimeoutError);
  });

  it('the key bundle fetch stays within timeoutMs after a GC when AuthSec never answers', async () => {
    const never = () => new Promise<never>(() => undefined);
    const fake = await DownstreamServer.start({ routes: { [BUNDLE_PATH]: never } });
    closeAfterTest(() => fake.close());
    const ctx = { baseUrl: fake.url, fetch: globalThis.fetch, timeoutMs: 300, now: Date.now };
    const outcome = await settleWithin(rejection(callAuthSec(ctx, 'GET', BUNDLE_PATH)), 3_000);
    expect(outcome).toBeInstanceOf(AuthSecTimeoutError);
  });
});

describe('authorized requests leave nothing behind', () => {
  // 22 000 requests: ~15 s alone on 2 cores, ~4x that while other suites run beside it.
  it('20 000 requestJson calls grow the heap after GC by less than 1 MB', async () => {
    // A bare API (no per-request recording), so the heap holds only what the client keeps.
    const api = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const authsec = await AuthSecTestServer.start();
    const { agent } = await authsec.createDelegatedAgent({ permissions: ['read:records'] });
    const client = new AuthSecClient({
      baseUrl: authsec.url,
      clientId: agent.clientId,
      downstreamUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`,
      env: {},
      logLevel: 'silent',
    });
    closeAfterTest(() => client.close());
    closeAfterTest(() => authsec.close());
    closeAfterTest(async () => {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    });
    const run = async (count: number) => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next += 1;
          await client.requestJson('/ping');
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    };
    const heap = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      collect();
      await new Promise((resolve) => setImmediate(resolve));
      collect();
      return process.memoryUsage().heapUsed;
    };
    await run(2_000);
    const before = await heap();
    await run(20_000);
    const after = await heap();
    console.log(
      `heap after GC: ${(before / 2 ** 20).toFixed(2)} MB -> ${(after / 2 ** 20).toFixed(2)} MB`,
    );
    expect(authsec.pulls).toHaveLength(1);
    expect(after - before).toBeLessThan(1024 * 1024);
  }, 180_000);
});
