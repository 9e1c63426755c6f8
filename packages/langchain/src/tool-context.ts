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

/** A signal that follows the run's signal and a request's own, and how to stop following. */
interface LinkedSignal {
  readonly signal: AbortSignal | undefined;
  unlink(): void;
}

/**
 * Follows the run's signal and a request's own with one plain `AbortController` and two
 * listeners, removed again by `unlink()`. Not `AbortSignal.any`: on Node 20 every call leaves an
 * entry on a long-lived source (the run's signal) until the collector gets to it, and core's own
 * `AbortSignal.any` over a composite attaches to the composite's sources, the run's signal again.
 */
function linkSignals(
  run: AbortSignal | undefined,
  own: AbortSignal | null | undefined,
): LinkedSignal {
  if (!run || !own || run === own) return { signal: run ?? own ?? undefined, unlink: () => {} };
  const controller = new AbortController();
  const stop = (source: AbortSignal) => controller.abort(source.reason);
  if (run.aborted || own.aborted) {
    stop(run.aborted ? run : own);
    return { signal: controller.signal, unlink: () => {} };
  }
  const onRun = () => stop(run);
  const onOwn = () => stop(own);
  run.addEventListener('abort', onRun, { once: true });
  own.addEventListener('abort', onOwn, { once: true });
  return {
    signal: controller.signal,
    unlink: () => {
      run.removeEventListener('abort', onRun);
      own.removeEventListener('abort', onOwn);
    },
  };
}

/** The context of one tool call, and `release()` to call once the call has ended. */
export interface ToolContextHandle {
  readonly context: AuthSecToolContext;
  /** Detaches every request's signal from the run's signal. */
  release(): void;
}

/**
 * Binds a client's request methods to the run's signal, for one tool call. A request's own
 * `signal` is followed too; `requestJson` detaches it when it settles, `fetch` and `request`
 * (whose body the function may still read) when the call ends and `release()` runs.
 * @param client - the tool's client
 * @param config - LangChain's config for the call
 * @returns the context for the tool's function and its `release()`
 */
export function createToolContext(
  client: AuthSecClient,
  config: ToolRunnableConfig,
): ToolContextHandle {
  const signal = config.signal;
  const links = new Set<LinkedSignal>();
  const withSignal = <O extends { signal?: AbortSignal | null }>(
    options: O | undefined,
    link: LinkedSignal,
  ) => (link.signal ? { ...options, signal: link.signal } : { ...options }) as O;
  const linked = async <T>(
    own: AbortSignal | null | undefined,
    send: (link: LinkedSignal) => Promise<T>,
    untilRelease: boolean,
  ): Promise<T> => {
    const link = linkSignals(signal, own);
    links.add(link);
    try {
      return await send(link);
    } finally {
      if (!untilRelease) {
        link.unlink();
        links.delete(link);
      }
    }
  };
  const context: AuthSecToolContext = Object.freeze({
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      linked(init?.signal, (link) => client.fetch(input, withSignal(init, link)), true),
    request: (path: string | URL, options?: AuthSecRequestOptions) =>
      linked(options?.signal, (link) => client.request(path, withSignal(options, link)), true),
    requestJson: <T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>) =>
      linked(
        options?.signal,
        (link) => client.requestJson<T>(path, withSignal(options, link)),
        false,
      ),
    signal,
    config,
  });
  return {
    context,
    release: () => {
      for (const link of links) link.unlink();
      links.clear();
    },
  };
}
