import { getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AuthSecClient, createAuthSecTool } from '../src/index.js';
import { clientFor } from './helpers.js';

let demo: DemoEnvironment;
let billing: AuthSecClient;
/** A server that accepts every request and never answers it. */
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  demo = await startDemoEnvironment();
  billing = clientFor(demo, demo.agents.billing.agent.clientId);
  silent = createServer((req) => silent.emit('arrived', req));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  silent.closeAllConnections();
  silent.close();
  await billing.close();
  await demo.close();
});

/** V8's collector, reachable without starting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** What `AbortSignal.any` keeps inside each of its sources (a Node internal; absent elsewhere). */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find(
    (symbol) => symbol.description === 'kDependantSignals',
  );
  const set = key === undefined ? undefined : (signal as unknown as Record<symbol, unknown>)[key];
  // A SafeSet of Node's primordials: another realm's Set, so duck-typed.
  return typeof (set as { size?: unknown } | undefined)?.size === 'number'
    ? (set as { size: number }).size
    : 0;
}

describe('the tool context: the run signal and a request’s own signal together', () => {
  it('still aborts a hung request after a forced gc(), when only the request holds the signal', async () => {
    const client = clientFor(demo, demo.agents.billing.agent.clientId, {
      allowedOrigins: [silentUrl],
    });
    try {
      const t = createAuthSecTool(
        // The request's own signal is referenced by nothing but the request.
        async (_i, { fetch }) =>
          fetch(`${silentUrl}/hang`, { signal: new AbortController().signal }),
        { name: 'hang', schema: z.object({}), client },
      );
      const run = new AbortController();
      const reached = once(silent, 'arrived') as Promise<[IncomingMessage]>;
      const call = t.invoke({}, { signal: run.signal }).catch((e: unknown) => e);
      const [request] = await reached;
      // The server side sees the client go away: 'aborted' (an error) then 'close'.
      request.on('error', () => {});
      const closed = new Promise((resolve) => request.once('close', resolve));
      collectGarbage();
      await new Promise<void>((resolve) => setImmediate(resolve));
      collectGarbage();
      run.abort();
      // The request itself is cancelled (the connection closes), not only the tool's promise.
      await closed;
      expect(await call).toBeInstanceOf(Error);
    } finally {
      await client.close();
    }
  });

  it('leaves nothing attached to a long-lived run signal once each call is done', async () => {
    const run = new AbortController();
    const t = createAuthSecTool(
      async (_i, { requestJson }) =>
        requestJson('/billing/customers/42', { signal: new AbortController().signal }),
      { name: 'billing', schema: z.object({}), client: billing },
    );
    const listenersBefore = getEventListeners(run.signal, 'abort').length;
    for (let index = 0; index < 20; index += 1) {
      await t.invoke({}, { signal: run.signal });
    }
    expect(dependants(run.signal)).toBe(0);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(listenersBefore);
    // And the link still works: an abort before a call reaches its request.
    run.abort();
    await expect(t.invoke({}, { signal: run.signal })).rejects.toThrow();
  });
});
