// Server generations: the switches in which AuthSec releases differ on the wire, and their presets.

import { type TimestampFormat, validateTimestampFormat } from './rfc3339.js';

/**
 * A preset of the switches below, one per AuthSec release line.
 * - `legacy`: no session on the pull, `tenant_id`, 404 "Client not found" for an unknown client.
 * - `session`: `Authorization: Bearer <session>` required on the pull (401 otherwise), `workspace_id`.
 * - `owner-only`: as `session`, and 404 to any caller who neither delegated the token nor is a workspace admin.
 */
export type ServerGeneration = 'legacy' | 'session' | 'owner-only';

/** Individual wire switches; each overrides what the generation preset says. */
export interface ServerSwitches {
  /** Answer 401 with `WWW-Authenticate` to a pull without a valid session bearer. */
  requireSession?: boolean;
  /** Answer 404 to a pull by anyone but the delegating user or a workspace admin. Implies a session. */
  ownerOnly?: boolean;
  /** The name of the workspace field in the success body and the token's claims. */
  workspaceField?: 'tenant_id' | 'workspace_id';
  /** The 404 an unknown client id gets: older servers say "Client not found". */
  unknownClientError?: 'client-not-found' | 'no-active-token';
  /** Send `permissions` and `audience` as `null` in the success body, whatever the token holds. */
  nullLists?: boolean;
  /**
   * How `expires_at`, `issued_at` and `updated_at` are written.
   * @default as the service writes them: up to 6 fraction digits, trailing zeros trimmed, `Z`
   */
  expiresAt?: TimestampFormat;
}

/** The switches after the preset and overrides are applied. */
export interface ResolvedSwitches {
  readonly generation: ServerGeneration;
  readonly requireSession: boolean;
  readonly ownerOnly: boolean;
  readonly workspaceField: 'tenant_id' | 'workspace_id';
  readonly unknownClientError: 'client-not-found' | 'no-active-token';
  readonly nullLists: boolean;
  readonly expiresAt: Required<TimestampFormat>;
}

const PRESETS: Record<
  ServerGeneration,
  Omit<ResolvedSwitches, 'generation' | 'expiresAt' | 'nullLists'>
> = {
  legacy: {
    requireSession: false,
    ownerOnly: false,
    workspaceField: 'tenant_id',
    unknownClientError: 'client-not-found',
  },
  session: {
    requireSession: true,
    ownerOnly: false,
    workspaceField: 'workspace_id',
    unknownClientError: 'no-active-token',
  },
  'owner-only': {
    requireSession: true,
    ownerOnly: true,
    workspaceField: 'workspace_id',
    unknownClientError: 'no-active-token',
  },
};

/** The generations, in release order. */
export const SERVER_GENERATIONS: readonly ServerGeneration[] = ['legacy', 'session', 'owner-only'];

/** Applies a generation preset and the individual switches, checking each value. */
export function resolveSwitches(
  generation: ServerGeneration,
  switches: ServerSwitches,
): ResolvedSwitches {
  const preset = PRESETS[generation];
  if (!preset) {
    throw new RangeError(
      `Unknown server generation '${String(generation)}': use one of ${SERVER_GENERATIONS.join(', ')}`,
    );
  }
  const ownerOnly = switches.ownerOnly ?? preset.ownerOnly;
  return Object.freeze({
    generation,
    requireSession: ownerOnly || (switches.requireSession ?? preset.requireSession),
    ownerOnly,
    workspaceField: switches.workspaceField ?? preset.workspaceField,
    unknownClientError: switches.unknownClientError ?? preset.unknownClientError,
    nullLists: switches.nullLists ?? false,
    expiresAt: Object.freeze(validateTimestampFormat(switches.expiresAt ?? {})),
  });
}
