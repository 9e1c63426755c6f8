// POST /authsec/uflow/admin/agents/:id/delegate-token and …/revoke-token, as a dashboard admin calls them.

import { type HandlerContext, rejectSession } from './context.js';
import { BodyError, readJsonBody, sendJson } from './http.js';
import { successBody } from './pull-handler.js';
import { StateError } from './state.js';

export const ADMIN_PATH_RE =
  /^\/authsec\/uflow\/admin\/agents\/([^/]+)\/(delegate-token|revoke-token)$/;

export async function handleAdmin(
  ctx: HandlerContext,
  clientId: string,
  action: string,
): Promise<void> {
  const { res, state } = ctx;
  const check = await state.checkSession(ctx.req.headers.authorization);
  if (!check.ok) return rejectSession(res, check);
  if (!check.session.admin) return sendJson(res, 403, { error: 'admin privileges required' });
  const agent = state.agent(clientId);
  if (!agent || agent.workspaceId !== check.session.workspaceId) {
    return sendJson(res, 404, {
      error: 'Client not found',
      details: 'No AI agent client with this id in your workspace',
    });
  }

  let body: unknown;
  try {
    body = await readJsonBody(ctx.req);
  } catch (error) {
    if (error instanceof BodyError) return sendJson(res, error.status, { error: error.message });
    throw error;
  }

  if (action === 'revoke-token') {
    return state.revoke(clientId)
      ? sendJson(res, 200, { message: 'Delegation token revoked', client_id: clientId })
      : sendJson(res, 404, { error: 'No active delegation token found' });
  }

  const input = (body ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (input.agent_type !== undefined && typeof input.agent_type !== 'string')
    problems.push('agent_type must be a string');
  if (
    input.audience !== undefined &&
    !(
      Array.isArray(input.audience) &&
      input.audience.every((a) => typeof a === 'string' && a !== '')
    )
  ) {
    problems.push('audience must be an array of non-empty strings');
  }
  if (
    input.ttl_seconds !== undefined &&
    !(Number.isInteger(input.ttl_seconds) && (input.ttl_seconds as number) > 0)
  ) {
    problems.push('ttl_seconds must be a positive integer');
  }
  if (problems.length > 0) return sendJson(res, 400, { error: problems.join('; ') });

  try {
    const row = await state.delegate(clientId, {
      ...(input.audience !== undefined && { audience: input.audience as string[] }),
      ...(input.ttl_seconds !== undefined && { ttlSeconds: input.ttl_seconds as number }),
      ...(input.agent_type !== undefined && { agentType: input.agent_type as string }),
      delegatedBy: check.session.userId,
      email: check.session.email,
    });
    return sendJson(res, 201, {
      message: 'Delegation token issued',
      ...successBody(row, agent.spiffeId, ctx.switches),
    });
  } catch (error) {
    if (error instanceof StateError) {
      return sendJson(res, error.status, {
        error: error.error,
        ...(error.details && { details: error.details }),
      });
    }
    throw error;
  }
}
