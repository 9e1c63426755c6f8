// The public shapes of the emulator's state: agents, policies, delegations, sessions and overrides.

/** An AI agent client registered in a workspace, as the dashboard's "Onboard New Client" makes one. */
export interface TestAgent {
  readonly clientId: string;
  readonly workspaceId: string;
  readonly name: string;
  /** The agent type written into the SPIFFE ID and the `agent_type` claim. */
  readonly agentType: string;
  /** The agent's SPIFFE ID: the token's `sub` and the body's `spiffe_id`. */
  readonly spiffeId: string;
}

/** A trust delegation: what an agent may be given, and for how long at most. */
export interface TestPolicy {
  readonly clientId: string;
  readonly permissions: readonly string[];
  readonly maxDurationSeconds: number;
  readonly targetType: string;
  readonly role: string;
}

/** Changes to a minted token and its pull answer, for tests of awkward or hostile servers. */
export interface TokenOverrides {
  /** Claims added or changed; a claim set to `undefined` is removed. */
  claims?: Record<string, unknown>;
  /** Header fields added or changed (`alg`, `kid`, `typ`); `alg: 'none'` gives an unsigned token. */
  header?: Record<string, unknown>;
  /** Success-body fields added or changed; a field set to `undefined` is left out. */
  body?: Record<string, unknown>;
  /** Moves `expires_at` away from the token's `exp` by this many seconds. */
  expiresAtShiftSeconds?: number;
  /** Moves `iat`/`nbf` (and so `exp`) by this many seconds; negative values mint tokens in the past. */
  issuedAtOffsetSeconds?: number;
  /** A lifetime that ignores the policy, including 0 or negative (already expired). */
  lifetimeSeconds?: number;
  /** Sign with a key that is not in the workspace's bundle. */
  signWithForeignKey?: boolean;
}

/** The active (or last) delegation row of one agent, as the store keeps it. */
export interface DelegationRecord {
  readonly clientId: string;
  readonly workspaceId: string;
  /** The JWT; tests may read it, the emulator never prints it. */
  readonly token: string;
  readonly jti: string;
  readonly permissions: readonly string[];
  readonly audience: readonly string[];
  readonly agentType: string;
  readonly ttlSeconds: number;
  /** When the row says the token expires (epoch ms, before any body shift). */
  readonly expiresAtMs: number;
  readonly issuedAtMs: number;
  readonly updatedAtMs: number;
  /** The user who delegated it (for owner-only servers). */
  readonly delegatedBy: string;
  readonly status: 'active' | 'revoked' | 'expired';
}

/** A platform session, as a signed-in dashboard user holds one. */
export interface TestSession {
  /** The session bearer token to send as `Authorization: Bearer …` (readable, not enumerable). */
  readonly token: string;
  readonly userId: string;
  readonly email: string;
  readonly workspaceId: string;
  readonly admin: boolean;
  readonly expiresAtMs: number;
}

/** Options for registering an agent. */
export interface CreateAgentOptions {
  /** @default a random UUID */
  clientId?: string;
  /** @default the server's default workspace */
  workspaceId?: string;
  /** @default 'Test agent' */
  name?: string;
  /** @default 'ai-agent' */
  agentType?: string;
  /** @default `spiffe://<trust domain>/tenants/<workspace>/agents/<agentType>/<clientId>` */
  spiffeId?: string;
}

/** Options for creating a trust delegation. */
export interface CreatePolicyOptions {
  clientId: string;
  /** The allowed actions, e.g. `read:records`. */
  permissions: readonly string[];
  /** 1 s to 24 h. @default 3600 */
  maxDurationSeconds?: number;
  /** @default 'LangChain AI agent' */
  targetType?: string;
  /** @default 'agent' */
  role?: string;
}

/** Options for signing a user in. */
export interface CreateSessionOptions {
  /** @default a random UUID */
  userId?: string;
  /** @default `<userId>@example.test` */
  email?: string;
  /** A workspace admin may delegate, revoke, and (owner-only servers) pull any agent's token. @default false */
  admin?: boolean;
  /** @default the server's default workspace */
  workspaceId?: string;
  /** @default 3600 */
  expiresInSeconds?: number;
}

/** Options for delegating a token. */
export interface DelegateOptions {
  /** @default ['authsec-api'] */
  audience?: readonly string[];
  /** At most the policy's maximum duration. @default the policy's maximum duration */
  ttlSeconds?: number;
  /** @default the agent's type */
  agentType?: string;
  /** The delegating user's id. @default 'test-admin' */
  delegatedBy?: string;
  /** The delegating user's email. @default `<delegatedBy>@example.test` */
  email?: string;
  /** Changes to the token and the pull body, for tests of hostile servers. */
  overrides?: TokenOverrides;
}
