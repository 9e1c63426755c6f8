// Test support for the verifier: real RS256 keys, hand-made tokens and error checks that look for leaks.

import { randomUUID } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';
import { expect } from 'vitest';
import { AuthSecTokenError, type AuthSecTokenErrorReason } from '../src/errors.js';
import { sharedRsaKeyPair } from './keys.js';
import { expectNoSecrets, rejection } from './support.js';

/** A fixed "now" for hand-made tokens, in epoch milliseconds. */
export const NOW_MS = 1_800_000_000_000;
export const NOW = NOW_MS / 1000;
export const clock = () => NOW_MS;

/** The bundle path AuthSec serves keys on. */
export const BUNDLE_ROUTE = 'GET /authsec/spiresvc/v1/jwt/bundle';
export const VALIDATE_ROUTE = 'POST /authsec/spiresvc/v1/jwt/validate';

export interface TestKey {
  privateKey: CryptoKey;
  /** The public JWK as AuthSec's bundle shows it. */
  jwk: JWK;
}

/**
 * An RS256 key pair from the run's pool (each call in a file gives another one); `kid` goes into
 * the public JWK only when given.
 */
export async function rsaKey(kid?: string): Promise<TestKey> {
  const { privateKey, publicJwk } = await sharedRsaKeyPair();
  const jwk: JWK = {
    ...publicJwk,
    use: 'sig',
    alg: 'RS256',
    ...(kid !== undefined && { kid }),
  };
  return { privateKey, jwk };
}

/** A JWKS of the keys' public halves. */
export function jwks(...keys: TestKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => ({ ...k.jwk })) };
}

/** The claims AuthSec puts into a delegation token, for workspace `ws`, at {@link NOW}. */
export function delegationClaims(ws: string, changes: Record<string, unknown> = {}) {
  const clientId = randomUUID();
  const base: Record<string, unknown> = {
    iss: `spiffe://${ws}`,
    sub: `spiffe://authsec.dev/tenants/${ws}/agents/ai-agent/${clientId}`,
    aud: ['authsec-api'],
    exp: NOW + 3600,
    nbf: NOW,
    iat: NOW,
    jti: randomUUID(),
    permissions: ['read:records'],
    client_id: clientId,
    agent_type: 'ai-agent',
    user_id: 'user-1',
    email: 'user-1@example.test',
    workspace_id: ws,
  };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** Signs claims with RS256 (or the header's alg) using jose. */
export function sign(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header } as { alg: string })
    .sign(key.privateKey);
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A compact token assembled by hand, so the header can say anything. */
export function handMade(
  header: unknown,
  payload: unknown,
  signature = 'c2lnbmF0dXJlLWJ5dGVz',
): string {
  return `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}.${signature}`;
}

/**
 * Awaits a rejection and checks it is an AuthSecTokenError with `reason`, a hint, no cause, and
 * no trace of the token (whole or any segment) in String, inspect or JSON output.
 */
export async function expectTokenError(
  promise: Promise<unknown>,
  reason: AuthSecTokenErrorReason,
  token: unknown,
  message?: RegExp,
): Promise<AuthSecTokenError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AuthSecTokenError);
  const tokenError = error as AuthSecTokenError;
  expect({ reason: tokenError.reason, code: tokenError.code }).toEqual({
    reason,
    code: 'ERR_AUTHSEC_TOKEN_INVALID',
  });
  expect(tokenError.cause).toBeUndefined();
  expect(tokenError.hint).toBeTruthy();
  expect(tokenError.toJSON()).toMatchObject({ reason, code: 'ERR_AUTHSEC_TOKEN_INVALID' });
  if (message) expect(tokenError.message).toMatch(message);
  if (typeof token === 'string') expectNoSecrets([token, ...token.split('.')], tokenError);
  return tokenError;
}
