// The module-level getDelegationToken(): one default client, built from the environment on first use.

import { AuthSecClient, type GetTokenOptions } from './client.js';

let defaultClient: AuthSecClient | undefined;

/**
 * The delegation token from a default client configured by environment variables
 * (`AUTHSEC_BASE_URL`, `AUTHSEC_AGENT_CLIENT_ID`, …), built on the first call, not at import.
 * @param options - an optional `signal`
 * @returns the JWT
 * @throws AuthSecConfigError when the environment is incomplete or invalid (the next call tries again)
 * @example
 * ```ts
 * import { getDelegationToken } from '@authsec/core';
 * const token = await getDelegationToken();
 * ```
 */
export async function getDelegationToken(options: GetTokenOptions = {}): Promise<string> {
  return getDefaultClient().getDelegationToken(options);
}

/**
 * The default client behind {@link getDelegationToken}, built from the environment on first use.
 * Adapters use it when no client is passed, so a process has one token cache, not one per library.
 * @returns the shared client
 * @throws AuthSecConfigError when the environment is incomplete or invalid (the next call tries again)
 * @example
 * ```ts
 * const records = await getDefaultClient().requestJson('/secure-vault/records');
 * ```
 */
export function getDefaultClient(): AuthSecClient {
  defaultClient ??= new AuthSecClient();
  return defaultClient;
}

/**
 * Closes and forgets the default client; the next {@link getDelegationToken} builds a new one
 * from the environment as it is then. For shutdown, and for tests that change the environment.
 * Does nothing when no default client was built.
 * @returns once the client is closed (its pulls in flight aborted)
 * @example
 * ```ts
 * process.on('SIGTERM', () => void closeDefaultClient());
 * ```
 */
export async function closeDefaultClient(): Promise<void> {
  const client = defaultClient;
  defaultClient = undefined;
  await client?.close();
}
