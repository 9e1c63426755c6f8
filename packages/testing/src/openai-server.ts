// A local OpenAI-compatible chat completions server with scripted replies, for tool-calling tests.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { assertBindable, originOf } from './loopback.js';

/** One tool call of a scripted assistant message; `arguments` may be an object (sent as JSON text). */
export interface ScriptedToolCall {
  /** Default `call_<n>`, unique per server. */
  id?: string;
  name: string;
  /** An object is serialised with `JSON.stringify`; a string is sent as is (to script bad JSON). */
  arguments?: string | Record<string, unknown>;
}

/** A scripted assistant reply: text, tool calls, or both. */
export interface ScriptedReply {
  content?: string | null;
  toolCalls?: readonly ScriptedToolCall[];
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'tool_calls' | 'length' | 'content_filter';
  /** Answer with this HTTP status and `{ error: { message, type } }` instead of a completion. */
  status?: number;
  /** The error message sent with `status`. */
  errorMessage?: string;
}

/** A function that computes the reply to one request. */
export type ReplyScript = (
  request: ChatCompletionRequest,
) => ScriptedReply | Promise<ScriptedReply>;

/** One request as received and recorded. */
export interface ChatCompletionRequest {
  model: string;
  /** The messages exactly as sent (`role`, `content`, `tool_calls`, `tool_call_id` …). */
  messages: readonly Record<string, unknown>[];
  /** The `tools` definitions as sent, `[]` when none. */
  tools: readonly Record<string, unknown>[];
  stream: boolean;
  /** The whole parsed request body. */
  body: Record<string, unknown>;
  /** Whether an `Authorization: Bearer` header came; its value is never kept. */
  authorized: boolean;
  at: Date;
}

/** Options of {@link OpenAITestServer.start}. */
export interface OpenAITestServerOptions {
  /** A queue of replies, answered in order, or a function of the request. Default: empty queue. */
  replies?: readonly ScriptedReply[] | ReplyScript;
  /** Default `'127.0.0.1'`. */
  host?: string;
  /** Default `0` (any free port). */
  port?: number;
  /** Must be true to listen beyond loopback. */
  allowNonLoopbackHost?: boolean;
  /**
   * Refuse, with OpenAI's 400, what OpenAI refuses: tool calls left without a `tool` answer, a
   * `tool` message answering nothing, a message `name` with spaces, a tool whose `parameters` is not
   * an object schema (or, with `strict: true`, not closed). Default `true`.
   */
  validate?: boolean;
}

interface WireMessage {
  role: 'assistant';
  content: string | null;
  refusal: null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

const COMPLETIONS_PATH = '/v1/chat/completions';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

/**
 * A local server for `POST /v1/chat/completions` that answers with scripted assistant messages
 * (text and `tool_calls`, `arguments` as a JSON string) and records each request's messages and
 * tools. A request without `Authorization` gets 401, as OpenAI answers, and (unless
 * `validate: false`) a request OpenAI would refuse gets its 400: tool calls without an answer,
 * a `tool` message answering nothing, a tool whose `parameters` is not an object schema.
 * `stream: true` is answered as server-sent events.
 *
 * @example
 * ```ts
 * await using llm = await OpenAITestServer.start({
 *   replies: [{ toolCalls: [{ name: 'get_customer', arguments: { id: '42' } }] }, { content: 'Done.' }],
 * });
 * const openai = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL });
 * ```
 */
export class OpenAITestServer {
  /** Origin such as `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The `baseURL` to hand an OpenAI client: `${url}/v1`. */
  readonly baseURL: string;
  readonly #server: Server;
  readonly #requests: ChatCompletionRequest[] = [];
  #queue: ScriptedReply[] = [];
  #script: ReplyScript | undefined;
  #callCount = 0;
  #closed: Promise<void> | undefined;
  readonly #validate: boolean;

  private constructor(server: Server, options: OpenAITestServerOptions) {
    this.#server = server;
    this.#validate = options.validate !== false;
    const { address, port } = server.address() as AddressInfo;
    this.url = originOf(address, port);
    this.baseURL = `${this.url}/v1`;
    if (options.replies !== undefined) this.setReplies(options.replies);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  /**
   * Starts a server on a loopback address.
   * @param options - Replies, host and port.
   * @returns The listening server.
   * @throws Error when `host` is not loopback and `allowNonLoopbackHost` is not set.
   */
  static async start(options: OpenAITestServerOptions = {}): Promise<OpenAITestServer> {
    const host = (options.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    assertBindable(host, options.allowNonLoopbackHost, 'OpenAITestServer');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new OpenAITestServer(server, options);
  }

  /**
   * Replaces the script: a queue of replies answered in order, or a function of each request.
   * @param replies - The queue or the function.
   * @returns This server, for chaining.
   */
  setReplies(replies: readonly ScriptedReply[] | ReplyScript): this {
    if (typeof replies === 'function') {
      this.#script = replies;
      this.#queue = [];
    } else {
      this.#script = undefined;
      this.#queue = [...replies];
    }
    return this;
  }

  /**
   * Appends replies to the queue (and drops a reply function).
   * @param replies - Replies answered after those already queued.
   * @returns This server, for chaining.
   */
  enqueue(...replies: ScriptedReply[]): this {
    this.#script = undefined;
    this.#queue.push(...replies);
    return this;
  }

  /** Replies still queued. */
  get pendingReplies(): number {
    return this.#queue.length;
  }

  /** A snapshot of the completion requests received, oldest first. */
  get requests(): readonly ChatCompletionRequest[] {
    return [...this.#requests];
  }

  /** Forgets the recorded requests. */
  clearRequests(): void {
    this.#requests.length = 0;
  }

  /**
   * Stops listening and closes open connections; later calls return the same promise.
   * @returns A promise settled once the server is closed.
   */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  /** Closes the server, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A summary without request contents. */
  toJSON(): { url: string; requests: number; pendingReplies: number } {
    return { url: this.url, requests: this.#requests.length, pendingReplies: this.#queue.length };
  }

  /** Shows the {@link OpenAITestServer.toJSON} summary in `util.inspect`. */
  [inspect.custom](): { url: string; requests: number; pendingReplies: number } {
    return this.toJSON();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== COMPLETIONS_PATH) {
      return sendError(res, 404, `Unknown path ${req.method} ${path}`, 'invalid_request_error');
    }
    if (req.method !== 'POST') {
      return sendError(res, 405, 'Use POST', 'invalid_request_error');
    }
    if (!/^bearer +\S/i.test(req.headers.authorization ?? '')) {
      return sendError(res, 401, 'You did not provide an API key.', 'invalid_request_error');
    }
    if (size > MAX_BODY_BYTES) {
      return sendError(res, 413, 'Request body too large', 'invalid_request_error');
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
      body = parsed as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 'The body must be a JSON object', 'invalid_request_error');
    }
    if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return sendError(res, 400, 'model and messages are required', 'invalid_request_error');
    }
    const invalid = this.#validate ? findInvalid(body) : undefined;
    if (invalid !== undefined) {
      return sendJson(res, 400, {
        error: {
          message: invalid.message,
          type: 'invalid_request_error',
          param: invalid.param,
          code: null,
        },
      });
    }
    const request: ChatCompletionRequest = {
      model: body.model,
      messages: body.messages as Record<string, unknown>[],
      tools: Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [],
      stream: body.stream === true,
      body,
      authorized: true,
      at: new Date(),
    };
    this.#requests.push(request);

    let reply: ScriptedReply | undefined;
    try {
      reply = this.#script ? await this.#script(request) : this.#queue.shift();
    } catch (error) {
      console.error('[openai-test-server] reply function failed:', error);
      return sendError(res, 500, 'The reply function failed', 'server_error');
    }
    if (reply === undefined) {
      return sendError(res, 500, 'OpenAITestServer has no scripted reply left', 'server_error');
    }
    if (reply.status !== undefined) {
      return sendError(res, reply.status, reply.errorMessage ?? 'Scripted error', 'api_error');
    }
    const message = this.#message(reply);
    const finishReason = reply.finishReason ?? (message.tool_calls ? 'tool_calls' : 'stop');
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (request.stream)
      return this.#stream(res, { id, created, model: request.model }, message, finishReason);
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  }

  #message(reply: ScriptedReply): WireMessage {
    const toolCalls = reply.toolCalls?.map((call) => ({
      id: call.id ?? `call_${++this.#callCount}`,
      type: 'function' as const,
      function: {
        name: call.name,
        arguments:
          typeof call.arguments === 'string'
            ? call.arguments
            : JSON.stringify(call.arguments ?? {}),
      },
    }));
    return {
      role: 'assistant' as const,
      content: reply.content ?? null,
      refusal: null,
      ...(toolCalls !== undefined && toolCalls.length > 0 && { tool_calls: toolCalls }),
    };
  }

  // One chunk with the whole delta, then the finish reason, then [DONE]: enough for the SDK's stream helpers.
  #stream(
    res: ServerResponse,
    base: { id: string; created: number; model: string },
    message: WireMessage,
    finishReason: string,
  ): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: unknown, finish: string | null) =>
      `data: ${JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      })}\n\n`;
    const toolCalls = message.tool_calls?.map((call, index) => ({ index, ...call }));
    res.write(
      chunk(
        {
          role: 'assistant',
          content: message.content,
          ...(toolCalls !== undefined && { tool_calls: toolCalls }),
        },
        null,
      ),
    );
    res.write(chunk({}, finishReason));
    res.end('data: [DONE]\n\n');
  }
}

interface Invalid {
  message: string;
  param: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const MESSAGE_NAME = /^[^\s<|\\/>]+$/;
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// The checks OpenAI makes on a chat completions request that tool-calling code most often fails,
// with the wording OpenAI answers them with.
function findInvalid(body: Record<string, unknown>): Invalid | undefined {
  const messages = body.messages as unknown[];
  if (messages.length === 0) {
    return {
      message: "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      param: 'messages',
    };
  }
  let pending: { index: number; ids: Set<string> } | undefined;
  for (const [index, message] of messages.entries()) {
    const param = `messages[${index}]`;
    if (!isObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      return {
        message: `Invalid value for '${param}.role': supported values are ${[...ROLES].join(', ')}.`,
        param: `${param}.role`,
      };
    }
    if (
      message.name !== undefined &&
      (typeof message.name !== 'string' || !MESSAGE_NAME.test(message.name))
    ) {
      return {
        message: `${JSON.stringify(message.name)} does not match '^[^\\s<|\\\\/>]+$' - '${param}.name'`,
        param: `${param}.name`,
      };
    }
    if (message.role === 'tool') {
      if (
        pending === undefined ||
        typeof message.tool_call_id !== 'string' ||
        !pending.ids.delete(message.tool_call_id)
      ) {
        return {
          message:
            "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.",
          param: `${param}.role`,
        };
      }
      if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
        return {
          message: `Invalid type for '${param}.content': expected a string.`,
          param: `${param}.content`,
        };
      }
      continue;
    }
    if (pending !== undefined && pending.ids.size > 0) return unanswered(pending);
    pending = undefined;
    if (
      message.role === 'assistant' &&
      Array.isArray(message.tool_calls) &&
      message.tool_calls.length > 0
    ) {
      const ids = new Set<string>();
      for (const [i, call] of message.tool_calls.entries()) {
        const fn = isObject(call) ? call.function : undefined;
        if (
          !isObject(call) ||
          typeof call.id !== 'string' ||
          call.type !== 'function' ||
          !isObject(fn) ||
          typeof fn.name !== 'string' ||
          typeof fn.arguments !== 'string'
        ) {
          return {
            message: `Invalid '${param}.tool_calls[${i}]': expected { id, type: 'function', function: { name, arguments: string } }.`,
            param: `${param}.tool_calls[${i}]`,
          };
        }
        ids.add(call.id);
      }
      pending = { index, ids };
    }
  }
  if (pending !== undefined && pending.ids.size > 0) return unanswered(pending);
  return body.tools === undefined ? undefined : findInvalidTools(body.tools);
}

function unanswered(pending: { index: number; ids: Set<string> }): Invalid {
  return {
    message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending.ids].join(', ')}`,
    param: `messages.[${pending.index}].role`,
  };
}

function findInvalidTools(tools: unknown): Invalid | undefined {
  if (!Array.isArray(tools))
    return { message: "Invalid type for 'tools': expected an array.", param: 'tools' };
  const names = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    const param = `tools[${index}]`;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      return {
        message: `Invalid '${param}': expected { type: 'function', function: { name, parameters } }.`,
        param,
      };
    }
    const { name, parameters, strict } = tool.function;
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
      return {
        message: `Invalid '${param}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        param: `${param}.function.name`,
      };
    }
    if (names.has(name)) {
      return {
        message: `Invalid 'tools': duplicate function name '${name}'.`,
        param: `${param}.function.name`,
      };
    }
    names.add(name);
    if (parameters === undefined) continue;
    if (!isObject(parameters) || parameters.type !== 'object') {
      const got = isObject(parameters) ? String(parameters.type ?? 'None') : typeof parameters;
      return {
        message: `Invalid schema for function '${name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${got}"'.`,
        param: `${param}.function.parameters`,
      };
    }
    const problem = strict === true ? strictProblem(parameters, []) : undefined;
    if (problem !== undefined) {
      return {
        message: `Invalid schema for function '${name}': ${problem}`,
        param: `${param}.function.parameters`,
      };
    }
  }
  return undefined;
}

// Structured Outputs: every object closed, every property required, all the way down.
function strictProblem(schema: unknown, path: string[]): string | undefined {
  if (!isObject(schema)) return undefined;
  const context = `In context=(${path.map((p) => `'${p}'`).join(', ')})`;
  if (schema.type === 'object' || isObject(schema.properties)) {
    if (schema.additionalProperties !== false) {
      return `${context}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(properties).filter((key) => !required.includes(key));
    if (missing.length > 0) {
      return `${context}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
    }
    for (const [key, value] of Object.entries(properties)) {
      const problem = strictProblem(value, [...path, 'properties', key]);
      if (problem !== undefined) return problem;
    }
  }
  const children: [string[], unknown][] = [];
  if (isObject(schema.items)) children.push([['items'], schema.items]);
  if (Array.isArray(schema.anyOf)) {
    for (const [i, v] of schema.anyOf.entries()) children.push([['anyOf', String(i)], v]);
  }
  if (isObject(schema.$defs)) {
    for (const [k, v] of Object.entries(schema.$defs)) children.push([['$defs', k], v]);
  }
  for (const [keys, child] of children) {
    const problem = strictProblem(child, [...path, ...keys]);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Starts an {@link OpenAITestServer}; the same as {@link OpenAITestServer.start}.
 * @param options - Replies, host and port.
 * @returns The listening server.
 */
export function startOpenAITestServer(
  options?: OpenAITestServerOptions,
): Promise<OpenAITestServer> {
  return OpenAITestServer.start(options);
}
