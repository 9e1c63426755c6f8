// Property tests: forged and malformed JWTs, as a pulled token (decoded) and at verifyDelegationToken (verified).

import { randomUUID } from 'node:crypto';
import { FUZZ_PARAMS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { fc, test } from '@fast-check/vitest';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { AuthSecTokenErrorReason } from '../src/errors.js';
import { AuthSecResponseError, AuthSecTokenError } from '../src/errors.js';
import { type VerifyDelegationTokenOptions, verifyDelegationToken } from '../src/verify.js';
import { type PullFixture, startPullFixture } from './fuzz-pull.js';
import { expectNoSecrets } from './support.js';
import { clock, delegationClaims, jwks, rsaKey, type TestKey } from './verify-support.js';

const RUNS = FUZZ_PARAMS;
const MAX_TOKEN_CHARS = 16 * 1024;
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const utf8 = new TextEncoder();

// ---- how a token can be forged or broken ----

/** What goes into the header. */
const headerShape = fc.constantFrom(
  'RS256',
  'none',
  'None',
  'HS256',
  'RS512',
  'PS256',
  'ES256',
  'no-alg',
  'alg-number',
  'crit',
  'kid-number',
);
type HeaderShape = typeof headerShape extends fc.Arbitrary<infer T> ? T : never;

function header(shape: HeaderShape): Record<string, unknown> {
  switch (shape) {
    case 'no-alg':
      return { typ: 'JWT' };
    case 'alg-number':
      return { alg: 256, typ: 'JWT' };
    case 'crit':
      return { alg: 'RS256', crit: ['exp'], b64: false };
    case 'kid-number':
      return { alg: 'RS256', kid: 7 };
    default:
      return { alg: shape, typ: 'JWT' };
  }
}

/** Breaks a well-formed compact token in one way, or leaves it alone. */
const damage = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('segments' as const),
    count: fc.constantFrom(1, 2, 4, 5),
  }),
  fc.record({
    kind: fc.constant('base64' as const),
    segment: fc.constantFrom(0, 1, 2),
    // Outside base64url: standard base64's own characters, padding, whitespace and others.
    char: fc.constantFrom('+', '/', '=', ' ', '\n', '!', '*', '%', '\u00e9', '"', '~'),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('empty' as const),
    segment: fc.constantFrom(0, 1, 2),
  }),
);
type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function applyDamage(token: string, how: Damage): string {
  const parts = token.split('.');
  switch (how.kind) {
    case 'none':
      return token;
    case 'segments':
      return how.count < 3
        ? parts.slice(0, how.count).join('.')
        : [...parts, ...Array.from({ length: how.count - 3 }, () => parts[1])].join('.');
    case 'base64': {
      const part = parts[how.segment] as string;
      const at = how.at % (part.length + 1);
      parts[how.segment] = `${part.slice(0, at)}${how.char}${part.slice(at)}`;
      return parts.join('.');
    }
    case 'empty':
      parts[how.segment] = '';
      return parts.join('.');
  }
}

/** Extra claims, at times one big enough to pass the verifier's 16 KiB token bound. */
const extraClaims = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 8_000, max: 40_000 }), fc.constantFrom('x', 'é', '😀'))
      .map(([length, char]) => ({ huge: char.repeat(Math.ceil(length / char.length)) })),
  },
);

/** Extra claims join, never replace, the token's own (nor a registered claim it left out). */
function withExtra(claims: Record<string, unknown>, extra: Record<string, unknown>) {
  const registered = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', '__proto__'];
  const out = { ...claims };
  for (const [name, value] of Object.entries(extra)) {
    if (!(name in claims) && !registered.includes(name)) out[name] = value;
  }
  return out;
}

function assemble(head: Record<string, unknown>, payload: unknown, signature: string): string {
  return `${b64(JSON.stringify(head))}.${b64(JSON.stringify(payload))}.${signature}`;
}

// ---- the client: a pulled token is decoded (not verified) and checked for shape ----

describe('fuzzed tokens in the pull body', { timeout: FUZZ_TIMEOUT_MS }, () => {
  let pull: PullFixture;
  let clientId: string;
  let validBody: Record<string, unknown>;

  beforeAll(async () => {
    pull = await startPullFixture();
    clientId = pull.clientId;
    const {
      token: _token,
      spiffe_id: _sub,
      expires_at: _expiresAt,
      ...body
    } = pull.server.expectedPullBody(clientId) as Record<string, unknown>;
    // Without spiffe_id and expires_at, the token's own claims decide: that is what is fuzzed here.
    validBody = body;
  });
  afterAll(() => pull.close());

  const expShape = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .integer({ min: 300, max: 10 * 365 * 86_400 })
        .map((s) => ({ exp: 'future' as const, s })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>(undefined, null, '1999999999', 1e300, -1e300, [], {}, true)
        .map((v) => ({ exp: 'odd' as const, v })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 10 * 365 * 86_400 })
        .map((s) => ({ exp: 'past' as const, s })),
    },
  );
  const clientIdShape = fc.constantFrom('same', 'upper', 'absent', 'null', 'other', 'number');

  test.prop(
    [
      fc.oneof(
        { weight: 4, arbitrary: fc.constant<HeaderShape>('RS256') },
        { weight: 1, arbitrary: headerShape },
      ),
      expShape,
      clientIdShape,
      extraClaims,
      fc.oneof(
        { weight: 3, arbitrary: fc.constant<Damage>({ kind: 'none' }) },
        { weight: 1, arbitrary: damage },
      ),
      fc.boolean(),
    ],
    {
      ...RUNS,
      // Found by this property: a signature segment that is empty or not base64url was accepted.
      examples: [
        [
          'RS256',
          { exp: 'future', s: 300 },
          'same',
          {},
          { kind: 'base64', segment: 2, char: '!', at: 0 },
          false,
        ],
        ['RS256', { exp: 'future', s: 300 }, 'same', {}, { kind: 'empty', segment: 2 }, false],
        [
          'RS256',
          { exp: 'future', s: 300 },
          'same',
          {},
          { kind: 'base64', segment: 1, char: '+', at: 3 },
          false,
        ],
      ],
    },
  )(
    'any header, exp, client_id, extra or huge claims and broken segments: the token as pulled, or AuthSecResponseError',
    async (shape, expiry, idShape, extra, how, arrayPayload) => {
      const nowS = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        sub: 'spiffe://authsec.dev/agent',
        jti: randomUUID(),
      };
      if (expiry.exp === 'future') claims.exp = nowS + expiry.s;
      else if (expiry.exp === 'past') claims.exp = nowS - expiry.s;
      else if (expiry.v !== undefined) claims.exp = expiry.v;
      const ids: Record<string, unknown> = {
        same: clientId,
        upper: clientId.toUpperCase(),
        null: null,
        other: randomUUID(),
        number: 42,
      };
      if (idShape !== 'absent') claims.client_id = ids[idShape];
      const payload = arrayPayload ? [withExtra(claims, extra)] : withExtra(claims, extra);
      const token = applyDamage(assemble(header(shape), payload, b64('not-a-real-signature')), how);

      const result = await pull.pullWith(JSON.stringify({ ...validBody, token }));

      const accepted =
        how.kind === 'none' &&
        // The client decodes and does not verify: any header whose alg is RS256 will do.
        ['RS256', 'crit', 'kid-number'].includes(shape) &&
        !arrayPayload &&
        expiry.exp === 'future' &&
        ['same', 'upper', 'absent', 'null'].includes(idShape);
      if (!accepted) {
        expect(result).toBeInstanceOf(AuthSecResponseError);
        expect((result as AuthSecResponseError).code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
        expectNoSecrets([token], result);
        return;
      }
      expect(result).not.toBeInstanceOf(Error);
      const info = result as Exclude<typeof result, Error>;
      expect(info.token).toBe(token);
      expect(info.expiresAt.getTime()).toBe((claims.exp as number) * 1000);
      expect(info.jti).toBe(claims.jti);
      expect(info.clientId?.toLowerCase()).toBe(clientId);
    },
  );
});

// ---- the verifier: forged tokens must all be refused with AuthSecTokenError ----

describe('fuzzed tokens at verifyDelegationToken', { timeout: FUZZ_TIMEOUT_MS }, () => {
  const ws = randomUUID();
  let key: TestKey;
  let options: VerifyDelegationTokenOptions;
  /** The public key's bytes as an attacker would use them for an HMAC secret. */
  let publicKeyBytes: Record<'pem' | 'der' | 'jwk' | 'n', Uint8Array>;

  beforeAll(async () => {
    key = await rsaKey();
    options = { audience: 'orders-api', workspaceId: ws, keys: jwks(key), clock, env: {} };
    const { publicKey } = await import('node:crypto').then(({ createPublicKey }) => ({
      publicKey: createPublicKey({ key: key.jwk as never, format: 'jwk' }),
    }));
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    publicKeyBytes = {
      pem: utf8.encode(pem),
      der: new Uint8Array(der),
      jwk: utf8.encode(JSON.stringify(key.jwk)),
      n: Buffer.from(key.jwk.n as string, 'base64url'),
    };
  });

  const claimsFor = () => delegationClaims(ws, { aud: ['orders-api'] });

  function sign(head: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader(head as { alg: string }).sign(key.privateKey);
  }

  /** Verifies and checks the typed error: the reason, a hint, no cause, no trace of the token. */
  async function refusal(token: unknown): Promise<AuthSecTokenErrorReason> {
    const error = await verifyDelegationToken(token as string, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthSecTokenError);
    const tokenError = error as AuthSecTokenError;
    expect(tokenError.code).toBe('ERR_AUTHSEC_TOKEN_INVALID');
    expect(tokenError.hint).toBeTruthy();
    expect(tokenError.cause).toBeUndefined();
    if (typeof token === 'string') expectNoSecrets([token, ...token.split('.')], tokenError);
    return tokenError.reason as AuthSecTokenErrorReason;
  }

  test.prop([extraClaims], RUNS)(
    'a genuine RS256 token with any extra claims verifies; past 16 KiB it is refused as malformed',
    async (extra) => {
      const claims = withExtra(claimsFor(), extra);
      const token = await sign({ alg: 'RS256', typ: 'JWT' }, claims);
      if (token.length > MAX_TOKEN_CHARS) {
        expect(await refusal(token)).toBe('malformed');
        return;
      }
      const verified = await verifyDelegationToken(token, options);
      expect(verified).toMatchObject({ sub: claims.sub, jti: claims.jti, workspaceId: ws });
    },
  );

  test.prop(
    [
      fc.constantFrom('none', 'None', 'NONE', 'nOnE'),
      fc.constantFrom('', b64('sig'), 'AAAA'),
      fc.boolean(),
    ],
    RUNS,
  )(
    "alg 'none' in any spelling, with or without a signature, is refused for its algorithm",
    async (alg, signature, typ) => {
      const token = assemble({ alg, ...(typ && { typ: 'JWT' }) }, claimsFor(), signature);
      expect(await refusal(token)).toBe('algorithm');
    },
  );

  test.prop(
    [
      fc.constantFrom('pem', 'der', 'jwk', 'n' as const),
      fc.constantFrom('HS256', 'HS384', 'HS512', 'RS256'),
      extraClaims,
    ],
    RUNS,
  )(
    'HMAC signed with the public key: refused for its algorithm, or (labelled RS256) for its signature',
    async (form, alg, extra) => {
      const claims = withExtra(claimsFor(), extra);
      const hmac = alg === 'RS256' ? 'HS256' : alg;
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: hmac, typ: 'JWT' })
        .sign(publicKeyBytes[form]);
      // Relabelled as RS256: the header says what the verifier pins, the signature is still an HMAC.
      const [, body, signature] = forged.split('.');
      const token =
        alg === 'RS256'
          ? `${b64(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${body}.${signature}`
          : forged;
      const expected =
        token.length > MAX_TOKEN_CHARS ? 'malformed' : alg === 'RS256' ? 'signature' : 'algorithm';
      expect(await refusal(token)).toBe(expected);
    },
  );

  test.prop(
    [fc.constantFrom('RS256', 'crit', 'kid-number'), damage.filter((d) => d.kind !== 'none')],
    RUNS,
  )(
    'wrong segment counts, empty segments and characters outside base64url are refused as malformed',
    async (shape, how) => {
      const [, body, signature] = (await sign({ alg: 'RS256' }, claimsFor())).split('.');
      const token = applyDamage(`${b64(JSON.stringify(header(shape)))}.${body}.${signature}`, how);
      expect(await refusal(token)).toBe('malformed');
    },
  );

  test.prop([fc.constantFrom(1, 2), fc.nat(), fc.integer({ min: 1, max: 63 })], RUNS)(
    'one character of a genuine payload or signature changed: never verifies',
    async (segment, at, shift) => {
      const parts = (await sign({ alg: 'RS256' }, claimsFor())).split('.');
      const part = parts[segment] as string;
      // Not the last character: its low bits may be padding that base64url decoding drops.
      const where = at % (part.length - 1);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const was = alphabet.indexOf(part[where] as string);
      parts[segment] =
        `${part.slice(0, where)}${alphabet[(was + shift) % 64]}${part.slice(where + 1)}`;
      const reason = await refusal(parts.join('.'));
      const allowed: AuthSecTokenErrorReason[] =
        segment === 2 ? ['signature'] : ['signature', 'malformed', 'workspace', 'issuer'];
      expect(allowed).toContain(reason);
    },
  );

  test.prop([fc.oneof(fc.string({ maxLength: 200 }), fc.anything())], RUNS)(
    'anything else given as a token is refused with AuthSecTokenError, never another exception',
    async (value) => {
      await refusal(value);
    },
  );

  test.prop([fc.integer({ min: 16 * 1024 - 200, max: 64 * 1024 })], RUNS)(
    'huge claims: past 16 KiB refused as malformed before any decoding, at the bound still verified',
    async (size) => {
      const base = claimsFor();
      const probe = await sign({ alg: 'RS256' }, { ...base, pad: '' });
      // base64url turns 3 bytes into 4 characters: pad the claim to land near `size` characters.
      const pad = 'p'.repeat(Math.max(0, Math.floor(((size - probe.length) * 3) / 4)));
      const token = await sign({ alg: 'RS256' }, { ...base, pad });
      if (token.length > MAX_TOKEN_CHARS) expect(await refusal(token)).toBe('malformed');
      else expect((await verifyDelegationToken(token, options)).pad).toBe(pad);
    },
  );
});
