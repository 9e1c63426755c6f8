// The AuthSec-compatible test server: lifecycle, routing, admin actions and fault switches.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PATH_RE, handleAdmin } from './admin-handler.js';
import type { HandlerContext } from './context.js';
import { decodePathSegment } from './encoding.js';
import { FaultQueue, type PullFault } from './faults.js';
import { type RecordedRequest, type RequestKind, recordOf, sendJson } from './http.js';
import { assertBindable, originOf } from './loopback.js';
import { handlePull, successBody } from './pull-handler.js';
import { DEFAULT_MAX_RECORDED_REQUESTS, RequestLog } from './request-log.js';
import {
  type ResolvedSwitches,
  resolveSwitches,
  type ServerGeneration,
  type ServerSwitches,
} from './settings.js';
import { handleBundle, handleValidate } from './spire-handler.js';
import { AuthSecState, type Row } from './state.js';
import type {
  CreateAgentOptions,
  CreatePolicyOptions,
  CreateSessionOptions,
  DelegateOptions,
  DelegationRecord,
  TestAgent,
  TestPolicy,
  TestSession,
  TokenOverrides,
} from './types.js';

/**
 * The path of the agent's token pull, appended to the server root.
 * @example
 * ```ts
 * const url = `${server.url}${PULL_PATH}?client_id=${clientId}`;
 * ```
 */
export const PULL_PATH = '/authsec/uflow/sdk/delegation-token';
/**
 * The path of a workspace's public keys (`?workspace_id=<uuid>`).
 * @example
 * ```ts
 * const url = `${server.url}${BUNDLE_PATH}?workspace_id=${server.workspaceId}`;
 * ```
 */
export const BUNDLE_PATH = '/authsec/spiresvc/v1/jwt/bundle';
/**
 * The path of the remote token check (POST `{ token, audience?, workspace_id? }`).
 * @example
 * ```ts
 * await fetch(`${server.url}${VALIDATE_PATH}`, { method: 'POST', body: JSON.stringify({ token }) });
 * ```
 */
export const VALIDATE_PATH = '/authsec/spiresvc/v1/jwt/validate';

/** Options for {@link AuthSecTestServer.start}. */
export interface AuthSecTestServerOptions extends ServerSwitches {
  /** The server generation to emulate. @default 'legacy' */
  generation?: ServerGeneration;
  /** The address to bind. Anything but loopback needs `allowNonLoopbackHost`. @default '127.0.0.1' */
  host?: string;
  /** The port; 0 picks a free one. @default 0 */
  port?: number;
  /** Allow a non-loopback `host`. The server hands out credentials: think twice. @default false */
  allowNonLoopbackHost?: boolean;
  /** The clock, in epoch milliseconds, for token times and expiry. @default Date.now */
  clock?: () => number;
  /** The default workspace's id. @default a random UUID */
  workspaceId?: string;
  /** The trust domain in agents' SPIFFE IDs. @default 'authsec.dev' */
  trustDomain?: string;
  /**
   * How many request records to keep (the oldest go first), so a long-running server does not
   * grow without bound; `Infinity` keeps every one. {@link AuthSecTestServer.waitForRequests} and
   * {@link AuthSecTestServer.requestCount} count every request all the same.
   * @default 1000
   */
  maxRecordedRequests?: number;
}

/** Options for {@link AuthSecTestServer.createDelegatedAgent}. */
export interface DelegatedAgentOptions {
  /** The permissions of the agent's trust delegation. @default ['read:records'] */
  permissions?: readonly string[];
  /** The token's audience. @default ['authsec-api'] */
  audience?: readonly string[];
  /** The token's lifetime; also the policy's maximum duration unless that is given. @default 3600 */
  ttlSeconds?: number;
  /** The trust delegation's maximum duration. @default ttlSeconds */
  maxDurationSeconds?: number;
  /** The agent's client id. @default a random UUID */
  clientId?: string;
  /** The agent's workspace. @default the server's default workspace */
  workspaceId?: string;
  /** The agent type in the SPIFFE ID and the `agent_type` claim. @default 'ai-agent' */
  agentType?: string;
  /** @default 'Test agent' */
  name?: string;
  /** @default `spiffe://<trust domain>/tenants/<workspace>/agents/<agentType>/<clientId>` */
  spiffeId?: string;
  /** The delegating user; owner-only servers answer only this user or a workspace admin. */
  delegatedBy?: string;
  /** Changes to the token and the pull body, for tests of hostile servers. */
  overrides?: TokenOverrides;
}

/** What {@link AuthSecTestServer.createDelegatedAgent} made. */
export interface DelegatedAgent {
  readonly agent: TestAgent;
  readonly policy: TestPolicy;
  readonly delegation: DelegationRecord;
  /** A session of the delegating user (send it on pulls to `session` and `owner-only` servers). */
  readonly session: TestSession;
  /** `AUTHSEC_BASE_URL` and `AUTHSEC_AGENT_CLIENT_ID` (and `AUTHSEC_SESSION_TOKEN` when a session is required). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A local HTTP server that speaks the AuthSec delegation contract, for tests, examples and demos.
 *
 * @example
 * ```ts
 * const server = await AuthSecTestServer.start();
 * const { agent } = await server.createDelegatedAgent({ permissions: ['read:records'] });
 * const res = await fetch(`${server.url}/authsec/uflow/sdk/delegation-token?client_id=${agent.clientId}`);
 * await server.close();
 * ```
 */
export class AuthSecTestServer {
  /** The server root, e.g. `http://127.0.0.1:41234`: what an SDK takes as `baseUrl`. */
  readonly url: string;
  /** The default workspace. */
  readonly workspaceId: string;
  /** The generation preset and switches in force. */
  readonly switches: ResolvedSwitches;
  readonly #server: Server;
  readonly #state: AuthSecState;
  readonly #faults = new FaultQueue();
  readonly #requests: RequestLog;
  readonly #now: () => number;
  // Ends pending delays so close() never leaves a timer behind.
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  private constructor(
    server: Server,
    url: string,
    state: AuthSecState,
    switches: ResolvedSwitches,
    workspaceId: string,
    now: () => number,
    requests: RequestLog,
  ) {
    this.#server = server;
    this.#requests = requests;
    this.url = url;
    this.#state = state;
    this.switches = switches;
    this.workspaceId = workspaceId;
    this.#now = now;
  }

  /**
   * Starts a server on loopback with one workspace and its RS256 key pair.
   * @param options - generation, switches, host and port, clock
   * @returns the listening server
   * @throws Error when `host` is not loopback and `allowNonLoopbackHost` is not set; RangeError for
   *   an unknown generation or timestamp format, or a `maxRecordedRequests` below 1
   * @example
   * ```ts
   * await using server = await AuthSecTestServer.start({ generation: 'owner-only' });
   * ```
   */
  static async start(options: AuthSecTestServerOptions = {}): Promise<AuthSecTestServer> {
    const host = options.host ?? '127.0.0.1';
    assertBindable(host, options.allowNonLoopbackHost, 'AuthSecTestServer');
    const switches = resolveSwitches(options.generation ?? 'legacy', options);
    const requests = new RequestLog(options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS);
    const now = options.clock ?? Date.now;
    const state = new AuthSecState(now, switches, options.trustDomain ?? 'authsec.dev');
    const workspaceId = await state.createWorkspace(options.workspaceId);
    let instance: AuthSecTestServer | undefined;
    const server = createServer((req, res) => {
      if (!instance) return sendJson(res, 503, { error: 'starting' });
      instance.#handle(req, res).catch((error: unknown) => {
        // Never echo the request: it may carry a session bearer.
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
        process.emitWarning(
          `AuthSecTestServer handler failed: ${(error as Error)?.message ?? error}`,
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    instance = new AuthSecTestServer(
      server,
      originOf(host, port),
      state,
      switches,
      workspaceId,
      now,
      requests,
    );
    return instance;
  }

  /**
   * Same as {@link AuthSecTestServer.url}: what an SDK takes as its base URL.
   * @returns the server root, without a trailing slash
   */
  get baseUrl(): string {
    return this.url;
  }

  /**
   * Builds the full pull URL for a client id.
   * @param clientId - the agent's client id (sent as given, URL-encoded)
   * @returns `<url>/authsec/uflow/sdk/delegation-token?client_id=<clientId>`
   * @example
   * ```ts
   * const res = await fetch(server.pullUrl(agent.clientId));
   * ```
   */
  pullUrl(clientId: string): string {
    return `${this.url}${PULL_PATH}?client_id=${encodeURIComponent(clientId)}`;
  }

  /**
   * Builds the JWKS bundle URL of a workspace.
   * @param workspaceId - the workspace (default: the server's default workspace)
   * @returns `<url>/authsec/spiresvc/v1/jwt/bundle?workspace_id=<workspaceId>`
   * @example
   * ```ts
   * const jwks = createRemoteJWKSet(new URL(server.bundleUrl()));
   * ```
   */
  bundleUrl(workspaceId: string = this.workspaceId): string {
    return `${this.url}${BUNDLE_PATH}?workspace_id=${encodeURIComponent(workspaceId)}`;
  }

  /**
   * Creates another workspace with its own RS256 key pair.
   * @param workspaceId - its id (default: a random UUID)
   * @returns the new workspace's id
   * @throws TypeError when `workspaceId` is not a UUID; Error when it exists already
   * @example
   * ```ts
   * const other = await server.createWorkspace();
   * await server.createDelegatedAgent({ workspaceId: other });
   * ```
   */
  createWorkspace(workspaceId?: string): Promise<string> {
    return this.#state.createWorkspace(workspaceId);
  }

  /**
   * Replaces a workspace's signing key; later delegations are signed with the new one, and the
   * bundle then lists only the new key (with another `kid`).
   * @param workspaceId - the workspace (default: the server's default workspace)
   * @returns once the new key is in place
   * @throws Error for an unknown workspace
   * @example
   * ```ts
   * await server.rotateWorkspaceKey();
   * await server.delegate(agent.clientId);
   * ```
   */
  rotateWorkspaceKey(workspaceId: string = this.workspaceId): Promise<void> {
    return this.#state.rotateWorkspaceKey(workspaceId);
  }

  /**
   * Registers an AI agent client, as the dashboard's "Onboard New Client" does.
   * @param options - client id, workspace, name, agent type, SPIFFE ID
   * @returns the agent
   * @throws TypeError when `clientId` is not a UUID; Error when it exists already or the workspace is unknown
   * @example
   * ```ts
   * const agent = server.createAgent({ agentType: 'langchain' });
   * ```
   */
  createAgent(options: CreateAgentOptions = {}): TestAgent {
    return this.#state.createAgent({
      ...options,
      workspaceId: options.workspaceId ?? this.workspaceId,
    });
  }

  /**
   * Creates (or replaces) an agent's trust delegation: its permissions and maximum duration.
   * @param options - client id, permissions, `maxDurationSeconds` (default 1 h, at most 24 h)
   * @returns the policy
   * @throws RangeError when `maxDurationSeconds` is not a whole number from 1 s to 24 h; Error for an unknown agent
   * @example
   * ```ts
   * server.createPolicy({ clientId: agent.clientId, permissions: ['read:records'] });
   * ```
   */
  createPolicy(options: CreatePolicyOptions): TestPolicy {
    return this.#state.createPolicy(options);
  }

  /**
   * Signs a user in, as the dashboard does.
   * @param options - user id, email, `admin`, workspace, `expiresInSeconds`
   * @returns a platform session whose `token` is sent as `Authorization: Bearer`
   * @throws Error for an unknown workspace
   * @example
   * ```ts
   * const admin = await server.createSession({ admin: true });
   * ```
   */
  createSession(options: CreateSessionOptions = {}): Promise<TestSession> {
    return this.#state.createSession({
      ...options,
      workspaceId: options.workspaceId ?? this.workspaceId,
    });
  }

  /**
   * Revokes a session: later requests with it get 401 "session has been revoked".
   * @param sessionToken - the session's `token`
   * @returns true when the session existed
   * @example
   * ```ts
   * server.revokeSession(session.token);
   * ```
   */
  revokeSession(sessionToken: string): boolean {
    return this.#state.revokeSession(sessionToken);
  }

  /**
   * Delegates a token to an agent as an admin would: mints a new JWT from the agent's policy and
   * makes it the agent's one active token (replacing any earlier one).
   * @param clientId - the agent
   * @param options - audience, `ttlSeconds` (default: the policy's maximum), delegating user, overrides
   * @returns the new delegation row (its `token` is not enumerable)
   * @throws Error when the agent is unknown, has no policy, or `ttlSeconds` exceeds the policy's maximum;
   *   RangeError for a non-finite override
   * @example
   * ```ts
   * const { token } = await server.delegate(agent.clientId, { ttlSeconds: 900 });
   * ```
   */
  async delegate(clientId: string, options: DelegateOptions = {}): Promise<DelegationRecord> {
    return snapshot(await this.#state.delegate(clientId, options));
  }

  /**
   * Revokes an agent's active token; later pulls get 404 and remote validation says revoked.
   * @param clientId - the agent
   * @returns true when there was an active token to revoke
   * @example
   * ```ts
   * server.revoke(agent.clientId);
   * ```
   */
  revoke(clientId: string): boolean {
    return this.#state.revoke(clientId);
  }

  /**
   * Looks up the agent's current (or last) delegation row.
   * @param clientId - the agent
   * @returns the row, or undefined when the agent was never delegated a token
   * @example
   * ```ts
   * expect(server.delegation(agent.clientId)?.status).toBe('expired');
   * ```
   */
  delegation(clientId: string): DelegationRecord | undefined {
    const row = this.#state.row(clientId);
    return row && snapshot(row);
  }

  /**
   * Builds the success body a pull gets for the agent's row (overrides and switches applied).
   * @param clientId - the agent
   * @returns the body, or undefined when the agent has no delegation row
   * @example
   * ```ts
   * expect(await res.json()).toEqual(server.expectedPullBody(agent.clientId));
   * ```
   */
  expectedPullBody(clientId: string): Record<string, unknown> | undefined {
    const row = this.#state.row(clientId);
    const agent = this.#state.agent(clientId);
    return row && agent ? successBody(row, agent.spiffeId, this.switches) : undefined;
  }

  /**
   * Registers an agent, gives it a trust delegation, delegates a token and signs in its delegating
   * user, in one call.
   * @param options - permissions, audience, `ttlSeconds` (default 3600), ids, overrides
   * @returns the agent, policy, delegation, session and the env lines for the code under test
   * @throws as {@link AuthSecTestServer.createAgent}, {@link AuthSecTestServer.createPolicy} and {@link AuthSecTestServer.delegate}
   * @example
   * ```ts
   * const { agent, env } = await server.createDelegatedAgent({ permissions: ['read:records'] });
   * ```
   */
  async createDelegatedAgent(options: DelegatedAgentOptions = {}): Promise<DelegatedAgent> {
    const ttlSeconds = options.ttlSeconds ?? 3600;
    const agent = this.createAgent({
      ...(options.clientId !== undefined && { clientId: options.clientId }),
      ...(options.workspaceId !== undefined && { workspaceId: options.workspaceId }),
      ...(options.agentType !== undefined && { agentType: options.agentType }),
      ...(options.name !== undefined && { name: options.name }),
      ...(options.spiffeId !== undefined && { spiffeId: options.spiffeId }),
    });
    const policy = this.createPolicy({
      clientId: agent.clientId,
      permissions: options.permissions ?? ['read:records'],
      maxDurationSeconds: options.maxDurationSeconds ?? Math.max(ttlSeconds, 1),
    });
    const session = await this.createSession({
      workspaceId: agent.workspaceId,
      ...(options.delegatedBy !== undefined && { userId: options.delegatedBy }),
    });
    const delegation = await this.delegate(agent.clientId, {
      ttlSeconds,
      delegatedBy: session.userId,
      ...(options.audience !== undefined && { audience: options.audience }),
      ...(options.overrides !== undefined && { overrides: options.overrides }),
    });
    const env: Record<string, string> = {
      AUTHSEC_BASE_URL: this.url,
      AUTHSEC_AGENT_CLIENT_ID: agent.clientId,
    };
    if (this.switches.requireSession) env.AUTHSEC_SESSION_TOKEN = session.token;
    return Object.freeze({ agent, policy, delegation, session, env: Object.freeze(env) });
  }

  /**
   * Makes the next `times` pulls fail in the given way (faults queue in order).
   * @param fault - what goes wrong
   * @param options - `times` (default 1; `Infinity` for every pull until {@link AuthSecTestServer.clearFaults})
   * @returns this server, for chaining
   * @throws RangeError for a status outside 100–599 or `times` below 1
   * @example
   * ```ts
   * server.injectPullFault({ type: 'status', status: 429, retryAfter: 2 }, { times: 2 });
   * ```
   */
  injectPullFault(fault: PullFault, options: { times?: number } = {}): this {
    this.#faults.push(fault, options.times ?? 1);
    return this;
  }

  /**
   * Drops every queued fault.
   * @example
   * ```ts
   * server.clearFaults();
   * ```
   */
  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * The latest requests (at most {@link AuthSecTestServer.maxRecordedRequests}), oldest first:
   * method, path as sent, query, header names, bearer flag.
   * @returns a copy of the records kept (no header values, so no credential)
   */
  get requests(): readonly RecordedRequest[] {
    return this.#requests.list();
  }

  /**
   * The pulls among the records kept, oldest first.
   * @returns the records of requests to the pull endpoint
   */
  get pulls(): readonly RecordedRequest[] {
    return this.#requests.list('pull');
  }

  /**
   * How many requests arrived since start or the last {@link AuthSecTestServer.clearRequests},
   * including those whose records were dropped to stay within `maxRecordedRequests`.
   * @returns the count
   */
  get requestCount(): number {
    return this.#requests.total();
  }

  /**
   * How many request records the server keeps (the `maxRecordedRequests` option).
   * @returns the limit (`Infinity` when unbounded)
   */
  get maxRecordedRequests(): number {
    return this.#requests.max;
  }

  /**
   * Forgets the recorded requests and resets the counts {@link AuthSecTestServer.waitForRequests}
   * and {@link AuthSecTestServer.requestCount} use.
   * @example
   * ```ts
   * server.clearRequests();
   * ```
   */
  clearRequests(): void {
    this.#requests.clear();
  }

  /**
   * Waits until at least `count` requests (of one kind, if given) have arrived since start or the
   * last {@link AuthSecTestServer.clearRequests}, counting those recorded already (and those whose
   * records were dropped to stay within `maxRecordedRequests`). A request is counted when it
   * arrives, before it is answered, so this also tells when a hung or delayed pull has reached the
   * server.
   * @param count - how many requests to wait for
   * @param options - `kind` to count only one endpoint; `timeoutMs` (default 5000)
   * @returns the matching records kept so far, oldest first
   * @throws Error when they have not all arrived within `timeoutMs`, or the server closes first
   * @example
   * ```ts
   * server.injectPullFault({ type: 'hang' });
   * const pending = client.getDelegationToken({ signal: controller.signal });
   * await server.waitForRequests(1, { kind: 'pull' });
   * controller.abort();
   * ```
   */
  waitForRequests(
    count: number,
    options: { kind?: RequestKind; timeoutMs?: number } = {},
  ): Promise<readonly RecordedRequest[]> {
    return this.#requests.waitFor(count, options.kind, options.timeoutMs ?? 5000);
  }

  /**
   * Stops listening and cuts every open connection (hung ones included). Safe to call twice.
   * @returns once the server is closed
   * @example
   * ```ts
   * afterEach(() => server.close());
   * ```
   */
  close(): Promise<void> {
    this.#requests.close();
    this.#closing.abort();
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  /** Closes the server, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * A summary without any credential or key.
   * @returns url, workspace id, generation, the number of requests and the record limit
   */
  toJSON(): Record<string, unknown> {
    return {
      url: this.url,
      workspaceId: this.workspaceId,
      generation: this.switches.generation,
      requests: this.#requests.total(),
      maxRecordedRequests: this.#requests.max,
    };
  }

  /** Shows the {@link AuthSecTestServer.toJSON} summary in `util.inspect` and `console.log`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AuthSecTestServer ${JSON.stringify(this.toJSON())}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Keep the path exactly as sent: `//authsec/…` (a base URL with a trailing slash) must show as
    // such, not be read as a protocol-relative URL.
    const target = req.url ?? '/';
    const url = URL.canParse(target)
      ? new URL(target)
      : new URL(`http://localhost${target.startsWith('/') ? target : `/${target}`}`);
    const method = req.method ?? 'GET';
    const admin = ADMIN_PATH_RE.exec(url.pathname);
    const kind: RequestKind =
      url.pathname === PULL_PATH
        ? 'pull'
        : admin
          ? admin[2] === 'delegate-token'
            ? 'delegate'
            : 'revoke'
          : url.pathname === BUNDLE_PATH
            ? 'bundle'
            : url.pathname === VALIDATE_PATH
              ? 'validate'
              : 'other';
    const record = recordOf(req, kind, url, new Date(this.#now()));
    this.#requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const ctx: HandlerContext = {
      req,
      res,
      url,
      record,
      state: this.#state,
      switches: this.switches,
      faults: this.#faults,
      now: this.#now,
      closing: this.#closing.signal,
    };
    const expected =
      kind === 'pull' || kind === 'bundle' ? 'GET' : kind === 'other' ? undefined : 'POST';
    if (expected && method !== expected) {
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: expected });
    }
    switch (kind) {
      case 'pull':
        return handlePull(ctx);
      case 'delegate':
      case 'revoke': {
        const clientId = decodePathSegment(admin?.[1] ?? '');
        if (clientId === undefined) {
          return sendJson(res, 400, { error: 'malformed percent-escape in the agent id' });
        }
        return handleAdmin(ctx, clientId, admin?.[2] ?? '');
      }
      case 'bundle':
        return handleBundle(ctx);
      case 'validate':
        return handleValidate(ctx);
      default:
        return sendJson(res, 404, { error: 'not found' });
    }
  }
}

function snapshot(row: Row): DelegationRecord {
  const { bodyOverrides, expiresAtShiftSeconds, subMillisecondNanos, token, ...rest } = row;
  const copy: DelegationRecord = { ...rest, token };
  // The token stays readable but out of JSON and inspect output.
  Object.defineProperty(copy, 'token', { value: token, enumerable: false });
  return Object.freeze(copy);
}

/**
 * Starts an {@link AuthSecTestServer}; the same as {@link AuthSecTestServer.start}.
 * @param options - generation, switches, host and port, clock
 * @returns the listening server
 * @throws Error when `host` is not loopback and `allowNonLoopbackHost` is not set; RangeError for a bad switch
 * @example
 * ```ts
 * const server = await startAuthSecServer({ generation: 'session' });
 * ```
 */
export function startAuthSecServer(options?: AuthSecTestServerOptions): Promise<AuthSecTestServer> {
  return AuthSecTestServer.start(options);
}
