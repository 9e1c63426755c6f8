// Tests for validating a pull's 200 body and its JWT: every check, every issue path, no value in any error.

import { inspect } from 'node:util';
import { AuthSecTestServer } from '@authsec/testing';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSecResponseError } from '../src/errors.js';
import { parseRfc3339 } from '../src/rfc3339.js';
import { decodeTokenUnverified, parseTokenResponse } from '../src/token-response.js';
import { sharedRsaKeyPair } from './keys.js';

const CLIENT_ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
const OTHER_CLIENT_ID = '9d2e4c11-7a3b-4f0e-8c5d-1b2a3c4d5e6f';
const WORKSPACE_ID = '3b481361-2f3f-4074-90e1-4b9766a2d7f2';
const SPIFFE_ID = `spiffe://authsec.dev/tenants/${WORKSPACE_ID}/agents/langchain/${CLIENT_ID}`;
const NOW = Date.parse('2026-05-21T07:00:00Z');
const IAT = NOW / 1000;
const EXP = IAT + 3600;
const JTI = '0b9e5d0c-6a1f-4f55-9a44-5f1b7f0c2d31';

let rsaKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey: rsaKey } = await sharedRsaKeyPair());
});

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function defaultClaims(): Record<string, unknown> {
  return {
    iss: `spiffe://${WORKSPACE_ID}`,
    sub: SPIFFE_ID,
    aud: ['authsec-api'],
    iat: IAT,
    nbf: IAT,
    exp: EXP,
    jti: JTI,
    permissions: ['read:records', 'billing:read'],
    client_id: CLIENT_ID,
    agent_type: 'langchain',
    user_id: 'user-1',
    email: 'user-1@example.test',
    workspace_id: WORKSPACE_ID,
  };
}

/** Claims with changes applied; a claim set to `undefined` is removed. */
function claimsWith(changes: Record<string, unknown>): Record<string, unknown> {
  const claims = { ...defaultClaims(), ...changes };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims;
}

/** A real RS256 JWT signed with a fresh test key. */
function mint(changes: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claimsWith(changes))
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(rsaKey);
}

function bodyFor(token: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    token,
    spiffe_id: SPIFFE_ID,
    permissions: ['read:records', 'billing:read'],
    audience: ['authsec-api'],
    expires_at: new Date(EXP * 1000).toISOString(),
    ttl_seconds: 3600,
    client_id: CLIENT_ID,
    workspace_id: WORKSPACE_ID,
    status: 'active',
    issued_at: '2026-05-21T06:59:59.123456789Z',
    updated_at: '2026-05-21T07:00:00.000000001Z',
    ...changes,
  };
  for (const [key, value] of Object.entries(body)) if (value === undefined) delete body[key];
  return body;
}

const check = { clientId: CLIENT_ID, now: NOW } as const;

/** Runs `fn`, expects an AuthSecResponseError with exactly `issues`, and that no secret leaks. */
function expectResponseError(
  fn: () => unknown,
  issues: readonly string[],
  secrets: readonly string[],
): AuthSecResponseError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AuthSecResponseError);
  const error = caught as AuthSecResponseError;
  expect(error.code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
  expect(error.name).toBe('AuthSecResponseError');
  expect(error.issues).toEqual(issues);
  for (const issue of issues) expect(error.message).toContain(issue);
  expect(error.hint).toBeTruthy();
  const renderings = [JSON.stringify(error), String(error), inspect(error, { depth: 10 })];
  for (const secret of secrets.filter((s) => s !== '')) {
    for (const text of renderings) expect(text).not.toContain(secret);
  }
  return error;
}

/** The parts of a token that must never show up in an error. */
function secretsOf(token: string): string[] {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return [token, payload, signature, header].filter((s) => s.length > 8);
}

describe('parseTokenResponse: bodies that pass', () => {
  it('returns frozen facts from a full body and its token', async () => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token), check);
    expect(facts).toEqual({
      token,
      expiresAt: new Date(EXP * 1000),
      permissions: ['read:records', 'billing:read'],
      audience: ['authsec-api'],
      spiffeId: SPIFFE_ID,
      clientId: CLIENT_ID,
      workspaceId: WORKSPACE_ID,
      jti: JTI,
      mode: 'live',
    });
    expect(Object.isFrozen(facts)).toBe(true);
    expect(Object.isFrozen(facts.permissions)).toBe(true);
    expect(Object.isFrozen(facts.audience)).toBe(true);
  });

  it('accepts the minimal documented body { token, expires_at } and fills facts from the claims', async () => {
    const token = await mint();
    const facts = parseTokenResponse(
      { token, expires_at: new Date(EXP * 1000).toISOString() },
      check,
    );
    expect(facts.expiresAt.getTime()).toBe(EXP * 1000);
    expect(facts.permissions).toEqual(['read:records', 'billing:read']);
    expect(facts.audience).toEqual(['authsec-api']);
    expect(facts.spiffeId).toBe(SPIFFE_ID);
    expect(facts.clientId).toBe(CLIENT_ID);
    expect(facts.workspaceId).toBe(WORKSPACE_ID);
  });

  it('accepts a body without expires_at and takes expiry from exp', async () => {
    const token = await mint();
    expect(parseTokenResponse({ token }, check).expiresAt.getTime()).toBe(EXP * 1000);
  });

  it('reports mode mock when asked', async () => {
    const token = await mint();
    expect(parseTokenResponse(bodyFor(token), { ...check, mode: 'mock' }).mode).toBe('mock');
  });

  it('ignores unknown body fields and null optional strings', async () => {
    const token = await mint();
    const facts = parseTokenResponse(
      bodyFor(token, {
        brand_new_field: { nested: true },
        spiffe_id: null,
        client_id: null,
        workspace_id: null,
        tenant_id: null,
        status: null,
        issued_at: null,
        updated_at: null,
      }),
      check,
    );
    expect(facts.spiffeId).toBe(SPIFFE_ID);
    expect(facts.clientId).toBe(CLIENT_ID);
    expect(facts.workspaceId).toBe(WORKSPACE_ID);
  });

  it('treats null permissions and audience as empty and falls back to the claims', async () => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token, { permissions: null, audience: null }), check);
    expect(facts.permissions).toEqual(['read:records', 'billing:read']);
    expect(facts.audience).toEqual(['authsec-api']);
  });

  it('falls back to the claims when body lists are empty arrays', async () => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token, { permissions: [], audience: [] }), check);
    expect(facts.permissions).toEqual(['read:records', 'billing:read']);
    expect(facts.audience).toEqual(['authsec-api']);
  });

  it('prefers non-empty body lists to the claims', async () => {
    const token = await mint();
    const facts = parseTokenResponse(
      bodyFor(token, { permissions: ['read:metrics'], audience: ['other-api'] }),
      check,
    );
    expect(facts.permissions).toEqual(['read:metrics']);
    expect(facts.audience).toEqual(['other-api']);
  });

  it('gives empty lists when neither body nor claims hold usable ones', async () => {
    const token = await mint({ permissions: ['ok', 7], aud: { not: 'a list' } });
    const facts = parseTokenResponse({ token }, check);
    expect(facts.permissions).toEqual([]);
    expect(facts.audience).toEqual([]);
  });

  it('turns a string aud claim into a one-element audience', async () => {
    const token = await mint({ aud: 'authsec-api' });
    expect(parseTokenResponse({ token }, check).audience).toEqual(['authsec-api']);
  });

  it('takes the workspace from tenant_id (older servers) when workspace_id is absent', async () => {
    const token = await mint({ workspace_id: undefined, tenant_id: 'claim-tenant' });
    const facts = parseTokenResponse(
      bodyFor(token, { workspace_id: undefined, tenant_id: 'body-tenant' }),
      check,
    );
    expect(facts.workspaceId).toBe('body-tenant');
  });

  it('prefers body workspace_id to body tenant_id', async () => {
    const token = await mint();
    const facts = parseTokenResponse(
      bodyFor(token, { workspace_id: 'body-ws', tenant_id: 'body-tenant' }),
      check,
    );
    expect(facts.workspaceId).toBe('body-ws');
  });

  it('falls back from the body to the workspace_id claim, then the tenant_id claim, then iss', async () => {
    const claimWs = await mint({ workspace_id: 'claim-ws', tenant_id: 'claim-tenant' });
    expect(parseTokenResponse({ token: claimWs }, check).workspaceId).toBe('claim-ws');
    const claimTenant = await mint({ workspace_id: undefined, tenant_id: 'claim-tenant' });
    expect(parseTokenResponse({ token: claimTenant }, check).workspaceId).toBe('claim-tenant');
    const issOnly = await mint({ workspace_id: undefined });
    expect(parseTokenResponse({ token: issOnly }, check).workspaceId).toBe(WORKSPACE_ID);
  });

  it('leaves workspaceId undefined when iss is not a SPIFFE ID and no field names one', async () => {
    const token = await mint({ workspace_id: undefined, iss: 'https://issuer.example' });
    expect(parseTokenResponse({ token }, check).workspaceId).toBeUndefined();
  });

  it('falls back to the options client id when neither body nor claims have one', async () => {
    const token = await mint({ client_id: undefined });
    expect(parseTokenResponse({ token }, check).clientId).toBe(CLIENT_ID);
  });

  it('compares client ids case-insensitively, as UUIDs', async () => {
    const token = await mint({ client_id: CLIENT_ID.toUpperCase() });
    const facts = parseTokenResponse(bodyFor(token, { client_id: CLIENT_ID.toUpperCase() }), check);
    expect(facts.clientId).toBe(CLIENT_ID.toUpperCase());
  });

  it('leaves jti and spiffeId undefined when the claims are missing or not strings', async () => {
    const token = await mint({ jti: 42, sub: undefined });
    const facts = parseTokenResponse({ token }, check);
    expect(facts.jti).toBeUndefined();
    expect(facts.spiffeId).toBeUndefined();
  });

  it('accepts ttl_seconds 0 and never uses it for expiry', async () => {
    const token = await mint();
    expect(parseTokenResponse(bodyFor(token, { ttl_seconds: 0 }), check).expiresAt.getTime()).toBe(
      EXP * 1000,
    );
    const longTtl = parseTokenResponse(bodyFor(token, { ttl_seconds: 86_400 }), check);
    expect(longTtl.expiresAt.getTime()).toBe(EXP * 1000);
  });
});

describe('parseTokenResponse: expiry is the earlier of expires_at and exp', () => {
  it.each([
    ['0 fraction digits, Z', '2026-05-21T08:00:00Z', EXP * 1000],
    ['3 fraction digits, Z', '2026-05-21T07:59:59.123Z', EXP * 1000 - 877],
    ['6 fraction digits, Z', '2026-05-21T07:59:59.123456Z', EXP * 1000 - 877],
    ['9 fraction digits, Z', '2026-05-21T07:59:59.123456789Z', EXP * 1000 - 877],
    ['9 fraction digits, +05:30', '2026-05-21T13:29:59.999999999+05:30', EXP * 1000 - 1],
    ['3 fraction digits, -08:00', '2026-05-20T23:59:58.500-08:00', EXP * 1000 - 1500],
    ['0 fraction digits, +05:30, later than exp', '2026-05-21T13:40:00+05:30', EXP * 1000],
    ['6 fraction digits, -08:00, later than exp', '2026-05-21T00:10:00.000001-08:00', EXP * 1000],
  ])('expires_at with %s', async (_case, expiresAt, expected) => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token, { expires_at: expiresAt }), check);
    expect(facts.expiresAt.getTime()).toBe(expected);
  });

  it('uses exp when exp is earlier than expires_at', async () => {
    const token = await mint({ exp: EXP - 600 });
    const facts = parseTokenResponse(bodyFor(token), check);
    expect(facts.expiresAt.getTime()).toBe((EXP - 600) * 1000);
  });

  it('uses expires_at when expires_at is earlier than exp', async () => {
    const token = await mint();
    const facts = parseTokenResponse(
      bodyFor(token, { expires_at: new Date((EXP - 600) * 1000).toISOString() }),
      check,
    );
    expect(facts.expiresAt.getTime()).toBe((EXP - 600) * 1000);
  });

  it('throws for an expired exp, naming token.payload.exp and saying to re-delegate', async () => {
    const token = await mint({ exp: IAT - 1 });
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.payload.exp'],
      secretsOf(token),
    );
    expect(error.message).toMatch(/already expired/);
    expect(error.message).toMatch(/re-delegate/);
    expect(error.message).toMatch(/clock/);
  });

  it('throws for an expired expires_at even though exp is in the future', async () => {
    const token = await mint();
    const expiresAt = new Date(NOW - 1000).toISOString();
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token, { expires_at: expiresAt }), check),
      ['expires_at'],
      [...secretsOf(token), expiresAt],
    );
    expect(error.message).toMatch(/already expired/);
  });

  it('treats a token expiring exactly now as expired', async () => {
    const token = await mint({ exp: IAT });
    expectResponseError(
      () => parseTokenResponse({ token }, check),
      ['token.payload.exp'],
      secretsOf(token),
    );
  });

  it('names both fields when expires_at and exp are equal and past', async () => {
    const token = await mint({ exp: IAT - 60 });
    expectResponseError(
      () =>
        parseTokenResponse(
          bodyFor(token, { expires_at: new Date((IAT - 60) * 1000).toISOString() }),
          check,
        ),
      ['expires_at', 'token.payload.exp'],
      secretsOf(token),
    );
  });

  it('accepts a token one millisecond before expiry', async () => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token), { ...check, now: EXP * 1000 - 1 });
    expect(facts.expiresAt.getTime()).toBe(EXP * 1000);
  });
});

describe('parseTokenResponse: bodies that are refused', () => {
  it.each([
    ['an array', [{ token: 'x' }]],
    ['a string', 'eyJ.eyJ.sig'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 200],
  ])('refuses a body that is %s', (_case, body) => {
    const error = expectResponseError(
      () => parseTokenResponse(body, check),
      ['body'],
      ['eyJ.eyJ.sig'],
    );
    expect(error.message).toMatch(/AUTHSEC_BASE_URL/);
  });

  it('refuses a body without a token', () => {
    expectResponseError(
      () => parseTokenResponse({ expires_at: '2026-05-21T08:00:00Z', status: 'active' }, check),
      ['token'],
      ['2026-05-21T08:00:00Z'],
    );
  });

  it.each([
    ['empty', ''],
    ['a number', 12_345],
    ['null', null],
  ])('refuses a token that is %s', (_case, token) => {
    expectResponseError(() => parseTokenResponse({ token }, check), ['token'], []);
  });

  it('refuses wrongly typed fields and names each path, never the values', async () => {
    const token = await mint();
    const error = expectResponseError(
      () =>
        parseTokenResponse(
          bodyFor(token, {
            expires_at: 1_779_350_000,
            spiffe_id: 99,
            permissions: ['read:records', 'secret-permission-value', 7],
            audience: 'audience-value-string',
            ttl_seconds: 1.5,
            client_id: false,
            tenant_id: 1,
            workspace_id: ['ws-array-value'],
            status: {},
            issued_at: 3,
            updated_at: true,
          }),
          check,
        ),
      [
        'expires_at',
        'spiffe_id',
        'permissions[2]',
        'audience',
        'ttl_seconds',
        'client_id',
        'tenant_id',
        'workspace_id',
        'status',
        'issued_at',
        'updated_at',
      ],
      [...secretsOf(token), 'secret-permission-value', 'audience-value-string', 'ws-array-value'],
    );
    expect(error.message).toMatch(/AUTHSEC_BASE_URL/);
  });

  it('refuses a negative ttl_seconds', async () => {
    const token = await mint();
    expectResponseError(
      () => parseTokenResponse(bodyFor(token, { ttl_seconds: -1 }), check),
      ['ttl_seconds'],
      secretsOf(token),
    );
  });

  it('refuses an expires_at that is not RFC 3339 (even if Date.parse takes it)', async () => {
    const token = await mint();
    for (const expiresAt of [
      '2026-05-21',
      'May 21 2026',
      '2026-05-21 08:00:00Z',
      '2026-05-21T08:00:00',
    ]) {
      expectResponseError(
        () => parseTokenResponse(bodyFor(token, { expires_at: expiresAt }), check),
        ['expires_at'],
        [...secretsOf(token), expiresAt],
      );
    }
  });
});

describe('parseTokenResponse: tokens that are refused', () => {
  it('refuses a token that is not a JWT', () => {
    const token = 'not-a-jwt-opaque-session-value';
    expectResponseError(() => parseTokenResponse({ token }, check), ['token'], [token]);
  });

  it.each([
    ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9'],
    ['four segments', 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl.ZXh0cmE'],
    ['five segments (a JWE)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVydGV4dA.dGFn'],
  ])('refuses a token with %s', (_case, token) => {
    expectResponseError(() => parseTokenResponse({ token }, check), ['token'], [token]);
  });

  it('refuses a header that is not base64url JSON', async () => {
    const [, payload, signature] = (await mint()).split('.');
    const token = `%%%notbase64.${payload}.${signature}`;
    expectResponseError(
      () => parseTokenResponse({ token }, check),
      ['token.header'],
      secretsOf(token),
    );
  });

  it('refuses a header that is JSON but not an object', async () => {
    const [, payload, signature] = (await mint()).split('.');
    const token = `${b64url(['RS256'])}.${payload}.${signature}`;
    expectResponseError(
      () => parseTokenResponse({ token }, check),
      ['token.header'],
      secretsOf(token),
    );
  });

  it('refuses a payload that is not JSON, or is JSON but not an object', async () => {
    const [header, , signature] = (await mint()).split('.');
    for (const payload of [
      Buffer.from('not json at all').toString('base64url'),
      b64url('a string'),
      b64url([1, 2]),
      '',
    ]) {
      const token = `${header}.${payload}.${signature}`;
      expectResponseError(
        () => parseTokenResponse({ token }, check),
        ['token.payload'],
        secretsOf(token),
      );
    }
  });

  it('reports a bad header and a bad payload together', () => {
    const token = 'bm90LWpzb24.bm90LWpzb24.c2lnbmF0dXJlLXNlZ21lbnQ';
    expectResponseError(
      () => parseTokenResponse({ token }, check),
      ['token.header', 'token.payload'],
      [token, 'c2lnbmF0dXJlLXNlZ21lbnQ'],
    );
  });

  it('refuses alg none with an empty signature', () => {
    const claims = defaultClaims();
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.header.alg'],
      secretsOf(token),
    );
    expect(error.message).toMatch(/RS256/);
    expect(error.message).not.toMatch(/none/);
  });

  it('refuses HS256 even with a valid HMAC signature', async () => {
    const token = await new SignJWT(defaultClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'));
    expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.header.alg'],
      secretsOf(token),
    );
  });

  it('refuses ES256 even with a valid signature', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(defaultClaims())
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .sign(privateKey);
    expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.header.alg'],
      secretsOf(token),
    );
  });

  it.each([
    ['lowercase rs256', { alg: 'rs256' }],
    ['RS512', { alg: 'RS512' }],
    ['a missing alg', { typ: 'JWT' }],
    ['a non-string alg', { alg: ['RS256'] }],
  ])('refuses a header with %s', async (_case, header) => {
    const [, payload, signature] = (await mint()).split('.');
    const token = `${b64url(header)}.${payload}.${signature}`;
    expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.header.alg'],
      secretsOf(token),
    );
  });

  it.each([
    ['missing', undefined],
    ['a string', '1779350000'],
    ['null', null],
    ['too large for a Date', 1e20],
  ])('refuses an exp that is %s', async (_case, exp) => {
    const token = await mint({ exp });
    expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.payload.exp'],
      secretsOf(token),
    );
  });

  it('refuses a client_id claim for another client and says to check AUTHSEC_AGENT_CLIENT_ID', async () => {
    const token = await mint({ client_id: OTHER_CLIENT_ID });
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.payload.client_id'],
      [...secretsOf(token), OTHER_CLIENT_ID, CLIENT_ID],
    );
    expect(error.message).toMatch(/AUTHSEC_AGENT_CLIENT_ID/);
  });

  it('refuses a client_id claim that is not a string', async () => {
    const token = await mint({ client_id: 12_345 });
    expectResponseError(
      () => parseTokenResponse(bodyFor(token), check),
      ['token.payload.client_id'],
      secretsOf(token),
    );
  });

  it('refuses a body client_id for another client', async () => {
    const token = await mint({ client_id: undefined });
    expectResponseError(
      () => parseTokenResponse(bodyFor(token, { client_id: OTHER_CLIENT_ID }), check),
      ['client_id'],
      [...secretsOf(token), OTHER_CLIENT_ID],
    );
  });

  it('refuses a spiffe_id that differs from sub', async () => {
    const token = await mint();
    const other = 'spiffe://elsewhere.example/ns/default/sa/intruder';
    expectResponseError(
      () => parseTokenResponse(bodyFor(token, { spiffe_id: other }), check),
      ['spiffe_id'],
      [...secretsOf(token), other, SPIFFE_ID],
    );
  });

  it('accepts a spiffe_id when the token has no sub', async () => {
    const token = await mint({ sub: undefined });
    expect(parseTokenResponse(bodyFor(token), check).spiffeId).toBe(SPIFFE_ID);
  });

  it('reports every token problem in one error', async () => {
    const claims = claimsWith({ exp: undefined, client_id: OTHER_CLIENT_ID });
    const token = `${b64url({ alg: 'HS256' })}.${b64url(claims)}.c2lnbmF0dXJlLXNlZ21lbnQtdmFsdWU`;
    const error = expectResponseError(
      () =>
        parseTokenResponse(
          bodyFor(token, {
            client_id: OTHER_CLIENT_ID,
            spiffe_id: 'spiffe://elsewhere/x',
            expires_at: 'tomorrow',
          }),
          check,
        ),
      [
        'token.header.alg',
        'token.payload.exp',
        'token.payload.client_id',
        'client_id',
        'spiffe_id',
        'expires_at',
      ],
      [...secretsOf(token), OTHER_CLIENT_ID, 'spiffe://elsewhere/x', 'tomorrow'],
    );
    // A broken contract outranks a client mismatch: the server, not the config, is at fault.
    expect(error.message).toMatch(/AUTHSEC_BASE_URL/);
  });
});

describe('decodeTokenUnverified', () => {
  it('decodes the header and payload of a real RS256 token', async () => {
    const token = await mint();
    const { header, payload } = decodeTokenUnverified(token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toEqual(defaultClaims());
  });

  it('decodes an unsigned token without judging its alg', () => {
    const token = `${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}.`;
    expect(decodeTokenUnverified(token)).toEqual({
      header: { alg: 'none' },
      payload: { sub: 'x' },
    });
  });

  it('throws AuthSecResponseError naming token for a non-JWT, without the value', () => {
    const token = 'opaque-token-value-that-is-secret';
    expectResponseError(() => decodeTokenUnverified(token), ['token'], [token]);
    expectResponseError(() => decodeTokenUnverified(42 as unknown as string), ['token'], []);
  });

  it('throws naming token.payload when the payload is not a JSON object', async () => {
    const [header, , signature] = (await mint()).split('.');
    const token = `${header}.${b64url(7)}.${signature}`;
    expectResponseError(() => decodeTokenUnverified(token), ['token.payload'], secretsOf(token));
  });
});

describe('parseTokenResponse against the AuthSec test server', () => {
  const servers: AuthSecTestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function start(
    options: Parameters<typeof AuthSecTestServer.start>[0] = {},
  ): Promise<AuthSecTestServer> {
    const server = await AuthSecTestServer.start(options);
    servers.push(server);
    return server;
  }

  async function pull(
    server: AuthSecTestServer,
    options: Parameters<AuthSecTestServer['createDelegatedAgent']>[0] = {},
  ): Promise<{ body: Record<string, unknown>; clientId: string; token: string }> {
    const { agent, session } = await server.createDelegatedAgent(options);
    const response = await fetch(server.pullUrl(agent.clientId), {
      headers: server.switches.requireSession ? { authorization: `Bearer ${session.token}` } : {},
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    return { body, clientId: agent.clientId, token: body.token as string };
  }

  let legacy: AuthSecTestServer;
  beforeAll(async () => {
    legacy = await start();
  });

  it('accepts a legacy body (tenant_id, 9 fraction digits) and reads the workspace from tenant_id', async () => {
    const { body, clientId, token } = await pull(legacy, {
      permissions: ['read:records', 'billing:read'],
    });
    expect(body.tenant_id).toBe(legacy.workspaceId);
    expect(body.workspace_id).toBeUndefined();
    const facts = parseTokenResponse(body, { clientId, now: Date.now() });
    const { payload } = decodeTokenUnverified(token);
    expect(facts.workspaceId).toBe(legacy.workspaceId);
    expect(facts.clientId).toBe(clientId);
    expect(facts.permissions).toEqual(['read:records', 'billing:read']);
    expect(facts.audience).toEqual(['authsec-api']);
    expect(facts.spiffeId).toBe(body.spiffe_id);
    expect(facts.jti).toBe(payload.jti);
    expect(facts.expiresAt.getTime()).toBe((payload.exp as number) * 1000);
  });

  it('accepts a session-generation body with workspace_id', async () => {
    const server = await start({ generation: 'session' });
    const { body, clientId } = await pull(server);
    expect(body.workspace_id).toBe(server.workspaceId);
    expect(body.tenant_id).toBeUndefined();
    expect(parseTokenResponse(body, { clientId, now: Date.now() }).workspaceId).toBe(
      server.workspaceId,
    );
  });

  it('takes lists from the claims when the server sends null lists', async () => {
    const server = await start({ nullLists: true });
    const { body, clientId } = await pull(server, { permissions: ['read:metrics'] });
    expect(body.permissions).toBeNull();
    expect(body.audience).toBeNull();
    const facts = parseTokenResponse(body, { clientId, now: Date.now() });
    expect(facts.permissions).toEqual(['read:metrics']);
    expect(facts.audience).toEqual(['authsec-api']);
  });

  it.each([
    [0, 'Z'],
    [3, 'Z'],
    [6, '+05:30'],
    [9, '-08:00'],
  ])('accepts expires_at with %d fraction digits and offset %s', async (fractionDigits, offset) => {
    const server = await start({ expiresAt: { fractionDigits, offset } });
    const { body, clientId, token } = await pull(server);
    const expiresAt = body.expires_at as string;
    expect(expiresAt.endsWith(offset)).toBe(true);
    const facts = parseTokenResponse(body, { clientId, now: Date.now() });
    const expMs = (decodeTokenUnverified(token).payload.exp as number) * 1000;
    expect(facts.expiresAt.getTime()).toBe(Math.min(expMs, parseRfc3339(expiresAt) ?? Number.NaN));
    expect(facts.expiresAt.getTime()).toBe(expMs);
  });

  it('uses the shifted expires_at when the server sets it before exp', async () => {
    const server = await start({ expiresAt: { fractionDigits: 0, offset: '+05:30' } });
    const { body, clientId, token } = await pull(server, {
      overrides: { expiresAtShiftSeconds: -600 },
    });
    const expMs = (decodeTokenUnverified(token).payload.exp as number) * 1000;
    const facts = parseTokenResponse(body, { clientId, now: Date.now() });
    expect(facts.expiresAt.getTime()).toBe(parseRfc3339(body.expires_at as string));
    expect(facts.expiresAt.getTime()).toBeLessThanOrEqual(expMs - 600_000);
  });

  it('uses exp when the server sets expires_at after it', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { expiresAtShiftSeconds: 600 },
    });
    const expMs = (decodeTokenUnverified(token).payload.exp as number) * 1000;
    expect(parseTokenResponse(body, { clientId, now: Date.now() }).expiresAt.getTime()).toBe(expMs);
  });

  it('accepts a body with every field but token and expires_at removed', async () => {
    const { body, clientId } = await pull(legacy, {
      overrides: {
        body: {
          spiffe_id: undefined,
          permissions: undefined,
          audience: undefined,
          ttl_seconds: undefined,
          client_id: undefined,
          tenant_id: undefined,
          status: undefined,
          issued_at: undefined,
          updated_at: undefined,
        },
      },
    });
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'token']);
    const facts = parseTokenResponse(body, { clientId, now: Date.now() });
    expect(facts.clientId).toBe(clientId);
    expect(facts.workspaceId).toBe(legacy.workspaceId);
  });

  it('refuses an HS256 token from the server', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { header: { alg: 'HS256' } },
    });
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['token.header.alg'],
      secretsOf(token),
    );
  });

  it('refuses an unsigned alg none token from the server', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { header: { alg: 'none' } },
    });
    expect(token.endsWith('.')).toBe(true);
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['token.header.alg'],
      secretsOf(token),
    );
  });

  it('refuses a token whose client_id claim names another client', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { claims: { client_id: OTHER_CLIENT_ID } },
    });
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['token.payload.client_id'],
      [...secretsOf(token), OTHER_CLIENT_ID],
    );
  });

  it('refuses a body whose spiffe_id differs from sub', async () => {
    const other = 'spiffe://authsec.dev/ns/default/sa/ai-agent';
    const { body, clientId, token } = await pull(legacy, {
      overrides: { body: { spiffe_id: other } },
    });
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['spiffe_id'],
      [...secretsOf(token), other],
    );
  });

  it('refuses a token whose exp has passed while the row is still active', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { claims: { exp: Math.floor(Date.now() / 1000) - 60 } },
    });
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['token.payload.exp'],
      secretsOf(token),
    );
  });

  it('refuses a token whose expires_at has passed while exp has not', async () => {
    const { body, clientId, token } = await pull(legacy, {
      overrides: { expiresAtShiftSeconds: -7200 },
    });
    expectResponseError(
      () => parseTokenResponse(body, { clientId, now: Date.now() }),
      ['expires_at'],
      [...secretsOf(token), body.expires_at as string],
    );
  });

  it('refuses the token a client pulled for another client id', async () => {
    const { body, token } = await pull(legacy);
    expectResponseError(
      () => parseTokenResponse(body, { clientId: OTHER_CLIENT_ID, now: Date.now() }),
      ['token.payload.client_id', 'client_id'],
      [...secretsOf(token), OTHER_CLIENT_ID],
    );
  });
});

describe('parseTokenResponse: the hand-written body checker, table by table', () => {
  const WRONG_VALUES: ReadonlyArray<readonly [string, unknown]> = [
    ['a number', 42],
    ['a boolean', true],
    ['an object', { nested: 'secret-nested-value' }],
    ['an array of strings', ['secret-list-value']],
  ];
  const STRING_OR_NULL = [
    'spiffe_id',
    'client_id',
    'tenant_id',
    'workspace_id',
    'status',
    'issued_at',
    'updated_at',
  ];

  for (const field of STRING_OR_NULL) {
    it.each(WRONG_VALUES)(`refuses ${field} as %s, naming only the path`, async (_kind, value) => {
      const token = await mint();
      const error = expectResponseError(
        () => parseTokenResponse(bodyFor(token, { [field]: value }), check),
        [field],
        [...secretsOf(token), 'secret-nested-value', 'secret-list-value'],
      );
      expect(error.message).toContain(`${field} has the wrong type`);
    });

    it(`accepts ${field} as null or missing`, async () => {
      const token = await mint();
      expect(parseTokenResponse(bodyFor(token, { [field]: null }), check).token).toBe(token);
      expect(parseTokenResponse(bodyFor(token, { [field]: undefined }), check).token).toBe(token);
    });
  }

  for (const field of ['permissions', 'audience']) {
    it.each([
      ['a string', 'secret-string-value', [field]],
      ['a number', 3, [field]],
      ['an object', { 0: 'secret-object-value' }, [field]],
      ['a list with a number and a null', ['ok', 1, null], [`${field}[1]`, `${field}[2]`]],
      ['a list with a nested list', [['secret-inner-value']], [`${field}[0]`]],
    ])(`refuses ${field} as %s, naming each bad element`, async (_kind, value, issues) => {
      const token = await mint();
      expectResponseError(
        () => parseTokenResponse(bodyFor(token, { [field]: value }), check),
        issues,
        [...secretsOf(token), 'secret-string-value', 'secret-object-value', 'secret-inner-value'],
      );
    });

    it(`reads ${field} null, missing or empty as "take it from the token"`, async () => {
      const token = await mint();
      for (const value of [null, undefined, []]) {
        const facts = parseTokenResponse(bodyFor(token, { [field]: value }), check);
        expect(facts[field as 'permissions' | 'audience'].length).toBeGreaterThan(0);
      }
    });
  }

  it('treats a hole in a list as a missing string', async () => {
    const token = await mint();
    const permissions: string[] = ['read:records'];
    permissions[2] = 'billing:read';
    expectResponseError(
      () => parseTokenResponse(bodyFor(token, { permissions }), check),
      ['permissions[1]'],
      secretsOf(token),
    );
  });

  it.each([
    ['a fraction', 0.5],
    ['negative', -3600],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['beyond a safe integer', 2 ** 53],
    ['a numeric string', '3600'],
    ['null', null],
  ])('refuses ttl_seconds as %s', async (_kind, value) => {
    const token = await mint();
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token, { ttl_seconds: value }), check),
      ['ttl_seconds'],
      secretsOf(token),
    );
    expect(error.message).toContain('ttl_seconds must be a whole number of seconds, 0 or more');
  });

  it.each([0, 1, 3600, 2 ** 53 - 1])('accepts ttl_seconds %s', async (ttl) => {
    const token = await mint();
    expect(parseTokenResponse(bodyFor(token, { ttl_seconds: ttl }), check).token).toBe(token);
  });

  it.each([
    ['null', null, 'must be an RFC 3339 date-time string'],
    ['a number', 1_779_350_400, 'must be an RFC 3339 date-time string'],
    ['an object', {}, 'must be an RFC 3339 date-time string'],
    ['an empty string', '', 'is not an RFC 3339 date-time'],
    ['a date only', '2026-05-21', 'is not an RFC 3339 date-time'],
    ['no offset', '2026-05-21T08:00:00', 'is not an RFC 3339 date-time'],
    ['ten fraction digits', '2026-05-21T08:00:00.1234567890Z', 'is not an RFC 3339 date-time'],
    ['an hour offset without minutes', '2026-05-21T08:00:00+05', 'is not an RFC 3339 date-time'],
    ['month 13', '2026-13-21T08:00:00Z', 'is not an RFC 3339 date-time'],
    ['February 30', '2026-02-30T08:00:00Z', 'is not an RFC 3339 date-time'],
  ])('refuses expires_at as %s', async (_kind, value, why) => {
    const token = await mint();
    const error = expectResponseError(
      () => parseTokenResponse(bodyFor(token, { expires_at: value }), check),
      ['expires_at'],
      secretsOf(token),
    );
    expect(error.message).toContain(`expires_at ${why}`);
  });

  it.each([
    ['Z', '2026-05-21T07:30:00Z', Date.parse('2026-05-21T07:30:00Z')],
    ['lower-case z and t', '2026-05-21t07:30:00z', Date.parse('2026-05-21T07:30:00Z')],
    ['+00:00', '2026-05-21T07:30:00+00:00', Date.parse('2026-05-21T07:30:00Z')],
    ['-00:00', '2026-05-21T07:30:00-00:00', Date.parse('2026-05-21T07:30:00Z')],
    ['+14:00', '2026-05-21T21:30:00+14:00', Date.parse('2026-05-21T07:30:00Z')],
    ['1 fraction digit', '2026-05-21T07:30:00.5Z', Date.parse('2026-05-21T07:30:00.500Z')],
    ['9 fraction digits', '2026-05-21T07:30:00.999999999Z', Date.parse('2026-05-21T07:30:00.999Z')],
    ['missing (expiry from exp)', undefined, EXP * 1000],
  ])('accepts expires_at with %s', async (_kind, value, expected) => {
    const token = await mint();
    const facts = parseTokenResponse(bodyFor(token, { expires_at: value }), check);
    expect(facts.expiresAt.getTime()).toBe(expected);
  });

  it('accepts the minimal documented body and every server version in the contract', async () => {
    const token = await mint();
    const versions: ReadonlyArray<Record<string, unknown>> = [
      { token, expires_at: '2026-05-21T08:00:00Z' },
      { token },
      // older servers: tenant_id, null lists
      {
        ...bodyFor(token, { workspace_id: undefined }),
        tenant_id: WORKSPACE_ID,
        permissions: null,
      },
      // newer servers: workspace_id, nanosecond timestamps
      bodyFor(token, { expires_at: '2026-05-21T07:59:59.123456789Z' }),
    ];
    for (const body of versions) {
      const facts = parseTokenResponse(body, check);
      expect(facts.token).toBe(token);
      expect(facts.workspaceId).toBe(WORKSPACE_ID);
    }
  });

  it('ignores extra fields of any type and keeps none of them', async () => {
    const token = await mint();
    const body = {
      ...bodyFor(token, {
        future_field: { deep: ['secret-extra-value'] },
        rotation_hint: 42,
        labels: null,
      }),
      // An own `__proto__` key, as JSON.parse makes it.
      ...JSON.parse('{"__proto__":{"polluted":true}}'),
    };
    const facts = parseTokenResponse(body, check);
    expect(facts.token).toBe(token);
    expect(JSON.stringify(facts)).not.toContain('secret-extra-value');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles huge strings without echoing them', async () => {
    const token = await mint();
    const huge = `secret-huge-${'x'.repeat(1_000_000)}`;
    for (const field of ['spiffe_id', 'expires_at', 'status']) {
      const body = bodyFor(token, { [field]: field === 'status' ? 42 : huge });
      const error = expectResponseError(
        () => parseTokenResponse(body, check),
        [field],
        [...secretsOf(token), 'secret-huge-'],
      );
      expect(error.message.length).toBeLessThan(1000);
    }
    // A huge but well-typed extra field or list is accepted.
    const facts = parseTokenResponse(
      bodyFor(token, {
        notes: huge,
        permissions: Array.from({ length: 10_000 }, (_, i) => `p:${i}`),
      }),
      check,
    );
    expect(facts.permissions).toHaveLength(10_000);
  });

  it('lists every problem of a body broken everywhere at once, in the contract order', () => {
    expectResponseError(
      () =>
        parseTokenResponse(
          {
            token: 7,
            expires_at: false,
            spiffe_id: 1,
            permissions: [1],
            audience: {},
            ttl_seconds: -1,
            client_id: 2,
            tenant_id: 3,
            workspace_id: 4,
            status: 5,
            issued_at: 6,
            updated_at: 7,
          },
          check,
        ),
      [
        'token',
        'expires_at',
        'spiffe_id',
        'permissions[0]',
        'audience',
        'ttl_seconds',
        'client_id',
        'tenant_id',
        'workspace_id',
        'status',
        'issued_at',
        'updated_at',
      ],
      [],
    );
  });
});
