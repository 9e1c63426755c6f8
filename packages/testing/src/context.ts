// What every endpoint handler is given.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultQueue } from './faults.js';
import type { RecordedRequest } from './http.js';
import { sendJson } from './http.js';
import type { ResolvedSwitches } from './settings.js';
import type { AuthSecState, SessionCheck } from './state.js';

export interface HandlerContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly record: RecordedRequest;
  readonly state: AuthSecState;
  readonly switches: ResolvedSwitches;
  readonly faults: FaultQueue;
  readonly now: () => number;
  /** Aborted by the server's close(): a delayed answer stops waiting instead of outliving it. */
  readonly closing: AbortSignal;
}

/** The `WWW-Authenticate` challenge the platform sends with its 401s. */
export function challenge(error?: 'invalid_token'): Record<string, string> {
  return {
    'www-authenticate': error
      ? `Bearer realm="authsec", error="${error}", error_description="the session token is invalid, expired or revoked"`
      : 'Bearer realm="authsec"',
  };
}

/** Answers a failed session check with the platform's 401 and challenge. */
export function rejectSession(
  res: ServerResponse,
  failure: Extract<SessionCheck, { ok: false }>,
): void {
  const error =
    failure.error === 'missing'
      ? 'authorization header required'
      : failure.error === 'revoked'
        ? 'session has been revoked'
        : 'Invalid or expired token';
  sendJson(
    res,
    401,
    { error },
    challenge(failure.error === 'missing' ? undefined : 'invalid_token'),
  );
}
