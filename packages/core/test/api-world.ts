// Test support: a live client of the local AuthSec server, with a recording API under /api and another origin.

import {
  AuthSecTestServer,
  DownstreamServer,
  type DownstreamServerOptions,
} from '@authsec/testing';
import { afterEach } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import type { AuthSecClientOptions } from '../src/config.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Closes `close` after the current test, in reverse order of registration. */
export function closeAfterTest(close: () => Promise<void>): void {
  closers.push(close);
}

/**
 * Starts AuthSec with one delegated agent, a recording API (`downstreamUrl` is its `/api`), another
 * origin, and a silent live client; all are closed after the test.
 */
export async function apiWorld(
  options: {
    client?: Partial<AuthSecClientOptions>;
    api?: DownstreamServerOptions;
    other?: DownstreamServerOptions;
  } = {},
) {
  const authsec = await AuthSecTestServer.start();
  const { agent, delegation } = await authsec.createDelegatedAgent({
    permissions: ['read:records'],
  });
  const api = await DownstreamServer.start(options.api);
  const other = await DownstreamServer.start(options.other);
  const client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: `${api.url}/api`,
    env: {},
    logLevel: 'silent',
    ...options.client,
  });
  closers.push(
    () => authsec.close(),
    () => api.close(),
    () => other.close(),
    () => client.close(),
  );
  return { authsec, agent, token: delegation.token, api, other, client };
}
