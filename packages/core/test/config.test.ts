import { inspect } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type LiveConfig, type MockConfig, resolveConfig } from '../src/config.js';
import { AuthSecConfigError, isAuthSecError } from '../src/errors.js';

const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
const BASE = 'https://prod.api.authsec.ai';

function configError(fn: () => unknown): AuthSecConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(isAuthSecError(error)).toBe(true);
    expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    return error as AuthSecConfigError;
  }
  throw new Error('expected an AuthSecConfigError');
}

describe('resolveConfig', () => {
  it('takes options before env before defaults, and freezes the result', () => {
    const env = {
      AUTHSEC_BASE_URL: 'https://env.example',
      AUTHSEC_AGENT_CLIENT_ID: ID,
      AUTHSEC_TIMEOUT_MS: '5000',
    };
    const fromEnv = resolveConfig({ env });
    expect(fromEnv).toMatchObject({
      mode: 'live',
      baseUrl: 'https://env.example',
      clientId: ID,
      timeoutMs: 5000,
    });
    const fromOptions = resolveConfig({ env, baseUrl: BASE, timeoutMs: 1234 });
    expect(fromOptions.baseUrl).toBe(BASE);
    expect(fromOptions.timeoutMs).toBe(1234);
    expect(fromOptions).toMatchObject({
      totalTimeoutMs: 30_000,
      maxRetries: 2,
      refreshMarginSeconds: 60,
      logLevel: 'warn',
      logFormat: 'pretty',
    });
    expect(Object.isFrozen(fromOptions)).toBe(true);
    expect(Object.isFrozen(fromOptions.headers)).toBe(true);
  });

  it('reads env once: changing it afterwards changes nothing', () => {
    const env: Record<string, string | undefined> = {
      AUTHSEC_BASE_URL: BASE,
      AUTHSEC_AGENT_CLIENT_ID: ID,
    };
    const config = resolveConfig({ env });
    env.AUTHSEC_BASE_URL = 'https://other.example';
    expect(config.baseUrl).toBe(BASE);
  });

  it('treats empty and blank env values as unset', () => {
    const config = resolveConfig({ env: { AUTHSEC_BASE_URL: '   ', AUTHSEC_AGENT_CLIENT_ID: '' } });
    expect(config.mode).toBe('mock');
    expect(config.modeReason).toBe('unconfigured');
  });

  it.each([
    ['https://prod.api.authsec.ai/', 'https://prod.api.authsec.ai'],
    ['https://prod.api.authsec.ai//', 'https://prod.api.authsec.ai'],
    ['https://gw.example/prefix/', 'https://gw.example/prefix'],
    ['https://gw.example//a//b/', 'https://gw.example/a/b'],
    ['https://PROD.api.authsec.ai:443', 'https://prod.api.authsec.ai'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://127.0.0.2:9000/', 'http://127.0.0.2:9000'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
  ])('normalises baseUrl %s to %s and appends the pull path without //', (raw, base) => {
    const config = resolveConfig({ baseUrl: raw, clientId: ID, env: {} });
    expect(config.baseUrl).toBe(base);
    expect(config.pullUrl).toBe(`${base}/authsec/uflow/sdk/delegation-token`);
  });

  it.each([
    ['https://prod.api.authsec.ai/authsec', /server root.*'\/authsec'/],
    ['https://prod.api.authsec.ai/authsec/uflow', /'\/uflow'/],
    ['https://prod.api.authsec.ai/uflow/', /'\/uflow'/],
    ['http://prod.api.authsec.ai', /https:\/\/.*loopback|localhost/],
    ['http://10.0.0.5', /must use https/],
    // DNS, not the loopback interface, answers for subdomains of localhost in Node
    ['http://authsec.localhost:8080', /must use https/],
    ['http://127.0.0.1.example.com', /must use https/],
    ['ftp://prod.api.authsec.ai', /must use https/],
    ['https://user:pw@prod.api.authsec.ai', /user name or password/],
    ['https://prod.api.authsec.ai?x=1', /query string/],
    ['prod.api.authsec.ai', /not a URL/],
  ])('rejects baseUrl %s with a hint', (raw, message) => {
    const error = configError(() => resolveConfig({ baseUrl: raw, clientId: ID, env: {} }));
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/baseUrl|AUTHSEC_BASE_URL/);
  });

  it('trims a client id with copy-paste whitespace around it, with a warning', () => {
    const config = resolveConfig({
      env: { AUTHSEC_BASE_URL: BASE, AUTHSEC_AGENT_CLIENT_ID: ` ${ID}\n` },
    });
    expect(config.clientId).toBe(ID);
    expect(config.warnings.join()).toMatch(
      /AUTHSEC_AGENT_CLIENT_ID had spaces or a line break around it/,
    );
  });

  it.each([
    ['6f1c9a52-3e0a-4d8e-9b57 -2a1f0e6c8d11'],
    ['not-a-uuid'],
    ['6f1c9a523e0a4d8e9b572a1f0e6c8d11'],
    [`{${ID}}`],
  ])('rejects client id %j before any request', (id) => {
    const error = configError(() => resolveConfig({ baseUrl: BASE, clientId: id, env: {} }));
    expect(error.message).toMatch(/clientId is invalid/);
    expect(error.message).toMatch(/AUTHSEC_AGENT_CLIENT_ID/);
  });

  it('accepts AUTHSEC_CLIENT_ID as an alias, and refuses it when it disagrees with AUTHSEC_AGENT_CLIENT_ID', () => {
    expect(resolveConfig({ env: { AUTHSEC_BASE_URL: BASE, AUTHSEC_CLIENT_ID: ID } }).clientId).toBe(
      ID,
    );
    expect(
      resolveConfig({
        env: { AUTHSEC_BASE_URL: BASE, AUTHSEC_CLIENT_ID: ID, AUTHSEC_AGENT_CLIENT_ID: ID },
      }).clientId,
    ).toBe(ID);
    const error = configError(() =>
      resolveConfig({
        env: {
          AUTHSEC_BASE_URL: BASE,
          AUTHSEC_AGENT_CLIENT_ID: ID,
          AUTHSEC_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
        },
      }),
    );
    expect(error.message).toMatch(
      /AUTHSEC_AGENT_CLIENT_ID and its alias AUTHSEC_CLIENT_ID are both set and differ: unset AUTHSEC_CLIENT_ID/,
    );
  });

  it('auto mode: mock when nothing is configured outside production', () => {
    const config = resolveConfig({ env: {} });
    expect(config).toMatchObject({
      mode: 'mock',
      modeReason: 'unconfigured',
      baseUrl: undefined,
      pullUrl: undefined,
    });
  });

  it('auto mode: partial config is always an error naming what is missing', () => {
    const onlyBase = configError(() => resolveConfig({ env: { AUTHSEC_BASE_URL: BASE } }));
    expect(onlyBase.problems).toEqual([
      expect.stringMatching(/^clientId is missing: pass `clientId` or set AUTHSEC_AGENT_CLIENT_ID/),
    ]);
    const onlyId = configError(() => resolveConfig({ env: { AUTHSEC_AGENT_CLIENT_ID: ID } }));
    expect(onlyId.problems).toEqual([
      expect.stringMatching(/^baseUrl is missing: pass `baseUrl` or set AUTHSEC_BASE_URL/),
    ]);
    const onlySession = configError(() => resolveConfig({ env: { AUTHSEC_SESSION_TOKEN: 'abc' } }));
    expect(onlySession.problems).toHaveLength(2);
  });

  it('auto mode: missing config with NODE_ENV=production is an error, never mock', () => {
    const error = configError(() => resolveConfig({ env: { NODE_ENV: 'production' } }));
    expect(error.message).toMatch(
      /NODE_ENV=production.*AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID/,
    );
  });

  it('mode live needs both settings; mode mock ignores them', () => {
    const error = configError(() => resolveConfig({ mode: 'live', env: {} }));
    expect(error.problems).toHaveLength(2);
    const mock = resolveConfig({
      env: { AUTHSEC_MODE: 'MOCK', AUTHSEC_BASE_URL: BASE, AUTHSEC_AGENT_CLIENT_ID: ID },
    });
    expect(mock).toMatchObject({
      mode: 'mock',
      modeReason: 'forced',
      pullUrl: undefined,
      clientId: ID,
    });
  });

  it('mode mock with NODE_ENV=production needs allowMockInProduction', () => {
    const error = configError(() =>
      resolveConfig({ mode: 'mock', env: { NODE_ENV: 'production' } }),
    );
    expect(error.message).toMatch(/allowMockInProduction/);
    expect(
      resolveConfig({ mode: 'mock', allowMockInProduction: true, env: { NODE_ENV: 'production' } })
        .mode,
    ).toBe('mock');
  });

  it('fallbackToMockOnError is refused with NODE_ENV=production', () => {
    const error = configError(() =>
      resolveConfig({
        baseUrl: BASE,
        clientId: ID,
        fallbackToMockOnError: true,
        env: { NODE_ENV: 'production' },
      }),
    );
    expect(error.message).toMatch(/fallbackToMockOnError is not allowed with NODE_ENV=production/);
  });

  it('reports every problem in one error', () => {
    const error = configError(() =>
      resolveConfig({
        baseUrl: 'http://example.com/authsec',
        clientId: 'nope',
        timeoutMs: -1,
        maxRetries: 99,
        mode: 'sometimes' as never,
        headers: { Authorization: 'x' },
        env: { AUTHSEC_SESSION_TOKEN: 'Bearer abc' },
      }),
    );
    expect(error.problems.length).toBeGreaterThanOrEqual(6);
    expect(error.message).toMatch(/^Invalid AuthSec configuration:\n {2}- /);
    for (const p of error.problems) expect(error.message).toContain(p);
    expect(error.hint).toMatch(/README/);
  });

  it('warns on an unknown log level or format and uses the default', () => {
    const config = resolveConfig({
      env: { AUTHSEC_LOG_LEVEL: 'verbose', AUTHSEC_LOG_FORMAT: 'xml' },
    });
    expect(config.logLevel).toBe('warn');
    expect(config.logFormat).toBe('pretty');
    expect(config.warnings.join('\n')).toMatch(/Unknown log level 'verbose'.*AUTHSEC_LOG_LEVEL/);
    expect(config.warnings.join('\n')).toMatch(/Unknown log format 'xml'/);
    expect(
      resolveConfig({ env: { AUTHSEC_LOG_LEVEL: 'DEBUG', AUTHSEC_LOG_FORMAT: 'json' } }),
    ).toMatchObject({
      logLevel: 'debug',
      logFormat: 'json',
    });
  });

  it('takes a static session credential or a provider, and never shows it in an error', () => {
    const secret = 'sess-9f8e7d6c5b4a';
    const fromEnv = resolveConfig({
      env: { AUTHSEC_BASE_URL: BASE, AUTHSEC_AGENT_CLIENT_ID: ID, AUTHSEC_SESSION_TOKEN: secret },
    });
    expect(fromEnv.session).toEqual({ kind: 'static', value: secret, from: 'env' });
    const provider = () => secret;
    expect(
      resolveConfig({ baseUrl: BASE, clientId: ID, sessionToken: provider, env: {} }).session,
    ).toEqual({
      kind: 'provider',
      provide: provider,
    });
    const error = configError(() =>
      resolveConfig({ baseUrl: BASE, clientId: ID, sessionToken: `Bearer ${secret}`, env: {} }),
    );
    expect(`${String(error)} ${inspect(error)} ${JSON.stringify(error)}`).not.toContain(secret);
  });

  it('rejects AUTHSEC_TIMEOUT_MS that is not a positive number, naming the env var', () => {
    const error = configError(() => resolveConfig({ env: { AUTHSEC_TIMEOUT_MS: 'soon' } }));
    expect(error.message).toMatch(/AUTHSEC_TIMEOUT_MS/);
  });
  it('counts a blank string option as not given, so `mode: process.env.X` falls back like the env var', () => {
    const env = { AUTHSEC_MODE: 'mock', AUTHSEC_LOG_LEVEL: 'debug' };
    expect(resolveConfig({ mode: '' as never, logLevel: '' as never, env })).toMatchObject({
      mode: 'mock',
      modeReason: 'forced',
      logLevel: 'debug',
      warnings: [],
    });
    expect(
      resolveConfig({ timeoutMs: null as never, env: { AUTHSEC_TIMEOUT_MS: '7' } }).timeoutMs,
    ).toBe(7);
  });

  it('refuses a URL option of the wrong type instead of silently taking the env var', () => {
    const error = configError(() =>
      resolveConfig({ baseUrl: 5 as never, clientId: ID, env: { AUTHSEC_BASE_URL: BASE } }),
    );
    expect(error.problems).toEqual([
      'baseUrl must be a string: pass `baseUrl` or set AUTHSEC_BASE_URL',
    ]);
    const downstream = configError(() =>
      resolveConfig({ baseUrl: BASE, clientId: ID, downstreamUrl: 5 as never, env: {} }),
    );
    expect(downstream.problems).toEqual([
      'downstreamUrl must be a string: pass `downstreamUrl` or set DOWNSTREAM_URL',
    ]);
  });

  it('names the env var a partial configuration came from, even next to a blank option', () => {
    const error = configError(() =>
      resolveConfig({ downstreamUrl: '', env: { DOWNSTREAM_URL: 'https://api.example' } }),
    );
    expect(error.problems[0]).toMatch(/^DOWNSTREAM_URL is set but AUTHSEC_BASE_URL/);
  });

  it('reads allowedOrigins given as a comma-separated string like AUTHSEC_ALLOWED_ORIGINS, and null as not given', () => {
    const config = resolveConfig({
      baseUrl: BASE,
      clientId: ID,
      allowedOrigins: 'https://a.example, https://B.example:443' as never,
      env: {},
    });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(resolveConfig({ allowedOrigins: null as never, env: {} }).mode).toBe('mock');
  });
  it('types the result by mode: narrowed to live, the pull URL and client id are always strings', () => {
    const config = resolveConfig({ baseUrl: BASE, clientId: ID, env: {} });
    if (config.mode !== 'live') throw new Error(`expected live, got ${config.mode}`);
    expectTypeOf(config).toEqualTypeOf<LiveConfig>();
    expectTypeOf(config.pullUrl).toEqualTypeOf<string>();
    expectTypeOf(config.clientId).toEqualTypeOf<string>();
    expectTypeOf(config.modeReason).toEqualTypeOf<'forced' | 'configured'>();
    expect(new URL(config.pullUrl).pathname).toBe('/authsec/uflow/sdk/delegation-token');
    expect(config.clientId).toBe(ID);

    const mock = resolveConfig({ mode: 'mock', clientId: ID, env: {} });
    if (mock.mode !== 'mock') throw new Error(`expected mock, got ${mock.mode}`);
    expectTypeOf(mock).toEqualTypeOf<MockConfig>();
    expectTypeOf(mock.pullUrl).toEqualTypeOf<undefined>();
    expectTypeOf(mock.modeReason).toEqualTypeOf<'forced' | 'unconfigured'>();
    expect(mock).toMatchObject({ baseUrl: undefined, pullUrl: undefined, clientId: ID });
    expect(Object.isFrozen(mock)).toBe(true);
  });
});
