// Fuzz support: a real AuthSec server and a client whose next pull gets a body of the test's choosing.

import { AuthSecTestServer, type DelegatedAgentOptions } from '@authsec/testing';
import { expect } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import type { DelegationTokenInfo } from '../src/token-info.js';
import { captureLogger } from './support.js';

const JWT_SHAPED = /eyJ[\w-]+\.[\w-]+\.[\w-]*/;

export interface PullFixture {
  server: AuthSecTestServer;
  /** A client without retries, so one call is exactly one pull. */
  client: AuthSecClient;
  clientId: string;
  /** The token AuthSec delegated to the agent. */
  token: string;
  /**
   * Pulls once, AuthSec answering 200 with `body`; returns the info, or the error thrown. The
   * client logs at debug, and no line may hold a JWT-shaped string.
   */
  pullWith(body: string): Promise<DelegationTokenInfo | Error>;
  close(): Promise<void>;
}

/** Starts the server, delegates to one agent, and makes its client (started once per file). */
export async function startPullFixture(agent?: DelegatedAgentOptions): Promise<PullFixture> {
  const server = await AuthSecTestServer.start();
  const { agent: made, delegation } = await server.createDelegatedAgent(agent);
  const clientId = made.clientId;
  const log = captureLogger();
  const client = new AuthSecClient({
    baseUrl: server.url,
    clientId,
    maxRetries: 0,
    logLevel: 'debug',
    logger: log,
    env: {},
  });
  return {
    server,
    client,
    clientId,
    token: delegation.token,
    async pullWith(body) {
      server.injectPullFault({ type: 'raw', status: 200, contentType: 'application/json', body });
      const before = server.requestCount;
      client.invalidate();
      try {
        return await client.getDelegationTokenInfo();
      } catch (error) {
        return error as Error;
      } finally {
        // The queued body answered exactly this pull: no retry, no second pull.
        expect(server.requestCount).toBe(before + 1);
        expect(JWT_SHAPED.test(log.text())).toBe(false);
        log.lines.length = 0;
      }
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}
