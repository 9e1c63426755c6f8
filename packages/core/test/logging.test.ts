// Proves what a client logs end to end: the seed's transcript, levels, formats, warnings and no secrets.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import type { AuthSecClientOptions } from '../src/config.js';
import type { LogLevel } from '../src/logger.js';
import { type CapturedLine, captureLogger, expectNoSecrets, type Setup, setup } from './support.js';

const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
const ESC = '\u001b[';

let s: Setup | undefined;
const clients: AuthSecClient[] = [];
const restores: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await s?.close();
  s = undefined;
  for (const restore of restores.splice(0).reverse()) restore();
  vi.restoreAllMocks();
});

/** A client for the current setup's server and agent, closed after the test. */
function clientFor(options: Partial<AuthSecClientOptions>): AuthSecClient {
  if (s === undefined) throw new Error('call setup() first');
  const client = new AuthSecClient({
    baseUrl: s.server.url,
    clientId: s.clientId,
    clock: s.clock.now,
    env: {},
    ...options,
  });
  clients.push(client);
  return client;
}

/** The seed's bracketed tag of a captured line, e.g. `Mode`. */
function tagOf(line: CapturedLine): string | undefined {
  return /^\[AuthSec SDK\] \[([^\]]+)\] /.exec(line.message)?.[1];
}

/** Spies on the console; every argument of every call, by level, nothing printed. */
function spyOnConsole() {
  const spies = {
    error: vi.spyOn(console, 'error').mockImplementation(() => {}),
    warn: vi.spyOn(console, 'warn').mockImplementation(() => {}),
    info: vi.spyOn(console, 'info').mockImplementation(() => {}),
    debug: vi.spyOn(console, 'debug').mockImplementation(() => {}),
    log: vi.spyOn(console, 'log').mockImplementation(() => {}),
  };
  const lines = (level?: keyof typeof spies): string[] =>
    (level === undefined ? Object.values(spies) : [spies[level]]).flatMap((spy) =>
      spy.mock.calls.map((args) => {
        expect(args).toHaveLength(1);
        return String(args[0]);
      }),
    );
  return { spies, lines };
}

/** Sets (or, with undefined, removes) an environment variable until the test ends. */
function setEnv(name: string, value: string | undefined): void {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  restores.push(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}

/** Makes stderr look like a terminal until the test ends. */
function pretendTTY(): void {
  const saved = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
  restores.push(() => {
    if (saved === undefined) Reflect.deleteProperty(process.stderr, 'isTTY');
    else Object.defineProperty(process.stderr, 'isTTY', saved);
  });
}

describe('the transcript', () => {
  it('a live pull at info logs [Mode] LIVE, [Init], [Delegation], [Success], [Token], in order', async () => {
    s = await setup({ client: { logLevel: 'info' } });
    await s.client.getDelegationToken();
    expect(s.log.lines.map(tagOf)).toEqual(['Mode', 'Init', 'Delegation', 'Success', 'Token']);
    expect(s.log.lines.every((line) => line.level === 'info')).toBe(true);
    const [mode, init, delegation, success, token] = s.log.lines;
    expect(mode?.message).toBe('[AuthSec SDK] [Mode] LIVE: delegation tokens come from AuthSec.');
    expect(init?.message).toBe('[AuthSec SDK] [Init] AuthSec client initialised.');
    expect(init?.fields).toEqual({
      event: 'client.init',
      tag: 'Init',
      baseUrl: s.server.url,
      clientId: s.clientId,
    });
    expect(delegation?.message).toBe(
      '[AuthSec SDK] [Delegation] Requesting delegation token from AuthSec…',
    );
    expect(success?.message).toBe('[AuthSec SDK] [Success] LIVE delegation token acquired.');
    const jti = s.server.delegation(s.clientId)?.jti ?? 'missing';
    expect(success?.fields).toMatchObject({
      event: 'token.acquired',
      jti,
      permissions: ['read:records'],
    });
    expect(token?.message).toBe(
      `[AuthSec SDK] [Token] ${s.token.slice(0, 12)}… (jti ${jti.slice(0, 8)})`,
    );
    expect(token?.fields).toMatchObject({ event: 'token.fingerprint', jti });
    expectNoSecrets([s.token], s.log.text());
  });

  it('a mock client at info logs [Mode] MOCK, [Init], [Delegation], [Success], [Token]', async () => {
    const log = captureLogger();
    const client = new AuthSecClient({ mode: 'mock', logger: log, logLevel: 'info', env: {} });
    const token = await client.getDelegationToken();
    await client.close();
    expect(log.lines.map(tagOf)).toEqual(['Mode', 'Init', 'Delegation', 'Success', 'Token']);
    expect(log.lines[0]?.message).toMatch(/^\[AuthSec SDK\] \[Mode\] MOCK/);
    expect(log.lines[3]?.message).toBe('[AuthSec SDK] [Success] MOCK delegation token acquired.');
    expect(log.lines[4]?.message).toMatch(
      /^\[AuthSec SDK\] \[Token\] eyJ[A-Za-z0-9_-]{0,9}… \(jti /,
    );
    expectNoSecrets([token], log.text());
  });

  it('[Success] shows a fingerprint of the token (≤ 12 characters of it, plus the jti), never the token or its signature', async () => {
    s = await setup({ client: { logLevel: 'info' } });
    await s.client.getDelegationToken();
    const success = s.log.lines.find((line) => tagOf(line) === 'Success');
    const shown = success?.fields?.token;
    if (typeof shown !== 'string') throw new Error('no token field on [Success]');
    const jti = s.server.delegation(s.clientId)?.jti ?? 'missing';
    const match = /^(eyJ[A-Za-z0-9_-]*)… \(jti ([A-Za-z0-9._:-]+)\)$/.exec(shown);
    expect(match).not.toBeNull();
    const [, prefix = '', jtiPrefix = ''] = match ?? [];
    expect(prefix.length).toBeLessThanOrEqual(12);
    expect(s.token.startsWith(prefix)).toBe(true);
    expect(jtiPrefix).toBe(jti.slice(0, 8));
    expect(shown).toBe(`${s.token.slice(0, 12)}… (jti ${jti.slice(0, 8)})`);
    expectNoSecrets([s.token], s.log.text());
  });

  it('the console transcript labels the [Init] fields Base URL and Client ID', async () => {
    setEnv('NO_COLOR', '1');
    s = await setup();
    const out = spyOnConsole();
    const client = clientFor({ logLevel: 'info' });
    await client.getDelegationToken();
    const lines = out.lines('info');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('[AuthSec SDK] [Mode] LIVE: delegation tokens come from AuthSec.');
    expect(lines[1]).toBe(
      [
        '[AuthSec SDK] [Init] AuthSec client initialised.',
        `   |- Base URL  : ${s.server.url}`,
        `   |- Client ID : ${s.clientId}`,
      ].join('\n'),
    );
    expect(lines[2]).toBe('[AuthSec SDK] [Delegation] Requesting delegation token from AuthSec…');
    expect(lines[3]).toMatch(
      /^\[AuthSec SDK\] \[Success\] LIVE delegation token acquired\.\n {3}\|- Token {7}: eyJ/,
    );
    expect(lines[4]).toMatch(
      /^\[AuthSec SDK\] \[Token\] eyJ[A-Za-z0-9_-]{0,9}… \(jti [0-9a-f-]{8}\)\n {3}\|- JTI/,
    );
    expect(out.lines()).toHaveLength(5);
    expectNoSecrets([s.token], out.lines().join('\n'));
  });
});

describe('logFormat json with the console', () => {
  it('writes one JSON object per line with level, event and time', async () => {
    s = await setup();
    const out = spyOnConsole();
    const client = clientFor({ logLevel: 'info', logFormat: 'json' });
    await client.getDelegationToken();
    const lines = out.lines('info');
    expect(lines).toHaveLength(5);
    const entries = lines.map((line) => {
      expect(line).not.toContain('\n');
      expect(line).not.toContain(ESC);
      return JSON.parse(line) as Record<string, unknown>;
    });
    expect(entries.map((entry) => entry.event)).toEqual([
      'client.mode',
      'client.init',
      'token.pull',
      'token.acquired',
      'token.fingerprint',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ level: 'info', time: new Date(s.clock.now()).toISOString() });
      expect(typeof entry.message).toBe('string');
    }
    expect(entries[1]).toMatchObject({ tag: 'Init', baseUrl: s.server.url, clientId: s.clientId });
    expect(entries[3]?.token).toMatch(/^eyJ[A-Za-z0-9_-]{0,9}… \(jti [A-Za-z0-9._:-]{1,8}\)$/);
    expect(entries[4]).toMatchObject({ tag: 'Token', event: 'token.fingerprint' });
    expect(out.lines()).toHaveLength(5);
    expectNoSecrets([s.token], lines.join('\n'));
  });

  it('AUTHSEC_LOG_FORMAT=json in env selects it too', async () => {
    s = await setup();
    const out = spyOnConsole();
    const client = clientFor({ logLevel: 'info', env: { AUTHSEC_LOG_FORMAT: 'JSON' } });
    await client.getDelegationToken();
    for (const line of out.lines()) expect(JSON.parse(line)).toHaveProperty('event');
  });
});

describe('levels', () => {
  it('logLevel silent logs nothing but the auto-mock and mock-fallback warnings, which no level silences', async () => {
    const out = spyOnConsole();
    const log = captureLogger();
    // At construction, auto mock and an unknown log format would each warn.
    const mock = new AuthSecClient({
      env: {},
      logLevel: 'silent',
      logger: log,
      logFormat: 'xml' as 'json',
    });
    const toConsole = new AuthSecClient({
      env: {},
      logLevel: 'silent',
      logFormat: 'xml' as 'json',
    });
    clients.push(mock, toConsole);
    expect(mock.mode).toBe('mock');
    expect(toConsole.mode).toBe('mock');
    // A live failure papered over with a mock token warns [MOCK FALLBACK] at every level too.
    s = await setup({ client: { logLevel: 'silent', fallbackToMockOnError: true, maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 500 });
    expect((await s.client.getDelegationTokenInfo()).mode).toBe('mock');
    expect(log.lines.map((line) => [line.level, tagOf(line)])).toEqual([['warn', 'Mode']]);
    expect(s.log.lines.map((line) => [line.level, tagOf(line)])).toEqual([
      ['warn', 'MOCK FALLBACK'],
    ]);
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatch(/\[Mode\] MOCK: /);
    // The control: the same construction at the default level does warn, twice.
    const control = captureLogger();
    clients.push(new AuthSecClient({ env: {}, logger: control, logFormat: 'xml' as 'json' }));
    expect(control.lines.map((line) => [line.level, tagOf(line)])).toEqual([
      ['warn', 'Warning'],
      ['warn', 'Mode'],
    ]);
    expect(out.lines()).toHaveLength(1);
  });

  it('the default level, warn, hides info lines', async () => {
    s = await setup();
    const log = captureLogger();
    const client = clientFor({ logger: log });
    await client.getDelegationToken();
    await client.getDelegationToken();
    expect(log.lines).toEqual([]);
  });

  it('AUTHSEC_LOG_LEVEL in env sets the level, and the logLevel option beats it', async () => {
    s = await setup();
    const fromEnv = captureLogger();
    await clientFor({ logger: fromEnv, env: { AUTHSEC_LOG_LEVEL: ' INFO ' } }).getDelegationToken();
    expect(fromEnv.lines.map(tagOf)).toEqual(['Mode', 'Init', 'Delegation', 'Success', 'Token']);
    const overridden = captureLogger();
    await clientFor({
      logger: overridden,
      logLevel: 'error',
      env: { AUTHSEC_LOG_LEVEL: 'debug' },
    }).getDelegationToken();
    expect(overridden.lines).toEqual([]);
  });

  it('an unknown AUTHSEC_LOG_LEVEL warns once and uses warn', async () => {
    s = await setup();
    const log = captureLogger();
    const client = clientFor({ logger: log, env: { AUTHSEC_LOG_LEVEL: 'verbose' } });
    for (let i = 0; i < 3; i++) await client.getDelegationToken();
    client.invalidate();
    await client.getDelegationToken();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.level).toBe('warn');
    expect(log.lines[0]?.message).toMatch(
      /^\[AuthSec SDK\] \[Warning\] Unknown log level 'verbose' \(logLevel \/ AUTHSEC_LOG_LEVEL\): using 'warn'/,
    );
  });

  it('an unknown logLevel option warns once and uses warn', async () => {
    s = await setup();
    const log = captureLogger();
    const client = clientFor({ logger: log, logLevel: 'loud' as LogLevel });
    await client.getDelegationToken();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', fields: { event: 'config.warning' } });
    expect(log.lines[0]?.message).toMatch(/Unknown log level 'loud'.*using 'warn'/);
  });
});

describe('warnings', () => {
  it('a client id with trailing whitespace warns about the copy-paste artefact and is trimmed', async () => {
    s = await setup({ agent: { clientId: ID } });
    const log = captureLogger();
    const client = clientFor({ clientId: `${ID}  \n`, logger: log });
    expect(await client.getDelegationToken()).toBe(s.token);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.level).toBe('warn');
    expect(log.lines[0]?.message).toMatch(
      /^\[AuthSec SDK\] \[Warning\] `clientId` had spaces or a line break around it: trimmed it/,
    );
    expect(s.server.pulls[0]?.query).toMatchObject({ client_id: ID });
  });

  it('AUTHSEC_AGENT_CLIENT_ID with a trailing line break warns and names the variable', async () => {
    s = await setup({ agent: { clientId: ID } });
    const log = captureLogger();
    const client = new AuthSecClient({
      env: { AUTHSEC_BASE_URL: s.server.url, AUTHSEC_AGENT_CLIENT_ID: `${ID}\r\n` },
      clock: s.clock.now,
      logger: log,
    });
    clients.push(client);
    expect(await client.getDelegationToken()).toBe(s.token);
    expect(log.lines.map((line) => line.message)).toEqual([
      expect.stringMatching(
        /AUTHSEC_AGENT_CLIENT_ID had spaces or a line break around it: trimmed it/,
      ),
    ]);
  });

  it('the stale-token warning holds the code and the jti, never the token', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 }, client: { maxRetries: 0 } });
    const out = spyOnConsole();
    setEnv('NO_COLOR', '1');
    const client = clientFor({ maxRetries: 0 });
    await client.getDelegationToken();
    await s.client.getDelegationToken();
    s.clock.advance(3600 - 30);
    s.server.injectPullFault({ type: 'status', status: 503 }, { times: 2 });
    expect(await client.getDelegationToken()).toBe(s.token);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    const stale = s.log.lines.filter((line) => line.fields?.event === 'token.stale');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({
      level: 'warn',
      fields: { code: 'ERR_AUTHSEC_HTTP', jti: s.server.delegation(s.clientId)?.jti },
    });
    expect(stale[0]?.message).toMatch(/serving the cached token until it expires/);
    const warnings = out.lines('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^\[AuthSec SDK\] \[Warning\] Refreshing the delegation token failed/,
    );
    expect(warnings[0]).toMatch(/\|- JTI +: /);
    expectNoSecrets([s.token], s.log.text(), warnings.join('\n'));
  });

  it('the same-token warning holds the jti and expiry, never the token', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    const out = spyOnConsole();
    setEnv('NO_COLOR', '1');
    const client = clientFor({});
    await client.getDelegationToken();
    await s.client.getDelegationToken();
    s.clock.advance(3600 - 50);
    expect(await client.getDelegationToken()).toBe(s.token);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    const same = s.log.lines.filter((line) => line.fields?.event === 'token.same');
    expect(same).toHaveLength(1);
    expect(same[0]).toMatchObject({
      level: 'warn',
      fields: { jti: s.server.delegation(s.clientId)?.jti, expiresAt: expect.any(String) },
    });
    expect(same[0]?.message).toMatch(/returned the same delegation token/);
    const warnings = out.lines('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^\[AuthSec SDK\] \[Warning\] AuthSec returned the same delegation token/,
    );
    expectNoSecrets([s.token], s.log.text(), warnings.join('\n'));
  });
});

describe('retries and cache hits', () => {
  it('a retry logs [Retry] at info, between [Delegation] and [Success]', async () => {
    s = await setup({ client: { logLevel: 'info' } });
    s.server.injectPullFault({ type: 'status', status: 500 });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.log.lines.map(tagOf)).toEqual([
      'Mode',
      'Init',
      'Delegation',
      'Retry',
      'Success',
      'Token',
    ]);
    const retry = s.log.lines[3];
    expect(retry?.level).toBe('info');
    expect(retry?.message).toBe('[AuthSec SDK] [Retry] Retrying the delegation token pull.');
    expect(retry?.fields).toMatchObject({ event: 'pull.retry', attempt: 2, reason: 'HTTP 500' });
    expectNoSecrets([s.token], s.log.text());
  });

  it('a cache hit logs nothing, even at debug', async () => {
    s = await setup();
    await s.client.getDelegationToken();
    const before = s.log.lines.length;
    for (let i = 0; i < 20; i++) {
      await s.client.getDelegationToken();
      await s.client.getDelegationTokenInfo();
    }
    expect(s.log.lines).toHaveLength(before);
  });
});

describe('NO_COLOR', () => {
  it('a terminal gets ANSI colour in the console transcript without NO_COLOR', async () => {
    pretendTTY();
    setEnv('NO_COLOR', undefined);
    s = await setup();
    const out = spyOnConsole();
    await clientFor({ logLevel: 'info' }).getDelegationToken();
    expect(out.lines('info')[0]).toContain(`${ESC}36m[Mode]${ESC}0m`);
  });

  it('NO_COLOR turns the colour off, even on a terminal', async () => {
    pretendTTY();
    setEnv('NO_COLOR', '1');
    s = await setup();
    const out = spyOnConsole();
    const client = clientFor({ logLevel: 'info' });
    await client.getDelegationToken();
    s.clock.advance(3600 - 50);
    await client.getDelegationToken();
    const lines = out.lines();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) expect(line).not.toContain(ESC);
  });
});
