// Property tests: whatever URL client.fetch() is given, the token reaches only the allowed origin, under the API's path.

import { FUZZ_PARAMS, FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecConfigError, AuthSecOriginNotAllowedError } from '../src/errors.js';
import { isLoopbackHostname } from '../src/loopback.js';
import { OriginPolicy, parseOrigin } from '../src/origins.js';
import { expectNoSecrets } from './support.js';

const RUNS = FUZZ_PARAMS;
const PREFIX = '/api';

let authsec: AuthSecTestServer;
/** The protected API: its origin is the only one allowed. */
let api: DownstreamServer;
/** Another local server the token must never reach. */
let evil: DownstreamServer;
let client: AuthSecClient;
let token: string;

beforeAll(async () => {
  [authsec, api, evil] = await Promise.all([
    AuthSecTestServer.start(),
    DownstreamServer.start({
      routes: {
        // A Location that no HTTP server can send (control characters, beyond Latin-1) is a 400.
        'GET /api/go': ({ query: { to = '/' } }) =>
          /^[\t\x20-\x7e\x80-\xff]*$/.test(to)
            ? { status: 302, headers: { location: to } }
            : { status: 400 },
      },
      fallback: { body: { ok: true } },
    }),
    DownstreamServer.start({ fallback: { body: { ok: true } } }),
  ]);
  const { agent, delegation } = await authsec.createDelegatedAgent();
  token = delegation.token;
  client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: `${api.url}${PREFIX}`,
    logLevel: 'silent',
    env: {},
  });
  await client.getDelegationToken();
});
afterAll(async () => {
  await client.close();
  await Promise.all([api.close(), evil.close(), authsec.close()]);
});

// ---- the pieces of a URL, hostile ones included ----

const secret = fc.stringMatching(/^[A-Za-z0-9]{10}$/).map((s) => `S3cr3t${s}`);

const segment = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('docs', '42', 'a-b_c.d~', 'caf\u00e9', '\u{1F600}', 'x:y', 'a@b'),
  },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E%2e',
      '.%2e',
      '%2e.',
      '..%2f',
      '..%2F..%2Fadmin',
      '..%5c',
      '%5c..%5c',
      '%2f',
      '..\\..',
      '\\',
      '.\t.',
      '.\n.',
      'a\r\nX-Injected: 1',
      '\r\n',
      '%0d%0a',
      ' ',
      '%',
      '%zz',
      '%00',
      '\u0000',
      '\u007f',
      '//evil.example',
      '\u2025',
      '\uff0e\uff0e',
      '',
    ),
  },
);

/** A path: segments joined by `/`, led by nothing, `/`, `//` or backslashes, maybe with a query. */
const pathText = fc
  .record({
    lead: fc.constantFrom('', '/', '//', '\\\\', '/\\', './', '../'),
    segments: fc.array(segment, { minLength: 0, maxLength: 5 }),
    tail: fc.constantFrom('', '/'),
    query: fc.option(secret, { nil: undefined }),
    hash: fc.constantFrom('', '#frag', '#/../..'),
  })
  .map(
    (p) =>
      `${p.lead}${p.segments.join('/')}${p.tail}${p.query === undefined ? '' : `?key=${p.query}`}${p.hash}`,
  );

/** A plain path that must always go through: it keeps the property honest. */
const plainPath = fc
  .array(fc.constantFrom('docs', '42', 'a-b_c.d~', 'x:y'), { minLength: 1, maxLength: 4 })
  .map((s) => `/${s.join('/')}`);

const hostChoice = fc.constantFrom(
  'api',
  'api-numeric',
  'api-short',
  'api-hex',
  'localhost',
  '[::1]',
  'evil',
  'example.com',
  'b\u00fccher.example',
  'xn--bcher-kva.example',
  '127.0.0.1.nip.io',
  'localhost.',
);
const portChoice = fc.constantFrom('api', 'evil', 'none', ':80', ':0', ':65536', ':');

function hostText(choice: string): string {
  const apiHost = new URL(api.url).hostname;
  switch (choice) {
    case 'api':
      return apiHost;
    case 'api-numeric':
      return '2130706433';
    case 'api-short':
      return '127.1';
    case 'api-hex':
      return '0x7f.0.0.1';
    case 'evil':
      return new URL(evil.url).hostname;
    default:
      return choice;
  }
}

function portText(choice: string): string {
  if (choice === 'api') return `:${new URL(api.url).port}`;
  if (choice === 'evil') return `:${new URL(evil.url).port}`;
  return choice === 'none' ? '' : choice;
}

const absoluteUrl = fc
  .record({
    scheme: fc.constantFrom(
      'http',
      'HTTP',
      'https',
      'ftp',
      'ws',
      'file',
      'javascript',
      'data',
      'blob:http',
    ),
    slashes: fc.constantFrom('//', '//', '/', '', '\\\\', '///'),
    user: fc.constantFrom('', 'user@', 'user:PW@', '%40@', ':@', '@'),
    password: secret,
    host: hostChoice,
    port: portChoice,
    path: pathText,
  })
  .map((u) => ({
    text: `${u.scheme}:${u.slashes}${u.user.replace('PW', u.password)}${hostText(u.host)}${portText(u.port)}${u.path.startsWith('/') ? '' : '/'}${u.path}`,
    secrets: [u.password],
  }));

const target = fc.oneof(
  { weight: 2, arbitrary: plainPath.map((text) => ({ text, secrets: [] as string[] })) },
  { weight: 4, arbitrary: pathText.map((text) => ({ text, secrets: [] as string[] })) },
  { weight: 5, arbitrary: absoluteUrl },
);

/** How the URL is handed over: as text, a URL object or a Request, as `fetch` allows. */
const form = fc.constantFrom('string', 'URL', 'Request');

// ---- the oracle ----

/** True for what Transport.resolve takes as an absolute URL: a scheme, and no leading slash. */
function isAbsolute(text: string): boolean {
  return !text.startsWith('/') && /^[a-z][a-z0-9+.-]*:/i.test(text);
}

/** A `..` segment once %2E, %2F and %5C are decoded. */
function climbs(path: string): boolean {
  const decoded = path.replace(/%2e/gi, '.').replace(/%2f|%5c/gi, '/');
  return /(^|[\\/])\.\.([\\/]|$)/.test(decoded);
}

function parsed(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Puts the other server's URL or host:port in place of `EVIL` or `HOST`. */
function toEvil(location: string): string {
  return location.replace(/^EVIL/, evil.url).replace('HOST', new URL(evil.url).host);
}

const outcomes = { sent: 0, refused: 0 };

describe('fuzzed URLs given to client.fetch()', { timeout: FUZZ_TIMEOUT_MS }, () => {
  test.prop([target, form], {
    ...RUNS,
    // Found by this property: credentials leaked through a blob: URL's path and a backslashed URL.
    examples: [
      [{ text: 'blob:http://user:S3cr3tBlob01@127.0.0.1:1/', secrets: ['S3cr3tBlob01'] }, 'string'],
      [
        { text: 'http:\\\\user:S3cr3tSlash1@127.0.0.1:65536/', secrets: ['S3cr3tSlash1'] },
        'string',
      ],
    ],
  })(
    'the token reaches only the allowed origin (relative paths under the API path), else a typed error and nothing sent',
    async ({ text, secrets }, how) => {
      api.clearRequests();
      evil.clearRequests();
      const absolute = isAbsolute(text);
      const url = absolute ? parsed(text) : undefined;
      let input: string | URL | Request = text;
      if (url && how === 'URL') input = url;
      if (url && how === 'Request') {
        try {
          input = new Request(url);
        } catch {
          // Request refuses URLs with credentials: the text form is tested instead.
        }
      }

      const result = await client.fetch(input).catch((error: unknown) => error);

      // The other server never hears anything; the API hears only with the current token.
      expect(evil.requests).toHaveLength(0);
      for (const request of api.requests) expect(request.bearer).toBe(token);

      if (result instanceof Response) {
        outcomes.sent++;
        await result.body?.cancel();
        expect(result.status).toBe(200);
        expect(api.requests).toHaveLength(1);
        const received = api.requests[0]?.path as string;
        if (absolute) {
          // An absolute URL is sent as it is (any path: the whole origin is allowed), but only on
          // the allowed origin, over http(s), without credentials.
          expect(url?.origin).toBe(api.origin);
          expect(url?.protocol).toBe('http:');
          expect(`${url?.username}${url?.password}`).toBe('');
          expect(received).toBe(url?.pathname);
        } else {
          // A relative path stays under the API's path, however a server decodes %2E, %2F or %5C.
          expect(received === PREFIX || received.startsWith(`${PREFIX}/`)).toBe(true);
          expect(climbs(received)).toBe(false);
        }
        return;
      }

      outcomes.refused++;
      expect(api.requests).toHaveLength(0);
      if (absolute && url === undefined) {
        expect(result).toBeInstanceOf(AuthSecConfigError);
      } else {
        expect(result).toBeInstanceOf(AuthSecOriginNotAllowedError);
        expect((result as AuthSecOriginNotAllowedError).code).toBe(
          'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
        );
        if (absolute) {
          // Refused for a reason the oracle can name: another origin, or credentials in the URL.
          const allowed =
            (url?.protocol === 'http:' || url?.protocol === 'https:') &&
            url.origin === api.origin &&
            !url.username &&
            !url.password;
          expect(allowed).toBe(false);
        }
      }
      expectNoSecrets([token, ...secrets], result);
    },
  );

  it('the property above both sent and refused, each in a tenth of its runs or more', () => {
    const total = outcomes.sent + outcomes.refused;
    expect(total).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(outcomes.sent / total).toBeGreaterThan(0.1);
    expect(outcomes.refused / total).toBeGreaterThan(0.1);
  });

  test.prop(
    [
      fc.oneof(
        absoluteUrl.map((u) => u.text),
        pathText,
        fc.constantFrom('/', '/api/x'),
        // Straight at the other server, in the spellings a Location may take.
        fc
          .tuple(fc.constantFrom('EVIL', '//HOST', 'HTTP://HOST', 'http:HOST'), pathText)
          .map(([lead, path]) => `${lead}/${path.replace(/^\/+/, '')}`),
      ),
    ],
    RUNS,
  )(
    'a redirect from the API to any Location: the token never follows it to another origin',
    async (location) => {
      api.clearRequests();
      evil.clearRequests();
      const result = await client
        .fetch(`/go?to=${encodeURIComponent(toEvil(location))}`, { redirect: 'follow' })
        .catch((error: unknown) => error);
      if (result instanceof Response) await result.body?.cancel();
      else expectNoSecrets([token], result);
      for (const request of evil.requests) {
        expect(request.authorization).toBeUndefined();
        expect(JSON.stringify(request.headers)).not.toContain(token);
      }
      for (const request of api.requests) {
        expect(request.bearer === undefined || request.bearer === token).toBe(true);
      }
    },
  );

  const spelling = fc.record({
    scheme: fc.constantFrom('https', 'http', 'HTTPS'),
    host: fc.constantFrom(
      'b\u00fccher.example',
      'xn--bcher-kva.example',
      'B\u00dcCHER.example',
      'api.example',
      'API.Example',
      'api.example.',
      'localhost',
      '127.0.0.1',
      '127.000.000.001',
      '[::1]',
      '[0:0:0:0:0:0:0:1]',
    ),
    port: fc.constantFrom('', ':443', ':80', ':8443', ':08443'),
  });
  const spell = (s: { scheme: string; host: string; port: string }) =>
    `${s.scheme}://${s.host}${s.port}`;

  test.prop([spelling, spelling, fc.constantFrom('GET', 'POST')], RUNS)(
    'an allowed origin in any spelling (IDN or punycode, case, default port) matches exactly the URLs of that origin',
    (allowedSpelling, targetSpelling, method) => {
      const allowed = parseOrigin(spell(allowedSpelling));
      const target = new URL(`${spell(targetSpelling)}/docs?q=1`);
      const webSafe = target.protocol === 'https:' || isLoopbackHostname(target.hostname);
      if ('problem' in allowed) {
        // Only plain http to a non-loopback host is refused as an allowed origin.
        expect(allowedSpelling.scheme).toBe('http');
        return;
      }
      const policy = new OriginPolicy([allowed.origin]);
      const verdict = (() => {
        try {
          policy.assertAllowed(target, method);
          return 'allowed';
        } catch (error) {
          expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
          expect((error as AuthSecOriginNotAllowedError).origin).toBe(target.origin);
          return 'refused';
        }
      })();
      expect(verdict).toBe(webSafe && target.origin === allowed.origin ? 'allowed' : 'refused');
    },
  );
});
