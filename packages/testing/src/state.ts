// The emulator's in-memory state: workspaces and their keys, agents, policies, delegation rows, sessions.

import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { isUuid, mergeDefined } from './encoding.js';
import { SigningKey } from './jws.js';
import type { ResolvedSwitches } from './settings.js';
import type {
  CreateAgentOptions,
  CreatePolicyOptions,
  CreateSessionOptions,
  DelegateOptions,
  DelegationRecord,
  TestAgent,
  TestPolicy,
  TestSession,
} from './types.js';

/** The hard cap on any delegation's lifetime, as the service enforces it. */
export const MAX_DURATION_SECONDS = 24 * 60 * 60;
/** The policy's maximum duration when none is given. */
export const DEFAULT_DURATION_SECONDS = 60 * 60;

/** A delegation row with what the store needs and callers do not see. */
export interface Row extends DelegationRecord {
  status: 'active' | 'revoked' | 'expired';
  bodyOverrides: Record<string, unknown> | undefined;
  expiresAtShiftSeconds: number;
  subMillisecondNanos: number;
}

interface Workspace {
  readonly id: string;
  key: SigningKey;
}

/** Thrown by the store for a request an admin could not make; the handlers map it to a status. */
export class StateError extends Error {
  /** What the HTTP answer's `error` field says (the message adds what to do). */
  readonly error: string;

  constructor(
    readonly status: number,
    error: string,
    readonly details?: string,
    hint?: string,
  ) {
    super(hint ? `${error}: ${hint}` : error);
    this.name = 'StateError';
    this.error = error;
  }
}

/** What `checkSession` found. */
export type SessionCheck =
  | { ok: true; session: TestSession }
  | { ok: false; error: 'missing' | 'invalid' | 'revoked' };

/** Holds everything the emulated service knows; every method is synchronous except minting. */
export class AuthSecState {
  readonly #now: () => number;
  readonly #switches: ResolvedSwitches;
  readonly #trustDomain: string;
  readonly #workspaces = new Map<string, Workspace>();
  readonly #agents = new Map<string, TestAgent>();
  readonly #policies = new Map<string, TestPolicy>();
  readonly #rows = new Map<string, Row>();
  readonly #sessions = new Map<string, TestSession>();
  readonly #revokedSessions = new Set<string>();
  readonly #revokedJtis = new Set<string>();
  readonly #sessionSecret = crypto.getRandomValues(new Uint8Array(32));
  #foreignKey: SigningKey | undefined;
  #nanoCounter = 0;

  constructor(now: () => number, switches: ResolvedSwitches, trustDomain: string) {
    this.#now = now;
    this.#switches = switches;
    this.#trustDomain = trustDomain;
  }

  async createWorkspace(id: string = randomUUID()): Promise<string> {
    if (!isUuid(id)) throw new TypeError(`workspaceId must be a UUID, got '${id}'`);
    if (this.#workspaces.has(id)) throw new Error(`Workspace ${id} exists already`);
    this.#workspaces.set(id, { id, key: await SigningKey.generate() });
    return id;
  }

  async rotateWorkspaceKey(workspaceId: string): Promise<void> {
    const workspace = this.#workspace(workspaceId);
    workspace.key = await SigningKey.generate(`rotated-${randomUUID().slice(0, 8)}`);
  }

  hasWorkspace(id: string): boolean {
    return this.#workspaces.has(id);
  }

  publicKey(workspaceId: string): SigningKey | undefined {
    return this.#workspaces.get(workspaceId)?.key;
  }

  createAgent(options: CreateAgentOptions & { workspaceId: string }): TestAgent {
    this.#workspace(options.workspaceId);
    const clientId = options.clientId ?? randomUUID();
    if (!isUuid(clientId)) throw new TypeError(`clientId must be a UUID, got '${clientId}'`);
    if (this.#agents.has(clientId)) throw new Error(`Agent ${clientId} exists already`);
    const agentType = options.agentType ?? 'ai-agent';
    const agent: TestAgent = Object.freeze({
      clientId,
      workspaceId: options.workspaceId,
      name: options.name ?? 'Test agent',
      agentType,
      spiffeId:
        options.spiffeId ??
        `spiffe://${this.#trustDomain}/tenants/${options.workspaceId}/agents/${agentType}/${clientId}`,
    });
    this.#agents.set(clientId, agent);
    return agent;
  }

  agent(clientId: string): TestAgent | undefined {
    return this.#agents.get(clientId);
  }

  createPolicy(options: CreatePolicyOptions): TestPolicy {
    this.#agentOrThrow(options.clientId);
    const max = options.maxDurationSeconds ?? DEFAULT_DURATION_SECONDS;
    if (!Number.isInteger(max) || max <= 0 || max > MAX_DURATION_SECONDS) {
      throw new RangeError(
        `maxDurationSeconds must be a whole number of seconds from 1 to ${MAX_DURATION_SECONDS} (24 h), got ${max}`,
      );
    }
    const policy: TestPolicy = Object.freeze({
      clientId: options.clientId,
      permissions: Object.freeze([...options.permissions]),
      maxDurationSeconds: max,
      targetType: options.targetType ?? 'LangChain AI agent',
      role: options.role ?? 'agent',
    });
    this.#policies.set(options.clientId, policy);
    return policy;
  }

  policy(clientId: string): TestPolicy | undefined {
    return this.#policies.get(clientId);
  }

  /** Mints a token from the agent's policy and stores it as the agent's one active row. */
  async delegate(clientId: string, options: DelegateOptions = {}): Promise<Row> {
    const agent = this.#agentOrThrow(clientId);
    const policy = this.#policies.get(clientId);
    if (!policy) {
      throw new StateError(
        404,
        'No trust delegation found for this agent',
        'Create a trust delegation for the agent before delegating a token',
        'call createPolicy({ clientId, permissions }) first',
      );
    }
    const ttlSeconds = options.ttlSeconds ?? policy.maxDurationSeconds;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new StateError(
        400,
        'ttl_seconds must be a positive integer',
        undefined,
        `got ${ttlSeconds}; use overrides.lifetimeSeconds for a token that is already expired`,
      );
    }
    if (ttlSeconds > policy.maxDurationSeconds) {
      throw new StateError(
        400,
        `ttl_seconds exceeds the trust delegation's maximum duration (${policy.maxDurationSeconds}s)`,
        undefined,
        'raise maxDurationSeconds with createPolicy() (at most 24 h), or use overrides.lifetimeSeconds',
      );
    }
    const o = options.overrides ?? {};
    for (const name of [
      'lifetimeSeconds',
      'issuedAtOffsetSeconds',
      'expiresAtShiftSeconds',
    ] as const) {
      const value = o[name];
      if (value !== undefined && !Number.isFinite(value)) {
        throw new RangeError(`overrides.${name} must be a finite number of seconds, got ${value}`);
      }
    }
    const nowMs = this.#now();
    const offsetMs = (o.issuedAtOffsetSeconds ?? 0) * 1000;
    const lifetimeSeconds = o.lifetimeSeconds ?? ttlSeconds;
    const iat = Math.floor((nowMs + offsetMs) / 1000);
    const expiresAtMs = nowMs + offsetMs + lifetimeSeconds * 1000;
    const audience = [...(options.audience ?? ['authsec-api'])];
    const agentType = options.agentType ?? agent.agentType;
    const delegatedBy = options.delegatedBy ?? 'test-admin';
    const jti = randomUUID();
    const header = mergeDefined({ alg: 'RS256', typ: 'JWT' }, o.header);
    const claims = mergeDefined(
      {
        iss: `spiffe://${agent.workspaceId}`,
        sub: agent.spiffeId,
        aud: audience,
        exp: Math.floor(expiresAtMs / 1000),
        nbf: iat,
        iat,
        jti,
        permissions: [...policy.permissions],
        client_id: clientId,
        agent_type: agentType,
        user_id: delegatedBy,
        email: options.email ?? `${delegatedBy}@example.test`,
        [this.#switches.workspaceField]: agent.workspaceId,
      },
      o.claims,
    );
    if (o.signWithForeignKey && !this.#foreignKey) this.#foreignKey = await SigningKey.generate();
    const key =
      o.signWithForeignKey && this.#foreignKey
        ? this.#foreignKey
        : this.#workspace(agent.workspaceId).key;
    const token = await key.sign(header, claims);
    const previous = this.#rows.get(clientId);
    const row: Row = {
      clientId,
      workspaceId: agent.workspaceId,
      token,
      jti,
      permissions: Object.freeze([...policy.permissions]),
      audience: Object.freeze(audience),
      agentType,
      ttlSeconds,
      expiresAtMs,
      issuedAtMs: previous?.issuedAtMs ?? nowMs,
      updatedAtMs: nowMs,
      delegatedBy,
      status: 'active',
      bodyOverrides: o.body,
      expiresAtShiftSeconds: o.expiresAtShiftSeconds ?? 0,
      // Go's clock has nanoseconds; keep a varying sub-millisecond part so 9 digits are not all zeros.
      subMillisecondNanos: (++this.#nanoCounter * 370_369) % 1_000_000,
    };
    this.#rows.set(clientId, row);
    return row;
  }

  row(clientId: string): Row | undefined {
    return this.#rows.get(clientId);
  }

  revoke(clientId: string): boolean {
    const row = this.#rows.get(clientId);
    if (row?.status !== 'active') return false;
    row.status = 'revoked';
    this.#revokedJtis.add(row.jti);
    return true;
  }

  isRevoked(jti: string): boolean {
    return this.#revokedJtis.has(jti);
  }

  markExpired(row: Row): void {
    row.status = 'expired';
  }

  async createSession(
    options: CreateSessionOptions & { workspaceId: string },
  ): Promise<TestSession> {
    this.#workspace(options.workspaceId);
    const userId = options.userId ?? randomUUID();
    const nowSeconds = Math.floor(this.#now() / 1000);
    const expiresInSeconds = options.expiresInSeconds ?? 3600;
    const sid = randomUUID();
    const email = options.email ?? `${userId}@example.test`;
    const admin = options.admin ?? false;
    const token = await new SignJWT({
      email,
      workspace_id: options.workspaceId,
      roles: admin ? ['admin'] : ['user'],
      sid,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer('authsec-testing')
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + expiresInSeconds)
      .sign(this.#sessionSecret);
    const session: TestSession = {
      token,
      userId,
      email,
      workspaceId: options.workspaceId,
      admin,
      expiresAtMs: (nowSeconds + expiresInSeconds) * 1000,
    };
    // Readable, but out of JSON, inspect and a failing assertion's diff, as a delegation's token.
    Object.defineProperty(session, 'token', { value: token, enumerable: false });
    Object.freeze(session);
    this.#sessions.set(sid, session);
    return session;
  }

  revokeSession(token: string): boolean {
    for (const [sid, session] of this.#sessions) {
      if (session.token === token) {
        this.#revokedSessions.add(sid);
        return true;
      }
    }
    return false;
  }

  /** Checks an `Authorization` header value the way the platform's session middleware does. */
  async checkSession(authorization: string | undefined): Promise<SessionCheck> {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match?.[1]) return { ok: false, error: 'missing' };
    try {
      const { payload } = await jwtVerify(match[1], this.#sessionSecret, {
        algorithms: ['HS256'],
        issuer: 'authsec-testing',
        currentDate: new Date(this.#now()),
      });
      const sid = typeof payload.sid === 'string' ? payload.sid : '';
      const session = this.#sessions.get(sid);
      if (!session) return { ok: false, error: 'invalid' };
      if (this.#revokedSessions.has(sid)) return { ok: false, error: 'revoked' };
      return { ok: true, session };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return { ok: false, error: 'invalid' };
      throw error;
    }
  }

  #workspace(id: string): Workspace {
    const workspace = this.#workspaces.get(id);
    if (!workspace) throw new Error(`Unknown workspace ${id}: create it with createWorkspace()`);
    return workspace;
  }

  #agentOrThrow(clientId: string): TestAgent {
    const agent = this.#agents.get(clientId);
    if (!agent) {
      throw new StateError(
        404,
        'Client not found',
        `No AI agent client ${clientId}`,
        `no agent ${clientId} on this server; register it with createAgent() first`,
      );
    }
    return agent;
  }
}
