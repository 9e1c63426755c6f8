// The module-level getDelegationToken(): one default client, built from the environment on first use.

import { AuthSecClient, type GetTokenOptions } from './client.js';
import { VERSION } from './version.js';

/** Where the default client lives: one slot per process, whichever copy of core built it. */
interface DefaultClientSlot {
  client: AuthSecClient | undefined;
}

// The ESM and CJS builds (or two installs) in one process are separate module instances; a global
// slot keyed by the compatible version line (the major, or 0.minor before 1.0) gives them one
// default client, so one token cache and one pull. Incompatible versions keep their own.
const SLOT_KEY = Symbol.for(`authsec.core.defaultClient@${compatibleLine(VERSION)}`);

function compatibleLine(version: string): string {
  const [major = '0', minor = '0'] = version.split('.');
  return major === '0' ? `0.${minor}` : major;
}

function slot(): DefaultClientSlot {
  const global = globalThis as unknown as Record<symbol, DefaultClientSlot | undefined>;
  let found = global[SLOT_KEY];
  if (found === undefined) {
    found = { client: undefined };
    Object.defineProperty(globalThis, SLOT_KEY, { value: found, configurable: true });
  }
  return found;
}

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
 * Adapters use it when no client is passed, so a process has one token cache, not one per library,
 * even when both the ESM and the CJS build of this package are loaded (they share it through a
 * `Symbol.for` global keyed by the compatible version line).
 * @returns the shared client
 * @throws AuthSecConfigError when the environment is incomplete or invalid (the next call tries again)
 * @example
 * ```ts
 * const records = await getDefaultClient().requestJson('/secure-vault/records');
 * ```
 */
export function getDefaultClient(): AuthSecClient {
  const shared = slot();
  shared.client ??= new AuthSecClient();
  return shared.client;
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
  const shared = slot();
  const client = shared.client;
  shared.client = undefined;
  await client?.close();
}
