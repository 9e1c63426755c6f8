import { randomUUID } from 'node:crypto';
import { DownstreamServer } from '@authsec/testing';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelegationTokenVerifier, type VerifyDelegationTokenOptions } from '../src/verify.js';
import {
  BUNDLE_ROUTE,
  clock,
  delegationClaims,
  expectTokenError,
  handMade,
  jwks,
  NOW,
  rsaKey,
  sign,
  type TestKey,
} from './verify-support.js';

const WS = randomUUID();
let key: TestKey;
let other: TestKey;

beforeAll(async () => {
  [key, other] = await Promise.all([rsaKey('default'), rsaKey('other')]);
});

function verifier(options: Partial<VerifyDelegationTokenOptions> = {}) {
  return createDelegationTokenVerifier({
    audience: 'authsec-api',
    workspaceId: WS,
    keys: jwks(key),
    clock,
    env: {},
    ...options,
  });
}

async function token(changes: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return sign(key, delegationClaims(WS, changes), header);
}

describe('time', () => {
  it('accepts a token that expired 29 s ago and refuses one that expired 31 s ago (expired)', async () => {
    await expect(verifier().verify(await token({ exp: NOW - 29 }))).resolves.toMatchObject({
      exp: NOW - 29,
    });
    const late = await token({ exp: NOW - 31 });
    await expectTokenError(verifier().verify(late), 'expired', late, /has expired/);
  });

  it('accepts nbf 29 s ahead and refuses nbf 31 s ahead (not_yet_valid)', async () => {
    await expect(verifier().verify(await token({ nbf: NOW + 29 }))).resolves.toBeDefined();
    const early = await token({ nbf: NOW + 31 });
    await expectTokenError(verifier().verify(early), 'not_yet_valid', early, /not valid yet/);
  });

  it('applies clockToleranceSeconds: 0 exactly at exp', async () => {
    const strict = verifier({ clockToleranceSeconds: 0 });
    await expect(strict.verify(await token({ exp: NOW + 1 }))).resolves.toBeDefined();
    const atExp = await token({ exp: NOW });
    await expectTokenError(strict.verify(atExp), 'expired', atExp);
  });

  it('refuses a token without exp as malformed', async () => {
    const noExp = await token({ exp: undefined });
    await expectTokenError(verifier().verify(noExp), 'malformed', noExp, /no exp claim/);
  });
});

describe('audience', () => {
  it('accepts aud as a string or as a list that contains the audience', async () => {
    const claims = await verifier().verify(await token({ aud: 'authsec-api' }));
    expect(claims.aud).toEqual(['authsec-api']);
    await expect(
      verifier().verify(await token({ aud: ['orders-api', 'authsec-api'] })),
    ).resolves.toBeDefined();
  });

  it('accepts any one of several configured audiences', async () => {
    const v = verifier({ audience: ['orders-api', 'billing-api'] });
    await expect(v.verify(await token({ aud: 'billing-api' }))).resolves.toBeDefined();
  });

  it('refuses a string aud or an aud list without the audience, naming only the expected one', async () => {
    const single = await token({ aud: 'secret-other-audience' });
    const error = await expectTokenError(verifier().verify(single), 'audience', single);
    expect(error.message).toContain("'authsec-api'");
    expect(error.message).not.toContain('secret-other-audience');
    const list = await token({ aud: ['orders-api'] });
    await expectTokenError(verifier().verify(list), 'audience', list);
  });

  it('refuses a token without aud', async () => {
    const none = await token({ aud: undefined });
    await expectTokenError(verifier().verify(none), 'audience', none);
  });
});

describe('workspace and issuer', () => {
  it('takes the workspace from tenant_id (older servers) or from iss alone', async () => {
    const legacy = await verifier().verify(
      await token({ workspace_id: undefined, tenant_id: WS.toUpperCase() }),
    );
    expect(legacy.workspaceId).toBe(WS);
    const issOnly = await verifier().verify(await token({ workspace_id: undefined }));
    expect(issOnly.workspaceId).toBe(WS);
  });

  it('refuses a token of a workspace that is not trusted (workspace)', async () => {
    const ws = randomUUID();
    const foreign = await sign(key, delegationClaims(ws));
    const error = await expectTokenError(verifier().verify(foreign), 'workspace', foreign);
    expect(error.message).toContain(WS);
    expect(error.message).not.toContain(ws);
  });

  it('refuses a workspace claim that is not a UUID', async () => {
    const bad = await token({ workspace_id: 'acme' });
    await expectTokenError(verifier().verify(bad), 'workspace', bad, /not a UUID/);
  });

  it('refuses workspace_id and tenant_id that disagree', async () => {
    const bad = await token({ tenant_id: randomUUID() });
    await expectTokenError(verifier().verify(bad), 'workspace', bad, /different workspaces/);
  });

  it('refuses an iss that names another workspace than the claim (issuer)', async () => {
    const bad = await token({ iss: `spiffe://${randomUUID()}` });
    await expectTokenError(verifier().verify(bad), 'issuer', bad, /iss and its workspace claim/);
  });

  it('refuses an iss that is not spiffe://<workspace id>', async () => {
    for (const iss of ['https://authsec.example', `spiffe://${WS}/extra`, undefined]) {
      const bad = await token({ iss });
      await expectTokenError(verifier().verify(bad), 'issuer', bad);
    }
  });

  it('refuses a token naming no workspace at all (issuer)', async () => {
    const bad = await token({ workspace_id: undefined, iss: 'spiffe://authsec.dev' });
    await expectTokenError(verifier().verify(bad), 'issuer', bad, /names no workspace/);
  });

  it('trusts each workspace of a list', async () => {
    const ws2 = randomUUID();
    const v = verifier({ workspaceId: [randomUUID(), ws2.toUpperCase()] });
    const claims = await v.verify(await sign(key, delegationClaims(ws2)));
    expect(claims.workspaceId).toBe(ws2);
  });
});

describe('signature and keys', () => {
  it('refuses a token signed by a key outside the key set (signature)', async () => {
    const forged = await sign(other, delegationClaims(WS));
    await expectTokenError(verifier().verify(forged), 'signature', forged, /does not verify/);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const good = await token();
    const [h, , s] = good.split('.');
    const payload = Buffer.from(
      JSON.stringify(delegationClaims(WS, { permissions: ['admin'] })),
    ).toString('base64url');
    const altered = `${h}.${payload}.${s}`;
    await expectTokenError(verifier().verify(altered), 'signature', altered);
  });

  it('refuses a token without kid when the key set has several keys', async () => {
    const v = verifier({ keys: jwks(key, other) });
    const noKid = await token();
    await expectTokenError(v.verify(noKid), 'signature', noKid, /several keys.*names none/);
  });

  it('uses the key the kid names', async () => {
    const v = verifier({ keys: jwks(key, other) });
    await expect(
      v.verify(await sign(other, delegationClaims(WS), { kid: 'other' })),
    ).resolves.toBeDefined();
    await expect(
      v.verify(await sign(key, delegationClaims(WS), { kid: 'default' })),
    ).resolves.toBeDefined();
    const wrong = await sign(key, delegationClaims(WS), { kid: 'other' });
    await expectTokenError(v.verify(wrong), 'signature', wrong, /does not verify/);
  });

  it('refuses a kid that is in no key', async () => {
    const unknown = await token({}, { kid: 'nope' });
    await expectTokenError(verifier().verify(unknown), 'signature', unknown, /kid/);
  });

  it('ignores keys that cannot be RS256 keys and uses the one that can', async () => {
    const keys = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, { ...key.jwk }] };
    await expect(verifier({ keys }).verify(await token())).resolves.toBeDefined();
  });
});

describe('algorithm', () => {
  const claims = () => delegationClaims(WS);

  it('refuses alg none, HS256, RS512 and a missing alg before fetching any key', async () => {
    const api = await DownstreamServer.start({
      routes: { [BUNDLE_ROUTE]: { body: jwks(key) } },
    });
    try {
      const v = createDelegationTokenVerifier({
        audience: 'authsec-api',
        workspaceId: WS,
        baseUrl: api.url,
        clock,
        env: {},
      });
      const tokens = [
        handMade({ alg: 'none', typ: 'JWT' }, claims(), ''),
        handMade({ alg: 'HS256', typ: 'JWT' }, claims()),
        handMade({ alg: 'RS512', typ: 'JWT' }, claims()),
        handMade({ typ: 'JWT' }, claims()),
        // Really signed with RS512: a valid signature under a refused algorithm.
        await new SignJWT(claims())
          .setProtectedHeader({ alg: 'RS512', typ: 'JWT' })
          .sign((await generateKeyPair('RS512')).privateKey),
      ];
      for (const t of tokens) {
        await expectTokenError(v.verify(t), 'algorithm', t, /only RS256 is accepted/);
      }
      expect(api.requests).toHaveLength(0);
    } finally {
      await api.close();
    }
  });

  it('names a registered alg in the message but never an invented one', async () => {
    const hs = handMade({ alg: 'HS256' }, claims());
    await expectTokenError(verifier().verify(hs), 'algorithm', hs, /'HS256'/);
    const odd = handMade({ alg: 'secret-looking-alg' }, claims());
    const error = await expectTokenError(verifier().verify(odd), 'algorithm', odd);
    expect(error.message).not.toContain('secret-looking-alg');
  });
});

describe('lifetime of delegated tokens', () => {
  it('accepts exp − iat of 24 h + 60 s and refuses 24 h + 61 s (lifetime)', async () => {
    const iat = NOW - 100;
    await expect(verifier().verify(await token({ iat, exp: iat + 86_460 }))).resolves.toBeDefined();
    const long = await token({ iat, exp: iat + 86_461 });
    await expectTokenError(verifier().verify(long), 'lifetime', long, /longer than 24 h/);
  });

  it('refuses a delegated token without iat', async () => {
    const noIat = await token({ iat: undefined });
    await expectTokenError(verifier().verify(noIat), 'lifetime', noIat, /no iat/);
  });

  it('does not cap a token that is not delegated (no agent_type or no permissions)', async () => {
    const exp = NOW + 7 * 86_400;
    await expect(
      verifier().verify(await token({ agent_type: undefined, exp })),
    ).resolves.toBeDefined();
    const claims = await verifier().verify(await token({ permissions: undefined, exp }));
    expect(claims.permissions).toEqual([]);
  });
});

describe('permissions and subject', () => {
  it('refuses a token lacking a required permission, naming the missing ones (permission)', async () => {
    const v = verifier({ requiredPermissions: ['read:records', 'billing:read'] });
    const t = await token({ permissions: ['read:records', 'read:metrics'] });
    const error = await expectTokenError(v.verify(t), 'permission', t, /billing:read/);
    expect(error.message).not.toContain('read:metrics');
  });

  it('matches permissions exactly: read:metrics does not grant read:records', async () => {
    const t = await token({ permissions: ['read:metrics'] });
    await expectTokenError(
      verifier({ requiredPermissions: ['read:records'] }).verify(t),
      'permission',
      t,
    );
  });

  it('lets verify() replace the required permissions for one call', async () => {
    const v = verifier({ requiredPermissions: ['billing:read'] });
    const t = await token({ permissions: ['read:records'] });
    await expect(v.verify(t, { requiredPermissions: ['read:records'] })).resolves.toBeDefined();
    await expectTokenError(v.verify(t), 'permission', t);
  });

  it('checks the SPIFFE ID by string or RegExp (issuer on mismatch)', async () => {
    const claims = delegationClaims(WS);
    const t = await sign(key, claims);
    await expect(verifier({ spiffeId: claims.sub as string }).verify(t)).resolves.toBeDefined();
    // A global RegExp keeps lastIndex between calls; the verifier must not.
    const pattern = verifier({ spiffeId: /\/agents\/ai-agent\//g });
    await expect(pattern.verify(t)).resolves.toBeDefined();
    await expect(pattern.verify(t)).resolves.toBeDefined();
    const error = await expectTokenError(
      verifier({ spiffeId: 'spiffe://authsec.dev/ns/default/sa/other' }).verify(t),
      'issuer',
      t,
      /subject/,
    );
    expect(error.message).not.toContain(claims.sub as string);
  });
});

describe('malformed tokens', () => {
  it('refuses tokens that are not compact RS256 JWTs (malformed)', async () => {
    const good = await token();
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases: [unknown, RegExp][] = [
      [42, /not a string/],
      [undefined, /not a string/],
      ['', /three/],
      [`${h}.${p}`, /three/],
      [`${good}.extra.parts`, /three/],
      [`${h}!.${p}.${s}`, /header/],
      [`${Buffer.from('[1,2]').toString('base64url')}.${p}.${s}`, /header/],
      [`${h}.${Buffer.from('not json').toString('base64url')}.${s}`, /payload/],
      [`${h}.${p}.`, /signature/],
      [`${h}.${p}.${s}=`, /signature/],
      [`Bearer ${good}`, /Bearer/],
      [`${h}.${p}.${s}${'A'.repeat(16 * 1024)}`, /longer than/],
      [handMade({ alg: 'RS256', crit: ['exp'] }, delegationClaims(WS)), /extensions/],
      [handMade({ alg: 'RS256', kid: 7 }, delegationClaims(WS)), /kid/],
    ];
    for (const [bad, why] of cases) {
      await expectTokenError(verifier().verify(bad as string), 'malformed', bad, why);
    }
  });

  it('refuses claims of the wrong type (malformed)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ exp: '1800003600' }, /exp/],
      [{ nbf: 'soon' }, /nbf/],
      [{ iat: null }, /iat/],
      [{ sub: undefined }, /sub/],
      [{ permissions: 'read:records' }, /permissions/],
      [{ permissions: ['read:records', 1] }, /permissions/],
      [{ client_id: 12 }, /client_id/],
    ];
    for (const [changes, why] of cases) {
      const bad = await token(changes);
      await expectTokenError(verifier().verify(bad), 'malformed', bad, why);
    }
  });
});

describe('claims', () => {
  it('returns the verified claims normalised, with any extra claims kept', async () => {
    const claims = await verifier().verify(
      await token({ aud: 'authsec-api', permissions: null, email: null, region: 'eu' }),
    );
    expect(claims).toMatchObject({
      iss: `spiffe://${WS}`,
      aud: ['authsec-api'],
      permissions: [],
      workspaceId: WS,
      agent_type: 'ai-agent',
      region: 'eu',
    });
    expect('email' in claims).toBe(false);
  });
});

describe('revocation check outcomes', () => {
  let api: DownstreamServer;
  beforeAll(async () => {
    api = await DownstreamServer.start({ routes: { [BUNDLE_ROUTE]: { body: jwks(key) } } });
  });
  afterAll(() => api.close());

  it('is reason signature, quoting AuthSec, when it refuses for another reason', async () => {
    api.route('POST /authsec/spiresvc/v1/jwt/validate', {
      body: { valid: false, error: 'jwt expired' },
    });
    const t = await token();
    const v = verifier({ baseUrl: api.url, checkRevocation: true });
    await expectTokenError(v.verify(t), 'signature', t, /AuthSec refused.*"jwt expired"/);
  });

  it('does not repeat a refusal text that could carry data', async () => {
    const t = await token();
    api.route('POST /authsec/spiresvc/v1/jwt/validate', {
      body: { valid: false, error: `bad token ${t}` },
    });
    const v = verifier({ baseUrl: api.url, checkRevocation: true });
    const error = await expectTokenError(v.verify(t), 'signature', t);
    expect(error.message).not.toContain('bad token');
  });
});
