// Proves mock mode never starts unnoticed: a warning no log level silences, production in any
// spelling and from either environment, and partial configuration refused.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import type { AuthSecClientOptions } from '../src/config.js';
import { AuthSecConfigError } from '../src/errors.js';
import { captureLogger } from './support.js';

const clients: AuthSecClient[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function start(options: AuthSecClientOptions): AuthSecClient {
  const client = new AuthSecClient(options);
  clients.push(client);
  return client;
}

function configError(options: AuthSecClientOptions): AuthSecConfigError {
  try {
    start(options);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthSecConfigError);
    return error as AuthSecConfigError;
  }
  throw new Error('expected an AuthSecConfigError');
}

describe('the auto-mock warning', () => {
  it.each([
    ['AUTHSEC_LOG_LEVEL=silent', { env: { AUTHSEC_LOG_LEVEL: 'silent' } }],
    ['AUTHSEC_LOG_LEVEL=error', { env: { AUTHSEC_LOG_LEVEL: 'error' } }],
    ["logLevel: 'silent'", { env: {}, logLevel: 'silent' }],
  ] as const)('is printed to stderr (console.warn), one line, with %s', (_label, options) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const client = start({ ...options, logFormat: 'pretty' });
    expect(client.mode).toBe('mock');
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]?.[0]);
    expect(line).toMatch(/^\[AuthSec SDK\] \[Mode\] MOCK: /);
    expect(line).not.toContain('\n');
    expect(line).toContain('AUTHSEC_MODE=mock');
  });

  it("goes to a custom logger's warn even with logLevel: 'silent', and nothing else does", () => {
    const log = captureLogger();
    start({ env: {}, logLevel: 'silent', logger: log });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', fields: { event: 'client.mode' } });
  });

  it('mock allowed in production warns even when silent', () => {
    const log = captureLogger();
    start({
      mode: 'mock',
      allowMockInProduction: true,
      logLevel: 'silent',
      logger: log,
      env: { NODE_ENV: 'production' },
    });
    expect(log.lines.map((l) => l.level)).toEqual(['warn']);
  });

  it('AUTHSEC_MODE=mock, asked for on purpose, stays quiet below info', () => {
    const log = captureLogger();
    start({ env: { AUTHSEC_MODE: 'mock' }, logLevel: 'silent', logger: log });
    expect(log.lines).toHaveLength(0);
  });
});

describe('production', () => {
  it.each(['production', 'Production', 'PRODUCTION', 'prod', 'Prod'])(
    'NODE_ENV=%s never starts auto mock',
    (value) => {
      const error = configError({ env: { NODE_ENV: value }, logLevel: 'silent' });
      expect(error.message).toMatch(/No AuthSec configuration while NODE_ENV=production/);
    },
  );

  it('is read from the process too when options.env has no NODE_ENV', () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const error = configError({ env: {}, logLevel: 'silent' });
      expect(error.message).toMatch(/NODE_ENV=production/);
      expect(() => start({ mode: 'mock', env: {}, logLevel: 'silent' })).toThrow(
        /allowMockInProduction/,
      );
    } finally {
      process.env.NODE_ENV = saved;
    }
  });
});

describe('partial configuration', () => {
  it.each([
    ['DOWNSTREAM_URL', { DOWNSTREAM_URL: 'https://api.internal.example' }],
    ['AUTHSEC_ALLOWED_ORIGINS', { AUTHSEC_ALLOWED_ORIGINS: 'https://api.internal.example' }],
  ])('%s alone is an error naming what is missing and how to ask for mock', (name, env) => {
    const error = configError({ env, logLevel: 'silent' });
    expect(error.message).toContain(name);
    expect(error.message).toContain('AUTHSEC_BASE_URL');
    expect(error.message).toContain('AUTHSEC_AGENT_CLIENT_ID');
    expect(error.message).toContain('AUTHSEC_MODE=mock');
  });

  it('the downstreamUrl and allowedOrigins options alone count too', () => {
    expect(
      configError({ env: {}, downstreamUrl: 'https://api.internal.example' }).message,
    ).toContain('downstreamUrl');
    expect(
      configError({ env: {}, allowedOrigins: ['https://api.internal.example'] }).message,
    ).toContain('allowedOrigins');
  });

  it('with AUTHSEC_MODE=mock a downstream API is allowed: mock on purpose', () => {
    const client = start({
      env: { AUTHSEC_MODE: 'mock', DOWNSTREAM_URL: 'https://api.internal.example' },
      logLevel: 'silent',
    });
    expect(client.mode).toBe('mock');
  });
});
