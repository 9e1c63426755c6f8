// Proves that secrets and JWTs never survive redaction, whatever shape they are logged in.

import { inspect } from 'node:util';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthSecUnauthenticatedError } from '../src/errors.js';
import { fingerprint, isSecretKey, redact, redactString } from '../src/redact.js';
import { sharedRsaKeyPair } from './keys.js';

const JTI = '2f1c9a52-7d3e-4b8a-9c1f-5e6d7a8b9c0d';

let privateKey: CryptoKey;
let token: string;
let signature: string;
let marker: string;

async function sign(claims: Record<string, unknown>, jti?: string): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .setSubject('agent-7');
  if (jti !== undefined) jwt.setJti(jti);
  return jwt.sign(privateKey);
}

function signatureOf(jwt: string): string {
  const segment = jwt.split('.')[2];
  if (segment === undefined || segment.length < 40) throw new Error('not a signed JWT');
  return segment;
}

/** Everything the value could print as, so a leak through any path is caught. */
function everyRendering(value: unknown): string {
  return `${JSON.stringify(value)}\n${inspect(value, { depth: null })}`;
}

function expectNoLeak(value: unknown, secret = token): void {
  const text = everyRendering(value);
  expect(text).not.toContain(secret);
  expect(text).not.toContain(signatureOf(secret));
}

beforeAll(async () => {
  ({ privateKey } = await sharedRsaKeyPair());
  token = await sign({ permissions: ['files:read'], session: 'sess-1' }, JTI);
  signature = signatureOf(token);
  marker = `[jwt ${token.slice(0, 12)}… (jti ${JTI.slice(0, 8)})]`;
});

describe('isSecretKey', () => {
  it.each([
    'token',
    'Token',
    'TOKEN',
    'accessToken',
    'access_token',
    'Access-Token',
    'refresh_token',
    'refreshToken',
    'id_token',
    'delegationToken',
    'bearerToken',
    'csrf-token',
    'jwt',
    'JWT',
    'sessionToken',
    'session_token',
    'secret',
    'Secret',
    'clientSecret',
    'client_secret',
    'CLIENT-SECRET',
    'password',
    'Password',
    'db_password',
    'passphrase',
    'authorization',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'Cookie',
    'set-cookie',
    'Set-Cookie',
    'set_cookie',
    'apiKey',
    'api_key',
    'API-KEY',
    'x-api-key',
    'privateKey',
    'private_key',
    'credential',
    'credentials',
    'Credentials',
    'client_assertion',
    'auth',
  ])('treats %s as a secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    'jti',
    'JTI',
    'tokenType',
    'token_type',
    'tokenPrefix',
    'expiresAt',
    'expires_at',
    'token_jti',
    'tokenJti',
    'tokenFingerprint',
    'maxTokens',
    'clientId',
    'baseUrl',
    'permissions',
    'audience',
    'mode',
    'status',
    'code',
    'hint',
    'path',
    'spiffeId',
    'message',
    'name',
    'author',
    '',
  ])('keeps %s as a non-secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });

  it('answers false for a non-string key instead of throwing', () => {
    expect(isSecretKey(42 as unknown as string)).toBe(false);
  });
});

describe('fingerprint', () => {
  it('shows at most the first 12 characters and the first 8 of the jti', () => {
    const shown = fingerprint(token);
    expect(shown).toBe(`${token.slice(0, 12)}… (jti ${JTI.slice(0, 8)})`);
    expect(shown.split('…')[0]).toHaveLength(12);
    expect(shown).toMatch(/^eyJ[A-Za-z0-9_-]{9}… \(jti 2f1c9a52\)$/);
  });

  it('never contains the payload, the signature or the full jti', () => {
    const [, payload] = token.split('.');
    const shown = fingerprint(token);
    expect(shown).not.toContain(payload);
    expect(shown).not.toContain(signature);
    expect(shown).not.toContain(JTI);
  });

  it('shows only the header prefix when the JWT has no jti', async () => {
    const withoutJti = await sign({});
    expect(fingerprint(withoutJti)).toBe(`${withoutJti.slice(0, 12)}…`);
  });

  it('shows only the header prefix when the payload does not decode, without throwing', () => {
    expect(fingerprint('eyJhbGciOiJSUzI1NiJ9.not-json.c2ln')).toBe('eyJhbGciOiJS…');
    expect(fingerprint('eyJhbGciOiJSUzI1NiJ9..c2ln')).toBe('eyJhbGciOiJS…');
  });

  it('never shows more than the header segment, even when the header is short', () => {
    expect(fingerprint('eyJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl')).toBe('eyJ9…');
  });

  it('strips characters from the jti that could forge a log line', async () => {
    const odd = await sign({}, 'a\nb]c d[e');
    expect(fingerprint(odd)).toBe(`${odd.slice(0, 12)}… (jti abcde)`);
  });

  it('trims surrounding whitespace before recognising a JWT', () => {
    expect(fingerprint(`  ${token}\n`)).toBe(fingerprint(token));
  });

  it.each([
    ['an opaque secret', 'hunter2'],
    ['an API key', 'sk_live_51HxYzAbCdEf'],
    ['an empty string', ''],
    ['three dotted segments not starting with eyJ', 'abc.def.ghi'],
    ['a JWT with a character outside base64url', 'eyJhbGc.eyJzdWIi.sig+nature'],
  ])('answers [redacted] for %s', (_, secret) => {
    expect(fingerprint(secret)).toBe('[redacted]');
  });

  it('answers [redacted] for a non-string instead of throwing', () => {
    expect(fingerprint(undefined as unknown as string)).toBe('[redacted]');
    expect(fingerprint({ token } as unknown as string)).toBe('[redacted]');
  });
});

describe('redactString', () => {
  it('replaces a JWT inside free text with a marker and keeps the text around it', () => {
    const out = redactString(`Got delegation token ${token} for agent-7.`);
    expect(out).toBe(`Got delegation token ${marker} for agent-7.`);
  });

  it('replaces every JWT when a string holds several', async () => {
    const other = await sign({}, 'ffffeeee-0000');
    const out = redactString(`old=${token} new=${other}`);
    expect(out).toBe(`old=${marker} new=[jwt ${other.slice(0, 12)}… (jti ffffeeee)]`);
    expectNoLeak(out);
    expectNoLeak(out, other);
  });

  it('replaces a JWT whose signature segment is empty', () => {
    const unsecured = `${token.split('.').slice(0, 2).join('.')}.`;
    const out = redactString(`unsecured: ${unsecured} end`);
    expect(out).toBe(`unsecured: ${marker} end`);
  });

  it('replaces a JWE (five segments) as a whole', () => {
    const jwe = 'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5a2V5.aXZpdg.Y2lwaGVydGV4dA.dGFndGFn';
    const out = redactString(`enc ${jwe} done`);
    expect(out).toBe('enc [jwt eyJhbGciOiJS…] done');
  });

  it('replaces a JWT in a URL path', () => {
    const out = redactString(`https://api.example/verify/${token}/status`);
    expect(out).toBe(`https://api.example/verify/${marker}/status`);
  });

  it('replaces a JWT in a secret-named query parameter and keeps other parameters', () => {
    const out = redactString(`https://api.example/cb?page=2&access_token=${token}&lang=en`);
    expect(out).toBe(`https://api.example/cb?page=2&access_token=${marker}&lang=en`);
  });

  it('replaces a JWT in a query parameter whatever its name', () => {
    const out = redactString(`https://api.example/cb?t=${token}`);
    expect(out).toBe(`https://api.example/cb?t=${marker}`);
  });

  it('replaces opaque values of secret-named query and fragment parameters', () => {
    expect(redactString('https://api.example/x?api_key=sk_live_123&page=2')).toBe(
      'https://api.example/x?api_key=[redacted]&page=2',
    );
    expect(redactString('https://app.example/#id_token=opaque123&state=s1')).toBe(
      'https://app.example/#id_token=[redacted]&state=s1',
    );
  });

  it('replaces userinfo in a URL inside text', () => {
    expect(redactString('connecting to https://admin:hunter2@db.example:5432/app')).toBe(
      'connecting to https://[redacted]@db.example:5432/app',
    );
  });

  it('replaces an opaque Bearer value, whatever the case of Bearer', () => {
    expect(redactString('Authorization: Bearer sk_live_abc.def~ghi/jkl+mno==')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redactString('sent bearer abc123, then retried')).toBe(
      'sent bearer [redacted], then retried',
    );
    expect(redactString('BEARER\tabc123')).toBe('BEARER [redacted]');
  });

  it('keeps prose that names the Bearer scheme, such as "Bearer token"', () => {
    const prose = 'The Bearer token expired; send a Bearer header, not bearer auth.';
    expect(redactString(prose)).toBe(prose);
  });

  it('turns Bearer followed by a JWT into Bearer [jwt …]', () => {
    expect(redactString(`Authorization: Bearer ${token}`)).toBe(`Authorization: Bearer ${marker}`);
  });

  it('replaces a JWT glued to other text', () => {
    const out = redactString(`token=${token};next`);
    expect(out).toBe(`token=${marker};next`);
  });

  it('leaves text without secrets unchanged', () => {
    const text = 'Delegation for client fe6d5a81 expires at 2030-01-01T00:00:00Z (jti 2f1c9a52).';
    expect(redactString(text)).toBe(text);
  });

  it('is idempotent, so already-redacted text is not mangled', () => {
    const once = redactString(
      `Bearer ${token} https://u:p@h/x?token=${token}&api_key=k Bearer opaque`,
    );
    expect(redactString(once)).toBe(once);
    expectNoLeak(once);
  });

  it('answers [redacted] for a non-string instead of throwing', () => {
    expect(redactString(null as unknown as string)).toBe('[redacted]');
  });
});

describe('redact', () => {
  describe('secret-named keys', () => {
    it('turns a JWT under a secret key into its marker', () => {
      expect(redact({ token, accessToken: ` ${token} ` })).toEqual({
        token: marker,
        accessToken: marker,
      });
    });

    it('turns any other value under a secret key into [redacted]', () => {
      expect(
        redact({
          password: 'hunter2',
          apiKey: 12345,
          credentials: { clientId: 'c', clientSecret: 's' },
          cookie: ['a=1', 'b=2'],
          secret: null,
          sessionToken: undefined,
          client_secret: true,
          authorization: `Bearer ${token}`,
        }),
      ).toEqual({
        password: '[redacted]',
        apiKey: '[redacted]',
        credentials: '[redacted]',
        cookie: '[redacted]',
        secret: '[redacted]',
        sessionToken: '[redacted]',
        client_secret: '[redacted]',
        authorization: '[redacted]',
      });
    });

    it('keeps a fingerprint or marker under a secret key, since it is not the secret', () => {
      const values = {
        token: fingerprint(token),
        accessToken: marker,
        jwt: 'eyJhbGciOiJS…',
        secret: '[redacted]',
      };
      expect(redact(values)).toEqual(values);
    });

    it('does not take a look-alike with extra text under a secret key for a fingerprint', () => {
      expect(
        redact({
          token: `${fingerprint(token)} hunter2`,
          password: 'eyJhbGciOiJSUzI1NiJ9…',
          secret: '[redacted] hunter2',
        }),
      ).toEqual({ token: '[redacted]', password: '[redacted]', secret: '[redacted]' });
    });

    it('gives the same answer when run on its own output', () => {
      const once = redact({
        token,
        password: 'pw',
        note: `t ${token}`,
        url: new URL('https://h/p?q=1'),
      });
      expect(redact(once)).toEqual(once);
    });

    it('keeps non-secret look-alikes such as jti, expiresAt and tokenType', () => {
      const facts = {
        jti: JTI,
        expiresAt: '2030-01-01T00:00:00.000Z',
        tokenType: 'Bearer',
        tokenPrefix: 'eyJhbGciOiJS',
        token_jti: JTI,
        tokenFingerprint: 'eyJhbGciOiJS… (jti 2f1c9a52)',
        maxTokens: 1024,
      };
      expect(redact(facts)).toEqual(facts);
    });
  });

  describe('JWTs in ordinary values', () => {
    it('replaces JWTs in strings of nested objects and arrays', () => {
      const out = redact({
        note: `issued ${token}`,
        nested: { deeper: { list: ['x', `y ${token}`, { text: token }] } },
      });
      expect(out).toEqual({
        note: `issued ${marker}`,
        nested: { deeper: { list: ['x', `y ${marker}`, { text: marker }] } },
      });
    });

    it('turns a Map into [key, value] pairs, redacting secret-named keys and JWT strings', () => {
      const map = new Map<unknown, unknown>([
        ['token', 'opaque'],
        ['note', `see ${token}`],
        [7, token],
      ]);
      expect(redact(map)).toEqual([
        ['token', '[redacted]'],
        ['note', `see ${marker}`],
        [7, marker],
      ]);
    });

    it('turns a Set into an array with its JWTs replaced', () => {
      expect(redact(new Set(['a', token]))).toEqual(['a', marker]);
    });

    it('redacts fetch Headers by name, so Authorization and Cookie never show', () => {
      const headers = new Headers({
        authorization: `Bearer ${token}`,
        cookie: 'session=abc',
        'content-type': 'application/json',
      });
      expect(redact({ headers })).toEqual({
        headers: {
          authorization: '[redacted]',
          'content-type': 'application/json',
          cookie: '[redacted]',
        },
      });
    });

    it('keeps numbers, booleans, null and undefined as they are', () => {
      expect(redact({ n: 1.5, b: false, z: null, u: undefined })).toEqual({
        n: 1.5,
        b: false,
        z: null,
        u: undefined,
      });
      expect(redact(42)).toBe(42);
    });

    it('redacts a bare string argument', () => {
      expect(redact(`Bearer ${token}`)).toBe(`Bearer ${marker}`);
    });
  });

  describe('errors', () => {
    it('keeps only name, code, message and hint of an AuthSecError, all redacted', () => {
      const error = new AuthSecUnauthenticatedError(`Session ${token} was rejected.`, {
        hint: `Log in again; do not reuse ${token}.`,
        status: 401,
        method: 'GET',
        path: '/delegation',
        cause: new Error(`inner ${token}`),
      });
      expect(redact(error)).toEqual({
        name: 'AuthSecUnauthenticatedError',
        code: 'ERR_AUTHSEC_UNAUTHENTICATED',
        message: `Session ${marker} was rejected.`,
        hint: `Log in again; do not reuse ${marker}.`,
      });
    });

    it('never copies cause, stack, request, response, headers or config of an error', () => {
      const error = Object.assign(new Error('request failed', { cause: { token } }), {
        code: 'ECONNRESET',
        request: { headers: { authorization: `Bearer ${token}` } },
        response: { body: `{"access_token":"${token}"}` },
        headers: { cookie: 'sid=secret-cookie' },
        config: { auth: 'user:pw' },
        toJSON: () => ({ config: { headers: { Authorization: token } } }),
      });
      const out = redact(error);
      expect(out).toEqual({ name: 'Error', code: 'ECONNRESET', message: 'request failed' });
      expectNoLeak(out);
      expect(everyRendering(out)).not.toContain('secret-cookie');
    });

    it('keeps a numeric code and drops a non-string hint', () => {
      const error = Object.assign(new TypeError('bad'), { code: 42, hint: { token } });
      expect(redact(error)).toEqual({ name: 'TypeError', code: 42, message: 'bad' });
    });

    it('redacts an error nested inside fields and arrays', () => {
      const error = new Error(`token ${token} expired`);
      expect(redact({ error, all: [error] })).toEqual({
        error: { name: 'Error', message: `token ${marker} expired` },
        all: [{ name: 'Error', message: `token ${marker} expired` }],
      });
    });

    it('treats an error-like object from another realm as an error', async () => {
      const { runInNewContext } = await import('node:vm');
      const foreign: unknown = runInNewContext(
        'Object.assign(new Error("m"), { request: { secret: "s" } })',
      );
      expect(foreign instanceof Error).toBe(false);
      expect(redact(foreign)).toEqual({ name: 'Error', message: 'm' });
    });
  });

  describe('special objects', () => {
    it('turns a Date into its ISO string, and an invalid Date into Invalid Date', () => {
      expect(redact({ at: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)) })).toEqual({
        at: '2030-01-02T03:04:05.000Z',
      });
      expect(redact(new Date(Number.NaN))).toBe('Invalid Date');
    });

    it('turns a URL into origin and path, dropping userinfo, query and fragment', () => {
      const url = new URL(`https://agent:hunter2@api.example:8443/v1/x?token=${token}&a=1#frag`);
      expect(redact({ url })).toEqual({ url: 'https://api.example:8443/v1/x' });
      expect(everyRendering(redact(url))).not.toContain('hunter2');
    });

    it('replaces a JWT in a URL path', () => {
      expect(redact(new URL(`https://api.example/t/${token}`))).toBe(
        `https://api.example/t/${marker}`,
      );
    });

    it('turns a bigint into a string', () => {
      expect(redact({ big: 12345678901234567890n })).toEqual({ big: '12345678901234567890' });
    });

    it('summarises binary data by size instead of copying its bytes', () => {
      expect(
        redact({ key: new Uint8Array([1, 2, 3]), raw: new ArrayBuffer(8), buf: Buffer.from('ab') }),
      ).toEqual({ key: '[binary 3 bytes]', raw: '[binary 8 bytes]', buf: '[binary 2 bytes]' });
    });

    it('leaves out functions and symbols from objects and arrays', () => {
      const out = redact({
        keep: 1,
        fn: () => token,
        sym: Symbol('s'),
        list: [1, () => 2, Symbol('t'), 3],
        [Symbol('key')]: 'hidden',
      });
      expect(out).toEqual({ keep: 1, list: [1, 3] });
      expect(Object.keys(out as object)).toEqual(['keep', 'list']);
    });

    it('answers undefined for a bare function', () => {
      expect(redact(() => token)).toBeUndefined();
    });

    it('applies toJSON first and redacts what it returns', () => {
      class Session {
        toJSON() {
          return { token, user: 'ana', note: `t=${token}` };
        }
      }
      expect(redact({ session: new Session() })).toEqual({
        session: { token: marker, user: 'ana', note: `t=${marker}` },
      });
    });

    it('uses the own properties when toJSON returns the object itself', () => {
      const value = {
        a: 1,
        toJSON() {
          return this;
        },
      };
      expect(redact(value)).toEqual({ a: 1 });
    });

    it('calls toJSON once, so a toJSON that returns fresh objects cannot loop', () => {
      const endless = (): unknown => ({ toJSON: endless, n: 1 });
      expect(redact(endless())).toEqual({ n: 1 });
    });

    it('stores a __proto__ key as data without changing the copy’s prototype', () => {
      const parsed: unknown = JSON.parse(`{"__proto__": {"token": "${token}"}, "a": 1}`);
      const out = redact(parsed) as Record<string, unknown>;
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.hasOwn(out, '__proto__')).toBe(true);
      expect(JSON.stringify(out)).toBe(`{"__proto__":{"token":"${marker}"},"a":1}`);
    });
  });

  describe('limits', () => {
    it('marks a cycle as [circular]', () => {
      const value: Record<string, unknown> = { name: 'root' };
      value.self = value;
      value.list = [value];
      expect(redact(value)).toEqual({ name: 'root', self: '[circular]', list: ['[circular]'] });
    });

    it('marks a Map that contains itself as [circular]', () => {
      const map = new Map<string, unknown>();
      map.set('me', map);
      expect(redact(map)).toEqual([['me', '[circular]']]);
    });

    it('repeats an object shared by two branches rather than calling it circular', () => {
      const shared = { a: 1 };
      expect(redact({ x: shared, y: [shared] })).toEqual({ x: { a: 1 }, y: [{ a: 1 }] });
    });

    it('shows 6 levels of nesting and truncates the 7th', () => {
      const deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: { l8: token } } } } } } } };
      expect(redact(deep)).toEqual({
        l1: { l2: { l3: { l4: { l5: { l6: { l7: '[truncated]' } } } } } },
      });
      expectNoLeak(redact(deep));
    });

    it('still redacts a string at the deepest level shown', () => {
      const deep = { l1: { l2: { l3: { l4: { l5: { l6: token } } } } } };
      expect(redact(deep)).toEqual({ l1: { l2: { l3: { l4: { l5: { l6: marker } } } } } });
    });

    it('keeps the first 50 items of a long array and says how many more there were', () => {
      const long = Array.from({ length: 120 }, (_, i) => i);
      const out = redact(long) as unknown[];
      expect(out).toHaveLength(51);
      expect(out.slice(0, 50)).toEqual(long.slice(0, 50));
      expect(out[50]).toBe('…70 more');
    });

    it('adds no marker to an array of exactly 50 items', () => {
      const fifty = Array.from({ length: 50 }, (_, i) => `item ${i}`);
      expect(redact(fifty)).toEqual(fifty);
    });

    it('caps Sets and Maps like arrays', () => {
      const set = new Set(Array.from({ length: 55 }, (_, i) => i));
      expect((redact(set) as unknown[]).at(-1)).toBe('…5 more');
      const map = new Map(Array.from({ length: 51 }, (_, i) => [i, i]));
      expect((redact(map) as unknown[]).at(-1)).toBe('…1 more');
    });
  });

  describe('robustness', () => {
    it('never throws, even for a Proxy whose every trap throws', () => {
      const hostile = new Proxy(
        {},
        {
          get() {
            throw new Error(`trap ${token}`);
          },
          ownKeys() {
            throw new Error('no keys');
          },
          getPrototypeOf() {
            throw new Error('no proto');
          },
        },
      );
      expect(() => redact(hostile)).not.toThrow();
      expect(() => redact({ nested: hostile })).not.toThrow();
      expectNoLeak(redact({ nested: hostile }));
    });

    it('marks a property whose getter throws as [unreadable] and keeps the rest', () => {
      const value = {
        ok: 1,
        get broken(): string {
          throw new Error('boom');
        },
      };
      expect(redact(value)).toEqual({ ok: 1, broken: '[unreadable]' });
    });

    it('marks a value whose toJSON throws as [unreadable]', () => {
      expect(
        redact({
          v: {
            toJSON() {
              throw new Error('no');
            },
          },
        }),
      ).toEqual({ v: '[unreadable]' });
    });

    it('does not modify the value it is given', () => {
      const input = { token, list: [token], nested: { password: 'pw' } };
      const before = structuredClone(input);
      redact(input);
      expect(input).toEqual(before);
    });

    it('never lets the full token or its signature reach any output', () => {
      const error = Object.assign(new Error(`failed with ${token}`), {
        cause: token,
        request: { headers: { authorization: `Bearer ${token}` } },
      });
      const everything = {
        token,
        jwt: token,
        headers: new Headers({ Authorization: `Bearer ${token}` }),
        message: `free text ${token} end`,
        url: new URL(`https://h.example/p?token=${token}`),
        urlText: `https://h.example/p?x=${token}`,
        list: [token, { t: token }, new Map([['k', token]])],
        set: new Set([token]),
        error,
        date: new Date(0),
        bearer: `Bearer ${token}`,
        custom: { toJSON: () => ({ v: token }) },
      };
      const out = redact(everything);
      expectNoLeak(out);
      expect(everyRendering(out)).toContain(marker);
    });
  });
});
