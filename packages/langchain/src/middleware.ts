// authsecMiddleware(): a createAgent middleware that stops the run on fatal AuthSec errors.

import { isAuthSecError, isFatalAuthSecError, redact } from '@authsec/core';
import { ToolMessage } from '@langchain/core/messages';
import { createMiddleware, ToolInvocationError } from 'langchain';
import { inputErrorResult } from './tool-result.js';

/** Options of {@link authsecMiddleware}. */
export interface AuthSecMiddlewareOptions {
  /** The middleware's name (unique within one agent). @default 'AuthSecMiddleware' */
  name?: string;
}

/**
 * A `createAgent` middleware (`wrapToolCall`) for the error policy: a fatal AuthSec error
 * (configuration, a rejected, revoked or expired delegation, an unknown client, a session problem)
 * thrown by any tool propagates out of `agent.invoke()` and stops the run, where `createAgent`
 * would otherwise hand it to the model as a message. Everything else becomes a tool message the
 * model can act on: an AuthSec error as its `toJSON()`, input that failed the tool's schema as a
 * short `InvalidToolInput` JSON, other errors as LangChain shows them by default, with any
 * JWT-shaped string or `Bearer` credential in their text replaced by a marker.
 * @param options - an optional `name`
 * @returns the middleware, for `createAgent({ middleware: [authsecMiddleware()] })`
 * @throws nothing itself; during a run, the fatal AuthSec error a tool threw (out of
 *   `agent.invoke()`), and LangGraph's interrupts and errors of an aborted run, unchanged
 * @example
 * ```ts
 * import { createAgent } from 'langchain';
 * import { authsecMiddleware } from '@authsec/langchain/middleware';
 *
 * const agent = createAgent({ model, tools, middleware: [authsecMiddleware()] });
 * try {
 *   await agent.invoke({ messages: [{ role: 'user', content: 'Billing for 42?' }] });
 * } catch (error) {
 *   if (isFatalAuthSecError(error)) console.error(String(error)); // e.g. the delegation was revoked
 * }
 * ```
 */
export function authsecMiddleware(options: AuthSecMiddlewareOptions = {}) {
  return createMiddleware({
    name: options.name ?? 'AuthSecMiddleware',
    wrapToolCall: async (request, handler) => {
      try {
        return await handler(request);
      } catch (error) {
        if (isFatalAuthSecError(error) || isBubbleUp(error) || request.runtime.signal?.aborted) {
          throw error;
        }
        const { id, name } = request.toolCall;
        const reply = (content: string) =>
          new ToolMessage({ content, tool_call_id: id ?? '', name, status: 'error' });
        if (isAuthSecError(error)) return reply(JSON.stringify({ error: error.toJSON() }));
        if (ToolInvocationError.isInstance(error))
          return reply(inputErrorResult(error.toolError.message));
        // What createAgent shows for a tool error without middleware, kept for other tools' errors;
        // a plain tool() holds the token, so its error text may quote it.
        return reply(`${redact(String(error))}\n Please fix your mistakes.`);
      }
    },
  });
}

/** LangGraph's interrupts and other control-flow errors must pass through untouched. */
function isBubbleUp(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { is_bubble_up?: unknown }).is_bubble_up === true
  );
}
