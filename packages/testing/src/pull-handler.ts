// GET /authsec/uflow/sdk/delegation-token: the agent's pull, with every generation's quirks and faults.

import { setTimeout as sleep } from 'node:timers/promises';
import { type HandlerContext, rejectSession } from './context.js';
import { isUuid, mergeDefined } from './encoding.js';
import { dropMidBody, htmlErrorPage, type PullFault, retryAfterValue } from './faults.js';
import { sendJson, sendText } from './http.js';
import { formatRfc3339 } from './rfc3339.js';
import type { ResolvedSwitches } from './settings.js';
import type { Row } from './state.js';

const NO_ACTIVE_TOKEN = {
  error: 'No active delegation token found',
  details: 'An admin must delegate a token first via POST /uflow/admin/agents/:id/delegate-token',
};

/** The success body of a pull (and of the admin's delegate call), field for field. */
export function successBody(
  row: Row,
  spiffeId: string,
  switches: ResolvedSwitches,
): Record<string, unknown> {
  const format = switches.expiresAt;
  const lists = (values: readonly string[]) =>
    switches.nullLists || values.length === 0 ? null : [...values];
  const body: Record<string, unknown> = {
    token: row.token,
    spiffe_id: spiffeId,
    permissions: lists(row.permissions),
    audience: lists(row.audience),
    expires_at: formatRfc3339(
      row.expiresAtMs + row.expiresAtShiftSeconds * 1000,
      format,
      row.subMillisecondNanos,
    ),
    ttl_seconds: row.ttlSeconds,
    client_id: row.clientId,
    [switches.workspaceField]: row.workspaceId,
    status: 'active',
    issued_at: formatRfc3339(row.issuedAtMs, format, row.subMillisecondNanos),
    updated_at: formatRfc3339(row.updatedAtMs, format, row.subMillisecondNanos),
  };
  return mergeDefined(body, row.bodyOverrides);
}

export async function handlePull(ctx: HandlerContext): Promise<void> {
  const fault = ctx.faults.take();
  if (fault && fault.type !== 'delay' && (await answerFault(ctx, fault))) return;
  if (fault?.type === 'delay') {
    try {
      await sleep(fault.ms, undefined, { signal: ctx.closing });
    } catch {
      ctx.res.destroy(); // the server closed while the answer waited
      return;
    }
  }
  const { res, switches, state } = ctx;

  let callerId: string | undefined;
  let callerIsAdminOf: string | undefined;
  if (switches.requireSession) {
    const check = await state.checkSession(ctx.req.headers.authorization);
    if (!check.ok) return rejectSession(res, check);
    callerId = check.session.userId;
    if (check.session.admin) callerIsAdminOf = check.session.workspaceId;
  }

  const clientId = ctx.url.searchParams.get('client_id') || ctx.record.clientIdHeader || '';
  if (clientId === '') {
    return sendJson(res, 400, {
      error: 'client_id is required (query param or X-Client-ID header)',
    });
  }
  if (!isUuid(clientId)) return sendJson(res, 400, { error: 'Invalid client_id format' });

  const agent = state.agent(clientId);
  if (!agent) {
    return switches.unknownClientError === 'client-not-found'
      ? sendJson(res, 404, {
          error: 'Client not found',
          details: 'No AI agent client is registered with this client_id',
        })
      : sendJson(res, 404, NO_ACTIVE_TOKEN);
  }
  const row = state.row(clientId);
  if (row?.status !== 'active') return sendJson(res, 404, NO_ACTIVE_TOKEN);
  if (switches.ownerOnly && callerId !== row.delegatedBy && callerIsAdminOf !== row.workspaceId) {
    return sendJson(res, 404, NO_ACTIVE_TOKEN);
  }
  if (ctx.now() >= row.expiresAtMs) {
    // Answered once; the row is then marked expired and later pulls get 404, as the service does.
    state.markExpired(row);
    return sendJson(res, 410, {
      error: 'Delegation token has expired',
      expired_at: formatRfc3339(row.expiresAtMs, switches.expiresAt, row.subMillisecondNanos),
      details: 'Admin must re-delegate a token via POST /uflow/admin/agents/:id/delegate-token',
    });
  }
  return sendJson(res, 200, successBody(row, agent.spiffeId, switches));
}

/** Answers a fault; returns false when the fault only changes the normal answer. */
async function answerFault(ctx: HandlerContext, fault: PullFault): Promise<boolean> {
  const { res } = ctx;
  switch (fault.type) {
    case 'status': {
      const headers = { ...(fault.headers ?? {}) };
      if (fault.retryAfter !== undefined)
        headers['retry-after'] = retryAfterValue(fault.retryAfter);
      sendJson(res, fault.status, fault.body ?? { error: `injected ${fault.status}` }, headers);
      return true;
    }
    case 'html': {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined)
        headers['retry-after'] = retryAfterValue(fault.retryAfter);
      sendText(res, fault.status, 'text/html', htmlErrorPage(fault.status), headers);
      return true;
    }
    case 'raw':
      sendText(
        res,
        fault.status ?? 200,
        fault.contentType ?? 'text/plain; charset=utf-8',
        fault.body,
      );
      return true;
    case 'hang':
      // Keep the socket open and never answer; close() destroys it.
      return true;
    case 'drop-mid-body':
      dropMidBody(
        res,
        JSON.stringify({ token: 'x'.repeat(600), expires_at: '2030-01-01T00:00:00Z' }),
      );
      return true;
    case 'missing-token':
      sendJson(res, 200, {
        expires_at: new Date(ctx.now() + 3_600_000).toISOString(),
        status: 'active',
      });
      return true;
    case 'oversize': {
      const bytes = fault.bytes ?? 5 * 1024 * 1024;
      const prefix = '{"token":"';
      const suffix = '","expires_at":"2030-01-01T00:00:00Z"}';
      const filler = 'A'.repeat(Math.max(0, bytes - prefix.length - suffix.length));
      sendText(res, 200, 'application/json; charset=utf-8', `${prefix}${filler}${suffix}`);
      return true;
    }
    case 'delay':
      return false;
  }
}
