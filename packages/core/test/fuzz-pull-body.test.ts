// Property tests: any 200 pull body gives the right token facts or AuthSecResponseError, through a real server.

import { FUZZ_PARAMS, FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { fc, test } from '@fast-check/vitest';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSecResponseError } from '../src/errors.js';
import type { DelegationTokenInfo } from '../src/token-info.js';
import { type PullFixture, startPullFixture } from './fuzz-pull.js';
import { expectNoSecrets } from './support.js';

const RUNS = FUZZ_PARAMS;
const DAY_MS = 86_400_000;

let pull: PullFixture;
let clientId: string;
let token: string;
let claims: Record<string, unknown>;
let valid: Record<string, unknown>;

beforeAll(async () => {
  pull = await startPullFixture({
    permissions: ['read:records', 'write:notes'],
    audience: ['orders-api'],
  });
  ({ clientId, token } = pull);
  claims = decodeJwt(token) as Record<string, unknown>;
  valid = pull.server.expectedPullBody(clientId) as Record<string, unknown>;
});
afterAll(() => pull.close());

const pullWith = (body: string) => pull.pullWith(body);

/** The error a broken body must give: AuthSecResponseError naming field paths, never the token. */
function expectResponseError(result: DelegationTokenInfo | Error): AuthSecResponseError {
  expect(result).toBeInstanceOf(AuthSecResponseError);
  const error = result as AuthSecResponseError;
  expect(error.code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
  expect(error.hint).toBeTruthy();
  expect(error.path).toBe('/authsec/uflow/sdk/delegation-token');
  expectNoSecrets([token], error);
  return error;
}

// ---- expires_at in every format: valid RFC 3339 spellings and near misses ----

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** A valid RFC 3339 spelling of `epochMs`, and the milliseconds it must parse to. */
const rfc3339 = fc
  .record({
    // From ten years back to twenty years ahead, never within five minutes of now either way.
    offsetFromNowMs: fc.oneof(
      fc.integer({ min: -3650 * DAY_MS, max: -1000 }),
      fc.integer({ min: 5 * 60_000, max: 7300 * DAY_MS }),
    ),
    zoneMinutes: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
    zulu: fc.constantFrom('Z', 'z', 'offset'),
    separator: fc.constantFrom('T', 't'),
    fractionDigits: fc.integer({ min: 0, max: 9 }),
    extraDigits: fc.stringMatching(/^[0-9]{6}$/),
  })
  .map((p) => {
    const step = p.fractionDigits >= 3 ? 1 : 10 ** (3 - p.fractionDigits);
    const epochMs = Math.floor((Date.now() + p.offsetFromNowMs) / step) * step;
    const zone = p.zulu === 'offset' ? p.zoneMinutes : 0;
    const local = new Date(epochMs + zone * 60_000);
    const ms = pad(local.getUTCMilliseconds(), 3);
    const fraction =
      p.fractionDigits === 0 ? '' : `.${`${ms}${p.extraDigits}`.slice(0, p.fractionDigits)}`;
    const suffix =
      p.zulu === 'offset'
        ? `${zone < 0 ? '-' : '+'}${pad(Math.trunc(zone / 60))}:${pad(zone % 60)}`
        : p.zulu;
    const text =
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
      `${p.separator}${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
      `${fraction}${suffix}`;
    return { text, ms: epochMs };
  });

/** Near misses: what Date.parse might take but RFC 3339 does not. */
const notRfc3339 = fc.constantFrom(
  '',
  '2031-05-21',
  '2031-05-21 07:25:36Z',
  '2031-05-21T07:25:36',
  '2031-05-21T07:25:36+0530',
  '2031-05-21T07:25:36+05',
  '2031-05-21T07:25:60Z',
  '2031-05-21T24:00:00Z',
  '2031-13-01T00:00:00Z',
  '2031-02-29T00:00:00Z',
  '2031-04-31T00:00:00Z',
  '2031-05-21T07:25:36.1234567891Z',
  '2031-05-21T07:25:36+24:00',
  '2031-05-21T07:25:36.Z',
  ' 2031-05-21T07:25:36Z',
  '2031-05-21T07:25:36Z ',
  '2031-05-21T07:25:36 UTC',
  '+02031-05-21T07:25:36Z',
  '31-05-21T07:25:36Z',
  '1958000000',
  'Wed May 21 2031 07:25:36 GMT+0000',
  '２０３１-05-21T07:25:36Z',
);

// ---- the body, one field at a time: kept, left out, null, mistyped, or another value ----

type Verdict = 'ok' | 'bad';
/** One field's value (undefined: left out) and whether the contract accepts it. */
interface FieldChoice {
  readonly value: unknown;
  readonly verdict: Verdict;
  /** For expires_at: the milliseconds it means. */
  readonly ms?: number;
}

/** Stands for the real token, which exists only once the server has started. */
const KEEP = Symbol('the delegated token');
const ok = (value: unknown, ms?: number): FieldChoice => ({
  value,
  verdict: 'ok',
  ...(ms !== undefined && { ms }),
});
const bad = (value: unknown): FieldChoice => ({ value, verdict: 'bad' });
const missing = fc.constant(ok(undefined));
/** JSON values that are not strings (and not null: each field says what null means). */
const nonString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/**
 * One field: mostly a value the contract accepts, sometimes one it refuses, so that about a
 * quarter of the bodies are wholly valid and the rest break in one or more fields.
 */
function field(
  accepted: fc.Arbitrary<FieldChoice>[],
  refused: fc.Arbitrary<FieldChoice>[],
): fc.Arbitrary<FieldChoice> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.oneof(...accepted) },
    { weight: 1, arbitrary: fc.oneof(...refused) },
  );
}

const fields = {
  token: field(
    [fc.constant(ok(KEEP))],
    [
      fc.constant(bad(undefined)),
      fc.constant(bad(null)),
      fc.constant(bad('')),
      nonString.map(bad),
      fc.string({ maxLength: 30 }).map(bad),
    ],
  ),
  expires_at: field(
    [missing, rfc3339.map((r) => ok(r.text, r.ms))],
    [notRfc3339.map(bad), fc.constant(bad(null)), nonString.map(bad)],
  ),
  spiffe_id: field(
    [missing, fc.constant(ok(null)), fc.constant(null).map(() => ok(claims.sub))],
    [fc.string({ maxLength: 20 }).map(bad), nonString.map(bad)],
  ),
  permissions: stringList(),
  audience: stringList(),
  client_id: field(
    [
      missing,
      fc.constant(ok(null)),
      fc.constant(null).map(() => ok(clientId)),
      fc.constant(null).map(() => ok(clientId.toUpperCase())),
    ],
    [fc.uuid().map(bad), nonString.map(bad)],
  ),
  ttl_seconds: field(
    [missing, fc.integer({ min: 0, max: 2 ** 40 }).map((n) => ok(n))],
    [
      fc.integer({ min: -(2 ** 40), max: -1 }).map(bad),
      fc
        .double({ min: 0.01, max: 1e6, noNaN: true })
        .filter((n) => !Number.isInteger(n))
        .map(bad),
      fc.constantFrom(null, '3600', 2 ** 53, Number.MAX_VALUE).map(bad),
    ],
  ),
  workspace_id: nullableString(),
  tenant_id: nullableString(),
  status: nullableString(),
  issued_at: nullableString(),
  updated_at: nullableString(),
};

function stringList() {
  return field(
    [
      missing,
      fc.constant(ok(null)),
      fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }).map((list) => ok(list)),
    ],
    [
      fc
        .tuple(fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }), nonString)
        .map(([list, odd]) => bad([...list, odd])),
      fc
        .oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.dictionary(fc.string(), fc.string()))
        .map(bad),
    ],
  );
}

function nullableString() {
  return field(
    [missing, fc.constant(ok(null)), fc.string({ maxLength: 16 }).map((s) => ok(s))],
    [nonString.map(bad)],
  );
}

type FieldName = keyof typeof fields;

/** The facts a body must give: the earlier expiry, lists and ids as token-response documents them. */
function expectedInfo(body: Record<string, unknown>, expiresMs: number | undefined) {
  const exp = (claims.exp as number) * 1000;
  const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value : undefined);
  const aud = claims.aud;
  return {
    expiresAt: expiresMs === undefined ? exp : Math.min(expiresMs, exp),
    permissions: list(body.permissions) ?? claims.permissions ?? [],
    audience: list(body.audience) ?? (typeof aud === 'string' ? [aud] : (aud ?? [])),
    spiffeId: body.spiffe_id ?? claims.sub,
    clientId: body.client_id ?? claims.client_id ?? clientId,
    workspaceId: body.workspace_id ?? body.tenant_id ?? claims.workspace_id ?? claims.tenant_id,
  };
}

const outcomes = { accepted: 0, refused: 0 };

describe('fuzzed pull bodies', { timeout: FUZZ_TIMEOUT_MS }, () => {
  test.prop(
    [
      fc.record(fields),
      fc.dictionary(
        fc.string({ maxLength: 10 }).filter((k) => !(k in fields) && k !== '__proto__'),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3 },
      ),
    ],
    RUNS,
  )(
    'each field kept, missing, null, mistyped or changed: the right facts, or AuthSecResponseError when any field breaks the contract',
    async (choices, extra) => {
      const body: Record<string, unknown> = { ...extra };
      for (const [name, choice] of Object.entries(choices) as [FieldName, FieldChoice][]) {
        const value = choice.value === KEEP ? token : choice.value;
        if (value !== undefined) body[name] = value;
      }
      const broken = Object.values(choices).some((c) => c.verdict === 'bad');
      const want = expectedInfo(body, choices.expires_at.ms);
      const expired = want.expiresAt <= Date.now();
      const result = await pullWith(JSON.stringify(body));
      outcomes[broken || expired ? 'refused' : 'accepted']++;
      if (broken || expired) {
        const error = expectResponseError(result);
        if (!broken) expect(error.message).toMatch(/already expired/);
        return;
      }
      expect(result).not.toBeInstanceOf(Error);
      const info = result as DelegationTokenInfo;
      expect(info.token).toBe(token);
      expect({ ...info, expiresAt: info.expiresAt.getTime() }).toMatchObject(want);
      expect(info.mode).toBe('live');
    },
  );

  it('the property above met both valid and broken bodies, each in a tenth of its runs or more', () => {
    const total = outcomes.accepted + outcomes.refused;
    expect(total).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(outcomes.accepted / total).toBeGreaterThan(0.1);
    expect(outcomes.refused / total).toBeGreaterThan(0.1);
  });

  test.prop([fc.jsonValue()], RUNS)(
    'any JSON value at all: AuthSecResponseError, never another exception',
    async (value) => {
      expectResponseError(await pullWith(JSON.stringify(value)));
    },
  );

  test.prop([fc.string({ unit: 'binary', maxLength: 200 })], RUNS)(
    'any text (mostly not JSON): AuthSecResponseError, never another exception',
    async (text) => {
      const result = await pullWith(text);
      expectResponseError(result);
    },
  );

  const bodyFields = [
    'token',
    'spiffe_id',
    'permissions',
    'audience',
    'expires_at',
    'ttl_seconds',
    'client_id',
    'workspace_id',
    'status',
    'issued_at',
    'updated_at',
  ];

  test.prop([fc.constantFrom(...bodyFields), fc.jsonValue({ maxDepth: 1 })], RUNS)(
    'the real body with one field replaced by any JSON: accepted only when that value fits the contract',
    async (name, value) => {
      const body = { ...valid, [name]: value };
      const result = await pullWith(JSON.stringify(body));
      if (result instanceof Error) {
        const error = expectResponseError(result);
        expect(
          error.issues?.some((issue) => issue.startsWith(name) || issue.startsWith('token')),
        ).toBe(true);
      } else {
        expect(result.token).toBe(body.token);
      }
    },
  );
});
