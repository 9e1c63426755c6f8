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
  // 42 000 requests: ~25 s alone on 2 cores, ~3x that while other suites run beside it.
  it('20 000 requestJson calls grow the heap after GC by less than 1 MB, in the smaller of two windows', async () => {
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
    // The lowest of five collections 100 ms apart: objects a pending timer still holds (a socket's
    // keep-alive, a request just settled) show up as a 4 MB spike in one sample, not in all five.
    const heap = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        collect();
        samples.push(process.memoryUsage().heapUsed);
      }
      return Math.min(...samples);
    };
    // A leak grows the heap in every window; a one-off (optimized code, a socket opened while the
    // machine is busy) grows it in one. So the smaller of two windows' growths is the figure.
    await run(2_000);
    const marks = [await heap()];
    for (let window = 0; window < 2; window += 1) {
      await run(20_000);
      marks.push(await heap());
    }
    const growths = marks.slice(1).map((mark, i) => mark - (marks[i] as number));
    console.log(
      `heap after GC: ${marks.map((m) => (m / 2 ** 20).toFixed(2)).join(' MB -> ')} MB (20 000 requests a step)`,
    );
    expect(authsec.pulls).toHaveLength(1);
    expect(Math.min(...growths)).toBeLessThan(1024 * 1024);
  }, 240_000);
});
