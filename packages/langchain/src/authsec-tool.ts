// createAuthSecTool(): a LangChain DynamicStructuredTool with a scope pre-check and token-bound requests.

import type { AuthSecClient } from '@authsec/core';
import {
  DynamicStructuredTool,
  type DynamicStructuredToolInput,
  ToolInputParsingException,
  type ToolRunnableConfig,
  type ToolWrapperParams,
  tool,
} from '@langchain/core/tools';
import type { z } from 'zod';
import { resolveClient } from './shared-client.js';
import { type AuthSecToolContext, createToolContext } from './tool-context.js';
import {
  errorAnswer,
  InvalidToolInputError,
  inputErrorResult,
  toolErrorResult,
  withoutTokens,
  withoutTokensThrown,
} from './tool-result.js';

/** The fields of {@link createAuthSecTool}: those of LangChain's `tool()`, plus `client` and `scope`. */
export type AuthSecToolFields<S extends z.ZodObject> = Omit<ToolWrapperParams<S>, 'schema'> & {
  /** The tool's input schema (a zod object); the model sees it, LangChain validates against it. */
  schema: S;
  /**
   * The client whose delegation token the tool uses.
   * @default core's shared `getDefaultClient()`, built from the environment on the first call
   *   (the same token cache as `getDelegationToken()`)
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
 * Creates a LangChain tool (an {@link AuthSecStructuredTool}, LangChain's `DynamicStructuredTool`
 * running its function the way `tool()` does) whose function calls
 * a protected API with the agent's delegation token, without ever touching the token. Before `fn`
 * runs, `scope` is checked against the token's permissions. Failures the model can act on (403,
 * 404, rate limits, network) come back as `{"error": {name, code, message, hint, status}}`, and
 * input that does not match `schema` as `{"error": {"name": "InvalidToolInput", …}}`, both as a
 * `ToolMessage` with status `error` when the tool runs for a tool call; fatal ones
 * (configuration, a rejected, revoked or expired delegation, session) are thrown so the run can
 * stop (with `createAgent`, add `authsecMiddleware()`). JWT-shaped strings and `Bearer`
 * credentials in whatever `fn` returns (strings, plain objects, arrays, `Map`s, class instances,
 * a `ToolMessage` or `Command`, which keep their class) and in the message of an error it throws
 * are replaced by markers, so the token never reaches the model.
 * @param fn - receives the validated input and an {@link AuthSecToolContext}
 * @param fields - LangChain's tool fields (`name`, `description`, `schema` …) plus `client`, `scope`
 * @returns an {@link AuthSecStructuredTool} (a `DynamicStructuredTool`) for `createAgent`,
 *   `bindTools` or `ToolNode`
 * @throws fatal AuthSec errors and non-AuthSec errors from `fn` (their message and stack
 *   redacted), when the tool is invoked
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
): AuthSecStructuredTool<S> {
  return buildAuthSecTool(fn, fields, withoutTokens);
}

/**
 * {@link createAuthSecTool} with the redaction of `fn`'s result chosen by the caller: the request
 * tool redacts its text itself (before cutting it), so it passes a function that keeps the string.
 * @internal
 */
export function buildAuthSecTool<S extends z.ZodObject>(
  fn: AuthSecToolFunction<S>,
  fields: AuthSecToolFields<S>,
  redactResult: (result: unknown) => unknown,
): AuthSecStructuredTool<S> {
  const { client, scope, ...toolFields } = fields;
  const scopes: readonly string[] =
    scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  // With content_and_artifact, LangChain expects a [content, artifact] pair, failures included.
  const asOutput = (content: unknown): unknown =>
    toolFields.responseFormat === 'content_and_artifact' ? [content, undefined] : content;
  const run = async (input: z.output<S>, config: ToolRunnableConfig): Promise<unknown> => {
    const signal = config.signal;
    try {
      const authsec = resolveClient(client);
      if (scopes.length > 0) {
        await authsec.requirePermissions(scopes, signal ? { signal } : {});
      }
      const { context, release } = createToolContext(authsec, config);
      try {
        return redactResult(await fn(input, context));
      } finally {
        release();
      }
    } catch (error) {
      // Fixable failures answer a tool call with status 'error'; the rest is rethrown, redacted.
      const content =
        error instanceof InvalidToolInputError
          ? inputErrorResult(error.message)
          : toolErrorResult(withoutTokensThrown(error), signal);
      return asOutput(errorAnswer(content, config.toolCall, toolFields.name));
    }
  };
  // The fields are tool()'s (ToolWrapperParams), which DynamicStructuredTool's constructor takes.
  const input = {
    ...toolFields,
    func: toolFunction(run, toolFields),
  } as DynamicStructuredToolInput<S> & {
    name: string;
  };
  return new AuthSecStructuredTool<S>(input);
}

/**
 * The tool {@link createAuthSecTool} returns: LangChain's `DynamicStructuredTool`, which also
 * answers input that does not match its schema. LangChain validates the input before the tool's
 * function runs and throws `ToolInputParsingException` when it does not match, and it has no hook
 * for that; the model can fix its input, so this tool answers it with
 * `{"error": {"name": "InvalidToolInput", …}}` (a `ToolMessage` with status `error` for a tool
 * call, else the JSON), with `createAgent`, `ToolNode` or a direct `invoke()` alike.
 * @example
 * ```ts
 * const lookup: AuthSecStructuredTool<z.ZodObject<{ id: z.ZodString }>> = createAuthSecTool(
 *   async ({ id }, { requestJson }) => requestJson(expandPath('/customers/{id}', { id })),
 *   { name: 'get_customer', description: 'Look up a customer.', schema: z.object({ id: z.string() }) },
 * );
 * ```
 */
export class AuthSecStructuredTool<
  S extends z.ZodObject = z.ZodObject,
> extends DynamicStructuredTool<S> {
  /**
   * LangChain's `call()` (which `invoke()` uses), answering a `ToolInputParsingException`
   * instead of throwing it.
   * @param arg - the input, or a tool call
   * @param configArg - the run's config
   * @param tags - tags for the callbacks
   * @returns what the tool answers
   */
  override async call<
    TArg extends Parameters<DynamicStructuredTool<S>['call']>[0],
    TConfig extends ToolRunnableConfig | undefined,
  >(arg: TArg, configArg?: TConfig, tags?: string[]) {
    try {
      return await super.call(arg, configArg, tags);
    } catch (error) {
      if (!(error instanceof ToolInputParsingException)) throw error;
      // invoke() passes the arguments and puts the tool call in the config; call() may get either.
      const toolCall = isToolCall(arg)
        ? arg
        : (configArg as { toolCall?: unknown } | undefined)?.toolCall;
      return errorAnswer(inputErrorResult(error.message), toolCall, this.name) as Awaited<
        ReturnType<DynamicStructuredTool<S>['call']>
      >;
    }
  }
}

/**
 * The function LangChain's `tool()` builds around `run` (the run's config for nested runnables and
 * callbacks, the abort race), so the tool runs exactly as a `tool()` would.
 */
function toolFunction<S extends z.ZodObject>(
  run: (input: z.output<S>, config: ToolRunnableConfig) => Promise<unknown>,
  fields: Omit<ToolWrapperParams<S>, 'schema'> & { schema: S },
): DynamicStructuredToolInput<S>['func'] {
  // tool()'s overloads cannot be resolved for a generic schema; the runtime call is the plain one.
  const build = tool as unknown as (
    func: typeof run,
    params: ToolWrapperParams<S>,
  ) => DynamicStructuredTool<S>;
  return build(run, fields as ToolWrapperParams<S>).func;
}

function isToolCall(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'tool_call'
  );
}
