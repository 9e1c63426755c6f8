// GET /authsec/spiresvc/v1/jwt/bundle and POST …/jwt/validate: the public keys and the remote check.

import { importJWK, errors as joseErrors, jwtVerify } from 'jose';
import type { HandlerContext } from './context.js';
import { decodeSegment, isUuid } from './encoding.js';
import { BodyError, readJsonBody, sendJson } from './http.js';

export function handleBundle(ctx: HandlerContext): void {
  const workspaceId = ctx.url.searchParams.get('workspace_id') ?? '';
  if (!isUuid(workspaceId)) {
    sendJson(ctx.res, 400, { error: 'invalid workspace_id' });
    return;
  }
  const key = ctx.state.publicKey(workspaceId);
  if (!key) {
    sendJson(ctx.res, 404, { error: 'trust bundle not found for workspace' });
    return;
  }
  sendJson(ctx.res, 200, { keys: [key.publicJwk] }, { 'cache-control': 'public, max-age=300' });
}

/** The remote validation: signature, time, audience, workspace, and revocation. */
export async function handleValidate(ctx: HandlerContext): Promise<void> {
  let input: Record<string, unknown>;
  try {
    input = ((await readJsonBody(ctx.req)) ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BodyError)
      return sendJson(ctx.res, error.status, { error: error.message });
    throw error;
  }
  const token = input.token;
  if (typeof token !== 'string' || token === '') {
    return sendJson(ctx.res, 400, { error: 'token is required' });
  }
  const audience = input.audience;
  const audienceOk =
    audience === undefined ||
    (typeof audience === 'string' && audience !== '') ||
    (Array.isArray(audience) &&
      audience.length > 0 &&
      audience.every((a) => typeof a === 'string' && a !== ''));
  if (!audienceOk) {
    return sendJson(ctx.res, 400, {
      error: 'audience must be a non-empty string or array of strings',
    });
  }
  if (input.workspace_id !== undefined && typeof input.workspace_id !== 'string') {
    return sendJson(ctx.res, 400, { error: 'workspace_id must be a string' });
  }
  const invalid = (error: string) => sendJson(ctx.res, 200, { valid: false, error });

  const payload = decodeSegment(token.split('.')[1]);
  if (!payload) return invalid('malformed token');
  const fromClaim = payload.workspace_id ?? payload.tenant_id;
  const fromIssuer =
    typeof payload.iss === 'string' ? payload.iss.replace(/^spiffe:\/\//, '') : undefined;
  if (fromClaim !== undefined && fromIssuer !== undefined && fromClaim !== fromIssuer) {
    return invalid('workspace claim and issuer disagree');
  }
  const workspaceId = String(fromClaim ?? fromIssuer ?? '');
  if (input.workspace_id !== undefined && input.workspace_id !== workspaceId) {
    return invalid('token belongs to another workspace');
  }
  const key = ctx.state.publicKey(workspaceId);
  if (!key) return invalid('unknown workspace');

  try {
    const { payload: claims } = await jwtVerify(token, await importJWK(key.publicJwk, 'RS256'), {
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
      currentDate: new Date(ctx.now()),
      ...(audience !== undefined && { audience: audience as string | string[] }),
    });
    if (typeof claims.jti === 'string' && ctx.state.isRevoked(claims.jti))
      return invalid('token has been revoked');
    const seconds = (value: unknown) =>
      typeof value === 'number' ? new Date(value * 1000).toISOString() : null;
    return sendJson(ctx.res, 200, {
      valid: true,
      spiffe_id: claims.sub ?? null,
      sub: claims.sub ?? null,
      claims,
      workspace_id: workspaceId,
      permissions: Array.isArray(claims.permissions) ? claims.permissions : [],
      audience: Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [],
      expires_at: seconds(claims.exp),
      issued_at: seconds(claims.iat),
    });
  } catch (error) {
    if (error instanceof joseErrors.JOSEError)
      return invalid(error.code.replace(/^ERR_/, '').toLowerCase());
    throw error;
  }
}
