// Property tests: any configuration value resolves to a checked config or one AuthSecConfigError.

import { inspect } from 'node:util';
import { FUZZ_PARAMS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type ResolvedConfig, resolveConfig } from '../src/config.js';
import { UUID_RE } from '../src/config-settings.js';
import { AuthSecConfigError } from '../src/errors.js';
import { isLoopbackHostname } from '../src/loopback.js';

const RUNS = FUZZ_PARAMS;
const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
const BASE = 'https://prod.api.authsec.ai';

/** Resolves, and returns the config or the AuthSecConfigError; anything else thrown fails the test. */
function outcome(
  options: Parameters<typeof resolveConfig>[0],
): ResolvedConfig | AuthSecConfigError {
  try {
    return resolveConfig(options);
  } catch (error) {
    if (!(error instanceof AuthSecConfigError)) throw error;
    expect(error.code).toBe('ERR_AUTHSEC_CONFIG');
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.hint).toBeTruthy();
    return error;
  }
}

/** Every printed form of an error, for leak checks. */
function printed(error: Error): string {
  return `${String(error)}\n${error.message}\n${inspect(error, { depth: 8 })}\n${JSON.stringify(error)}`;
}

// Text a URL might carry in its credentials or query: never shown back.
const secretPart = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/).map((s) => `S3cr3t${s}`);

const scheme = fc.constantFrom('https', 'http', 'HTTPS', 'ftp', 'file', 'javascript', 'ws', '');
const host = fc.constantFrom(
  'prod.api.authsec.ai',
  'localhost',
  'LOCALHOST',
  'localhost.',
  'sub.localhost',
  '127.0.0.1',
  '127.1',
  '127.255.255.254',
  '0x7f.0.0.1',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '10.0.0.1',
  'bücher.example',
  'xn--bcher-kva.example',
  'ex ample.com',
  '',
);
const port = fc.constantFrom('', ':443', ':8080', ':0', ':65535', ':65536', ':99999', ':x');
const path = fc.constantFrom(
  '',
  '/',
  '//',
  '/api',
  '/api//v1/',
  '/authsec',
  '/AuthSec/uflow/sdk',
  '/%2e%2e/',
  '/a/../b',
  '/\u00e9t\u00e9',
  '/\t',
);
const suffix = fc.constantFrom('', '?', '#', '?x=1', '#frag');

/** URL-ish text: a structured URL with parts that may be wrong, or any string at all. */
const urlText = fc.oneof(
  fc
    .record({
      scheme,
      slashes: fc.constantFrom('://', ':/', ':', ''),
      user: fc.option(fc.constantFrom('user', 'u:', 'a@b'), { nil: undefined }),
      password: fc.option(secretPart, { nil: undefined }),
      host,
      port,
      path,
      query: fc.option(secretPart, { nil: undefined }),
      suffix,
      pad: fc.constantFrom('', ' ', '\n', '\t', '\u00a0'),
    })
    .map((u) => {
      const auth =
        u.user === undefined && u.password === undefined
          ? ''
          : `${u.user ?? ''}${u.password === undefined ? '' : `:${u.password}`}@`;
      const query = u.query === undefined ? u.suffix : `?token=${u.query}`;
      return {
        text: `${u.pad}${u.scheme}${u.slashes}${auth}${u.host}${u.port}${u.path}${query}${u.pad}`,
        secrets: [u.password, u.query].filter((s): s is string => s !== undefined),
      };
    }),
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => ({ text, secrets: [] as string[] })),
);

/** Checks what a config holds for a server URL: https (or http on loopback), no credentials or query. */
function expectServerUrl(value: string): void {
  const url = new URL(value);
  expect(['https:', 'http:']).toContain(url.protocol);
  if (url.protocol === 'http:') expect(isLoopbackHostname(url.hostname)).toBe(true);
  expect(url.username + url.password + url.search + url.hash).toBe('');
  expect(value.endsWith('/')).toBe(false);
  expect(value.slice(url.origin.length)).not.toMatch(/\/\//);
}

describe('fuzzed configuration values', { timeout: FUZZ_TIMEOUT_MS }, () => {
  const credentialExamples: [{ text: string; secrets: string[] }][] = [
    // Found by these properties: credentials with an `@`, after one slash, or after no scheme.
    [{ text: 'file://a@b:S3cr3tPw0rd1@prod.api.authsec.ai', secrets: ['S3cr3tPw0rd1'] }],
    [{ text: 'https:/:S3cr3tPw0rd2@prod.api.authsec.ai:65536', secrets: ['S3cr3tPw0rd2'] }],
    [{ text: '://:S3cr3tPw0rd3@prod.api.authsec.ai', secrets: ['S3cr3tPw0rd3'] }],
    [{ text: 'javascript:/:S3cr3tPw0rd4@prod.api.authsec.ai', secrets: ['S3cr3tPw0rd4'] }],
    [{ text: 'https://:S3cr3tPw0rd5@ex ample.com', secrets: ['S3cr3tPw0rd5'] }],
  ];

  test.prop([urlText], { ...RUNS, examples: credentialExamples })(
    'baseUrl: any text gives an https-or-loopback server root, or AuthSecConfigError that shows no credentials or query',
    ({ text, secrets }) => {
      const result = outcome({ baseUrl: text, clientId: ID, env: {} });
      if (result instanceof AuthSecConfigError) {
        for (const secret of secrets) expect(printed(result)).not.toContain(secret);
        return;
      }
      // A blank value counts as not given: there is then no live config to make.
      expect(result.mode).toBe('live');
      if (result.mode !== 'live') return;
      expectServerUrl(result.baseUrl);
      expect(result.baseUrl).not.toMatch(/\/(authsec|uflow)(\/|$)/i);
      expect(result.pullUrl).toBe(`${result.baseUrl}/authsec/uflow/sdk/delegation-token`);
    },
  );

  test.prop([urlText], { ...RUNS, examples: credentialExamples })(
    'downstreamUrl (from DOWNSTREAM_URL): an https-or-loopback API root allowed by origin, or AuthSecConfigError',
    ({ text, secrets }) => {
      const result = outcome({ baseUrl: BASE, clientId: ID, env: { DOWNSTREAM_URL: text } });
      if (result instanceof AuthSecConfigError) {
        for (const secret of secrets) expect(printed(result)).not.toContain(secret);
        return;
      }
      if (text.trim() === '') {
        expect(result.downstreamUrl).toBeUndefined();
        expect(result.allowedOrigins).toEqual([]);
        return;
      }
      const downstream = result.downstreamUrl as string;
      expectServerUrl(downstream);
      expect(result.allowedOrigins).toEqual([new URL(downstream).origin]);
    },
  );

  test.prop([fc.array(urlText, { maxLength: 4 }), fc.boolean()], {
    ...RUNS,
    examples: credentialExamples.map(([entry]) => [[entry], false] as [(typeof entry)[], boolean]),
  })(
    'allowedOrigins: each entry is an exact https-or-loopback origin, or AuthSecConfigError',
    (entries, fromEnv) => {
      const list = entries.map((e) => e.text);
      const result = outcome(
        fromEnv
          ? { baseUrl: BASE, clientId: ID, env: { AUTHSEC_ALLOWED_ORIGINS: list.join(',') } }
          : { baseUrl: BASE, clientId: ID, allowedOrigins: list, env: {} },
      );
      if (result instanceof AuthSecConfigError) {
        for (const secret of entries.flatMap((e) => e.secrets)) {
          expect(printed(result)).not.toContain(secret);
        }
        return;
      }
      for (const origin of result.allowedOrigins) {
        const url = new URL(origin);
        expect(url.origin).toBe(origin);
        if (url.protocol === 'http:') expect(isLoopbackHostname(url.hostname)).toBe(true);
        else expect(url.protocol).toBe('https:');
      }
      expect(new Set(result.allowedOrigins).size).toBe(result.allowedOrigins.length);
    },
  );

  const spaces = fc.constantFrom(
    '',
    ' ',
    '\t',
    '\n',
    '\r\n',
    '\u00a0',
    '\ufeff',
    '\u2028',
    '\u3000',
  );
  const clientIdText = fc.oneof(
    fc
      .tuple(spaces, fc.uuid(), spaces, fc.boolean())
      .map(([a, id, b, upper]) => `${a}${upper ? id.toUpperCase() : id}${b}`),
    fc.uuid().map((id) => id.replace(/-/g, '')),
    fc.uuid().map((id) => `${id.slice(0, 8)} ${id.slice(9)}`),
    fc.uuid().map((id) => `{${id}}`),
    fc.uuid().map((id) => id.replace(/[a-f]/, '\u0430')),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );

  test.prop(
    [clientIdText, fc.constantFrom('option', 'AUTHSEC_AGENT_CLIENT_ID', 'AUTHSEC_CLIENT_ID')],
    RUNS,
  )(
    'clientId with whitespace and unicode: the trimmed UUID, with a warning when trimmed, or AuthSecConfigError',
    (raw, from) => {
      const result = outcome(
        from === 'option'
          ? { baseUrl: BASE, clientId: raw, env: {} }
          : { baseUrl: BASE, env: { [from]: raw } },
      );
      const usable = UUID_RE.test(raw.trim());
      if (!usable) {
        expect(result).toBeInstanceOf(AuthSecConfigError);
        expect((result as AuthSecConfigError).message).toMatch(/clientId is (missing|invalid)/);
        return;
      }
      expect(result).not.toBeInstanceOf(AuthSecConfigError);
      const config = result as ResolvedConfig;
      expect(config.clientId).toBe(raw.trim());
      const warned = config.warnings.some((w) => w.includes('trimmed it'));
      expect(warned).toBe(raw.trim() !== raw);
    },
  );

  const numberish = fc.oneof(
    fc.double(),
    fc.integer({ min: -5, max: 20 }),
    fc.constantFrom(0, -0, 1, 10, 11, 0.5, Number.MAX_SAFE_INTEGER, Infinity, Number.NaN),
  );
  type NumberSetting = 'timeoutMs' | 'totalTimeoutMs' | 'maxRetries' | 'refreshMarginSeconds';
  const rules: Record<NumberSetting, (n: number) => boolean> = {
    timeoutMs: (n) => Number.isFinite(n) && n > 0,
    totalTimeoutMs: (n) => Number.isFinite(n) && n > 0,
    maxRetries: (n) => Number.isInteger(n) && n >= 0 && n <= 10,
    refreshMarginSeconds: (n) => Number.isFinite(n) && n >= 0,
  };

  test.prop([fc.constantFrom(...(Object.keys(rules) as NumberSetting[])), numberish], RUNS)(
    'number options: the value when it fits the rule, else AuthSecConfigError naming the option',
    (name, value) => {
      const result = outcome({ baseUrl: BASE, clientId: ID, env: {}, [name]: value });
      if (rules[name](value)) {
        expect((result as ResolvedConfig)[name]).toBe(value);
      } else {
        expect(result).toBeInstanceOf(AuthSecConfigError);
        expect((result as AuthSecConfigError).problems.join('\n')).toContain(name);
      }
    },
  );

  test.prop(
    [
      fc.oneof(
        fc.string({ maxLength: 12 }),
        numberish.map(String),
        fc.constantFrom('1e3', '0x10', ' 42 ', '5_000', '１０'),
      ),
    ],
    RUNS,
  )(
    'AUTHSEC_TIMEOUT_MS: Number() of the trimmed text when positive, unset when blank, else AuthSecConfigError',
    (text) => {
      const result = outcome({ baseUrl: BASE, clientId: ID, env: { AUTHSEC_TIMEOUT_MS: text } });
      const trimmed = text.trim();
      if (trimmed === '') {
        expect((result as ResolvedConfig).timeoutMs).toBe(10_000);
        return;
      }
      const n = Number(trimmed);
      if (Number.isFinite(n) && n > 0) expect((result as ResolvedConfig).timeoutMs).toBe(n);
      else {
        expect(result).toBeInstanceOf(AuthSecConfigError);
        expect((result as AuthSecConfigError).message).toContain('AUTHSEC_TIMEOUT_MS');
      }
    },
  );

  const optionNames = [
    'baseUrl',
    'clientId',
    'mode',
    'sessionToken',
    'downstreamUrl',
    'allowedOrigins',
    'timeoutMs',
    'totalTimeoutMs',
    'maxRetries',
    'refreshMarginSeconds',
    'logLevel',
    'logFormat',
  ] as const;

  const TYPES = {
    baseUrl: 'string',
    clientId: 'string',
    mode: 'string',
    sessionToken: 'string',
    downstreamUrl: 'string',
    timeoutMs: 'number',
    totalTimeoutMs: 'number',
    maxRetries: 'number',
    refreshMarginSeconds: 'number',
  } as const;

  test.prop([fc.dictionary(fc.constantFrom(...optionNames), fc.jsonValue({ maxDepth: 2 }))], {
    ...RUNS,
    // Found by this property: values without a string form made String() throw a TypeError.
    examples: [
      [{ mode: { toString: '' } }],
      [{ allowedOrigins: [{ toString: '' }] }],
      [{ allowedOrigins: { toString: 1 } }],
      [{ logLevel: { valueOf: 1, toString: 1 } }],
      // Found by this property: a clientId that is not a string was ignored, giving a mock client.
      [{ clientId: 42 }],
      [{ clientId: ['6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11'] }],
    ],
  })(
    'options of any JSON type: a config or AuthSecConfigError naming each mistyped option, never another exception',
    (options) => {
      const result = outcome({ ...options, env: {} } as Parameters<typeof resolveConfig>[0]);
      const mistyped = Object.entries(options).filter(
        ([name, value]) =>
          name in TYPES &&
          value !== null &&
          typeof value !== TYPES[name as keyof typeof TYPES] &&
          // A blank string counts as not given where an env var exists (`timeoutMs: process.env.X`).
          !(name === 'timeoutMs' && typeof value === 'string' && value.trim() === ''),
      );
      if (mistyped.length > 0) {
        // Never ignored: a wrong type is a problem of its own (log settings only warn, by design).
        expect(result).toBeInstanceOf(AuthSecConfigError);
        const problems = (result as AuthSecConfigError).problems.join('\n');
        for (const [name] of mistyped) expect(problems).toContain(name);
      }
      if (result instanceof AuthSecConfigError) return;
      expect(Object.isFrozen(result)).toBe(true);
      if (result.mode === 'live') {
        expectServerUrl(result.baseUrl);
        expect(UUID_RE.test(result.clientId)).toBe(true);
      }
    },
  );

  test.prop([secretPart, fc.constantFrom('Bearer ', 'bearer\t', ' ', 'x y', '\n')], RUNS)(
    'sessionToken: an unusable credential is refused without ever being shown',
    (secret, shape) => {
      const value = shape.startsWith('x') ? `${secret} ${secret}` : `${shape}${secret}`;
      const result = outcome({ baseUrl: BASE, clientId: ID, sessionToken: value, env: {} });
      if (shape === ' ' || shape === '\n') {
        // Surrounding whitespace is trimmed: the credential itself is fine.
        expect((result as ResolvedConfig).session).toMatchObject({ kind: 'static', value: secret });
        return;
      }
      expect(result).toBeInstanceOf(AuthSecConfigError);
      expect(printed(result as AuthSecConfigError)).not.toContain(secret);
    },
  );
});
