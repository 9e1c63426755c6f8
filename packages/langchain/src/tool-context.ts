// The context handed to an AuthSec tool's function: requests bound to the delegation token and the run's signal.

import type {
  AuthSecClient,
  AuthSecRequestJsonOptions,
  AuthSecRequestOptions,
} from '@authsec/core';
import type { ToolRunnableConfig } from '@langchain/core/tools';

/**
 * What an AuthSec tool's function receives besides its input: `fetch`, `request` and
 * `requestJson` of the tool's client (the token is attached for you, only to allowed origins),
 * each cancelled when the agent run is.
 */
export interface AuthSecToolContext {
  /** `client.fetch` with the run's signal: every status is returned, nothing thrown for 4xx/5xx. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** `client.request` with the run's signal: resolves on 2xx, throws typed errors otherwise. */
  request(path: string | URL, options?: AuthSecRequestOptions): Promise<Response>;
  /** `client.requestJson` with the run's signal: the parsed (and validated) body. */
  requestJson<T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>): Promise<T>;
  /** The run's abort signal (`config.signal`), if any. */
  readonly signal: AbortSignal | undefined;
  /** LangChain's config for this call (callbacks, `toolCall`, `configurable` …). */
  readonly config: ToolRunnableConfig;
}

/** Both signals, or whichever exists. */
export function mergeSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | null | undefined,
): AbortSignal | undefined {
  if (!a) return b ?? undefined;
  if (!b || a === b) return a;
  return AbortSignal.any([a, b]);
}

/**
 * Binds a client's request methods to the run's signal.
 * @param client - the tool's client
 * @param config - LangChain's config for the call
 * @returns the context for the tool's function
 */
export function createToolContext(
  client: AuthSecClient,
  config: ToolRunnableConfig,
): AuthSecToolContext {
  const signal = config.signal;
  const withSignal = <O extends { signal?: AbortSignal | null }>(options: O | undefined) => {
    const merged = mergeSignals(signal, options?.signal);
    return (merged ? { ...options, signal: merged } : { ...options }) as O;
  };
  return Object.freeze({
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      client.fetch(input, withSignal<RequestInit>(init)),
    request: (path: string | URL, options?: AuthSecRequestOptions) =>
      client.request(path, withSignal<AuthSecRequestOptions>(options)),
    requestJson: <T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>) =>
      client.requestJson<T>(path, withSignal<AuthSecRequestJsonOptions<T>>(options)),
    signal,
    config,
  });
}
