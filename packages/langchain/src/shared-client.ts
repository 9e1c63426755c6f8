// The client a tool uses when none is passed: one per process, built from the environment on first use.

import { type AuthSecClient, getDefaultClient } from '@authsec/core';

/**
 * The tool's own client, or core's default client, built from the environment (`AUTHSEC_BASE_URL`,
 * `AUTHSEC_AGENT_CLIENT_ID`, `DOWNSTREAM_URL` …) on the first tool call, so a configuration
 * error surfaces when the agent runs rather than when the module loads.
 * @param client - the client given in the tool's fields, if any
 * @returns the client to use
 * @throws AuthSecConfigError when the environment is invalid or partial
 */
export function resolveClient(client: AuthSecClient | undefined): AuthSecClient {
  // Core's default client: the same token cache as a getDelegationToken() call in the same process.
  return client ?? getDefaultClient();
}
