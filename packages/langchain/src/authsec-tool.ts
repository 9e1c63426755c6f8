// createAuthSecTool(): LangChain's tool(fn, fields) with a scope pre-check and token-bound requests.

import type { AuthSecClient } from '@authsec/core';
import {
  type DynamicStructuredTool,
  type ToolRunnableConfig,
  type ToolWrapperParams,
  tool,
} from '@langchain/core/tools';
import type { z } from 'zod';
import { resolveClient } from './shared-client.js';
import { type AuthSecToolContext, createToolContext } from './tool-context.js';
import { toolErrorResult } from './tool-result.js';

/** The fields of {@link createAuthSecTool}: those of LangChain's `tool()`, plus `client` and `scope`. */
export type AuthSecToolFields<S extends z.ZodObject> = Omit<ToolWrapperParams<S>, 'schema'> & {
  /** The tool's input schema (a zod object); the model sees it, LangChain validates against it. */
  schema: S;
  /**
   * The client whose delegation token the tool uses.
   * @default one client per process, built from the environment on the first call
   */
  client?: AuthSecClient;
  /**
   * Permission(s) the token must carry. Checked against the token before `fn` runs: a missing
   * one returns `AuthSecPermissionError`'s JSON to the model, and no request is sent.
   */
  scope?: string | readonly string[];
};

/** The function of an AuthSec tool: the validated input and a context with authorized requests. */
export type AuthSecToolFunction<S extends z.ZodObject> = (
  input: z.output<S>,
  context: AuthSecToolContext,
) => unknown;

/**
 * Creates a LangChain tool (built with `tool()` from `@langchain/core/tools`) whose function calls
 * a protected API with the agent's delegation token, without ever touching the token. Before `fn`
 * runs, `scope` is checked against the token's permissions. Failures the model can act on (403,
 * 404, rate limits, network) come back as `{"error": {name, code, message, hint, status}}`;
 * fatal ones (configuration, a rejected, revoked or expired delegation, session) are thrown so
 * the run can stop (with `createAgent`, add `authsecMiddleware()`).
 * @param fn - receives the validated input and an {@link AuthSecToolContext}
 * @param fields - LangChain's tool fields (`name`, `description`, `schema` …) plus `client`, `scope`
 * @returns a `DynamicStructuredTool` for `createAgent`, `bindTools` or `ToolNode`
 * @throws fatal AuthSec errors and non-AuthSec errors from `fn`, when the tool is invoked
 * @example
 * ```ts
 * const getCustomerBilling = createAuthSecTool(
 *   async ({ customer_id }, { requestJson }) =>
 *     requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
 *   {
 *     name: 'get_customer_billing',
 *     description: 'Get billing details for a customer by their ID.',
 *     schema: z.object({ customer_id: z.string() }),
 *     scope: 'billing:read',
 *     client: authsec,
 *   },
 * );
 * ```
 */
export function createAuthSecTool<S extends z.ZodObject>(
  fn: AuthSecToolFunction<S>,
  fields: AuthSecToolFields<S>,
): DynamicStructuredTool<S> {
  const { client, scope, ...toolFields } = fields;
  const scopes: readonly string[] =
    scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  const run = async (input: z.output<S>, config: ToolRunnableConfig): Promise<unknown> => {
    const signal = config.signal;
    try {
      const authsec = resolveClient(client);
      if (scopes.length > 0) {
        await authsec.requirePermissions(scopes, signal ? { signal } : {});
      }
      return await fn(input, createToolContext(authsec, config));
    } catch (error) {
      return toolErrorResult(error, signal);
    }
  };
  // tool()'s overloads cannot be resolved for a generic schema; the runtime call is the plain one.
  const build = tool as unknown as (
    func: typeof run,
    params: ToolWrapperParams<S>,
  ) => DynamicStructuredTool<S>;
  return build(run, toolFields as ToolWrapperParams<S>);
}
