// A whole local demo in one call: an AuthSec test server, the demo API, and three delegated agents.

import {
  AuthSecTestServer,
  type AuthSecTestServerOptions,
  type DelegatedAgent,
} from '@authsec/testing';
import { type DemoApi, type DemoApiOptions, startDemoApi } from './demo-api.js';

/** The demo agents and the permissions each is delegated. */
export const DEMO_AGENTS = Object.freeze({
  reader: Object.freeze(['read:records', 'read:metrics', 'read:customers']),
  billing: Object.freeze(['billing:read', 'read:customers']),
  writer: Object.freeze(['read:records', 'records:write']),
});

/** The name of a demo agent. */
export type DemoAgentName = keyof typeof DEMO_AGENTS;

/** Options for {@link startDemoEnvironment}. */
export interface DemoEnvironmentOptions {
  /** Options of the AuthSec test server (generation, port, clock …). @default legacy on a free port */
  authsec?: AuthSecTestServerOptions;
  /** Options of the demo API; `authsecUrl` and `workspaceId` come from the AuthSec server. */
  api?: Omit<DemoApiOptions, 'authsecUrl' | 'workspaceId'>;
  /** The agents' token lifetime. @default 3600 */
  ttlSeconds?: number;
}

/** A running demo environment. */
export interface DemoEnvironment {
  /** The local AuthSec-compatible server that delegates the agents' tokens. */
  readonly authsec: AuthSecTestServer;
  /** The protected API that accepts them. */
  readonly api: DemoApi;
  /** One delegated agent per role; each one's `delegation.token` is ready to send as a bearer. */
  readonly agents: Readonly<Record<DemoAgentName, DelegatedAgent>>;
  /**
   * `AUTHSEC_BASE_URL`, `AUTHSEC_AGENT_CLIENT_ID` (the reader), `AUTHSEC_WORKSPACE_ID`,
   * `DOWNSTREAM_URL`, and `AUTHSEC_SESSION_TOKEN` when the generation requires a session.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the API, then the AuthSec server. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts an AuthSec test server and the demo API that trusts it, and delegates tokens to a
 * reader, a billing and a writer agent.
 * @param options - AuthSec server and API options, token lifetime
 * @returns the servers, the agents and the environment variables an agent process needs
 * @example
 * ```ts
 * await using demo = await startDemoEnvironment();
 * const res = await fetch(`${demo.api.url}/secure-vault/records`, {
 *   headers: { authorization: `Bearer ${demo.agents.reader.delegation.token}` },
 * });
 * ```
 */
export async function startDemoEnvironment(
  options: DemoEnvironmentOptions = {},
): Promise<DemoEnvironment> {
  const authsec = await AuthSecTestServer.start(options.authsec);
  let api: DemoApi | undefined;
  try {
    api = await startDemoApi({
      ...options.api,
      authsecUrl: authsec.url,
      workspaceId: authsec.workspaceId,
    });
    const ttlSeconds = options.ttlSeconds ?? 3600;
    const delegate = (name: DemoAgentName) =>
      authsec.createDelegatedAgent({
        name: `Demo ${name} agent`,
        permissions: DEMO_AGENTS[name],
        ttlSeconds,
      });
    const agents = Object.freeze({
      reader: await delegate('reader'),
      billing: await delegate('billing'),
      writer: await delegate('writer'),
    });
    const env = Object.freeze({
      ...agents.reader.env,
      AUTHSEC_WORKSPACE_ID: authsec.workspaceId,
      DOWNSTREAM_URL: api.url,
    });
    const running = api;
    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= running.close().finally(() => authsec.close());
      return closed;
    };
    return Object.freeze({
      authsec,
      api: running,
      agents,
      env,
      close,
      [Symbol.asyncDispose]: close,
    });
  } catch (error) {
    await api?.close();
    await authsec.close();
    throw error;
  }
}
