import { describe, expect, it } from 'vitest';
import {
  type Env,
  numberWhere,
  oneOf,
  POSITIVE_MS,
  readEnv,
  readRawEnv,
  SettingsReader,
} from '../src/env.js';
import { AuthSecConfigError } from '../src/errors.js';
import { rejection } from './support.js';

interface Options {
  timeoutMs?: unknown;
  mode?: unknown;
  spiffeId?: unknown;
  baseUrl?: unknown;
  fetch?: typeof fetch;
  env?: Env;
}

const reader = (options: Options) => new SettingsReader(options);
const TIMEOUT = { env: 'X_TIMEOUT_MS', fallback: 100, ...POSITIVE_MS };
const MODE = {
  env: 'X_MODE',
  fallback: 'auto',
  expected: "'auto' or 'live'",
  parse: oneOf(['auto', 'live']),
  caseInsensitive: true,
  showValue: true,
};

describe('readEnv', () => {
  it('trims, and reads empty, blank or non-string values as unset', () => {
    const env = { A: ' a \n', B: '', C: '   ', D: undefined };
    expect(readEnv('A', env)).toBe('a');
    expect(readRawEnv('A', env)).toBe(' a \n');
    for (const name of ['B', 'C', 'D', 'E']) {
      expect(readEnv(name, env)).toBeUndefined();
      expect(readRawEnv(name, env)).toBeUndefined();
    }
  });
});

describe('SettingsReader', () => {
  it('takes the option, then the env var, then the fallback', () => {
    const env = { X_TIMEOUT_MS: '250' };
    expect(reader({ timeoutMs: 5, env }).setting('timeoutMs', TIMEOUT)).toBe(5);
    expect(reader({ env }).setting('timeoutMs', TIMEOUT)).toBe(250);
    expect(reader({ env: {} }).setting('timeoutMs', TIMEOUT)).toBe(100);
  });

  it('treats undefined, null and (where an env var exists) a blank string option as not given', () => {
    const env = { X_MODE: 'live', X_TIMEOUT_MS: '7' };
    for (const mode of [undefined, null, '', '  ']) {
      expect(reader({ mode, env }).setting('mode', MODE)).toBe('live');
    }
    expect(reader({ timeoutMs: null, env }).setting('timeoutMs', TIMEOUT)).toBe(7);
    // Without an env var, a blank string is a value, and is judged as one.
    const s = reader({ spiffeId: '' });
    const spiffe = { fallback: undefined, expected: 'a non-empty string', parse: () => undefined };
    expect(s.setting('spiffeId', spiffe)).toBeUndefined();
    expect(s.problems).toEqual(['spiffeId must be a non-empty string']);
  });

  it('lower-cases env values of a case-insensitive setting, never options', () => {
    expect(reader({ env: { X_MODE: 'LIVE' } }).setting('mode', MODE)).toBe('live');
    const s = reader({ mode: 'LIVE', env: {} });
    expect(s.setting('mode', MODE)).toBe('auto');
    expect(s.problems).toEqual([
      "mode must be 'auto' or 'live' (got 'LIVE'): pass `mode` or set X_MODE",
    ]);
  });

  it('collects a problem naming option and env var for each unusable value, and goes on with the fallback', () => {
    const s = reader({ mode: 'x'.repeat(40), env: { X_TIMEOUT_MS: 'soon' } });
    expect(s.setting('timeoutMs', TIMEOUT)).toBe(100);
    expect(s.setting('mode', MODE)).toBe('auto');
    expect(s.problems).toEqual([
      'timeoutMs must be a positive number of milliseconds: pass `timeoutMs` or set X_TIMEOUT_MS',
      `mode must be 'auto' or 'live' (got '${'x'.repeat(20)}'): pass \`mode\` or set X_MODE`,
    ]);
    const error = ((): AuthSecConfigError => {
      try {
        s.done({}, 'See the README.');
      } catch (caught) {
        return caught as AuthSecConfigError;
      }
      throw new Error('expected an AuthSecConfigError');
    })();
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error.code).toBe('ERR_AUTHSEC_CONFIG');
    expect(error.problems).toEqual(s.problems);
    expect(error.hint).toBe('See the README.');
  });

  it('parses numbers from env with Number() but takes options only as numbers', () => {
    const parse = numberWhere((n) => n >= 0);
    expect(parse(' 1.5 '.trim(), 'env')).toBe(1.5);
    expect(parse('0x10', 'env')).toBe(16);
    expect(parse('10', 'option')).toBeUndefined();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(parse(bad, 'option')).toBeUndefined();
    }
  });

  it('warns instead of failing for a setting whose bad value must not stop the agent', () => {
    const s = reader({ mode: 'loud', env: {} });
    const level = { ...MODE, fallback: 'auto', expected: 'auto or live', unknown: 'level' };
    expect(s.setting('mode', level)).toBe('auto');
    expect(s.problems).toEqual([]);
    expect(s.warnings).toEqual([
      "Unknown level 'loud' (mode / X_MODE): using 'auto'. Use auto or live.",
    ]);
  });

  it('refuses a server URL option of the wrong type without falling back to the env var', () => {
    const rules = { option: 'baseUrl', env: 'X_BASE_URL', expected: 'a server' };
    const s = reader({ baseUrl: 5, env: { X_BASE_URL: 'https://ok.example' } });
    expect(s.serverUrl(s.read('baseUrl', 'X_BASE_URL'), rules)).toBeUndefined();
    expect(s.problems).toEqual(['baseUrl must be a string: pass `baseUrl` or set X_BASE_URL']);
    const fromEnv = reader({ env: { X_BASE_URL: ' https://ok.example// ' } });
    expect(fromEnv.serverUrl(fromEnv.read('baseUrl', 'X_BASE_URL'), rules)).toBe(
      'https://ok.example',
    );
    expect(
      reader({ env: { X_BASE_URL: 'https://ok.example' } }).read('baseUrl', 'X_BASE_URL', false),
    ).toBeUndefined();
  });

  it('without a usable fetch, adds a problem when one is needed and hands out a fetch that rejects', async () => {
    const s = reader({ fetch: 5 as unknown as typeof fetch });
    const unusable = s.fetch(false);
    expect(s.problems).toEqual([]);
    s.fetch(true);
    expect(s.problems).toEqual(['This runtime has no global fetch: pass `fetch`']);
    expect(await rejection(unusable('https://x.example'))).toBeInstanceOf(AuthSecConfigError);
    expect(reader({}).fetch(true)).toBe(globalThis.fetch);
  });

  it('reads process.env when no env is given', () => {
    expect(reader({}).env).toBe(process.env);
    const env = {};
    expect(reader({ env }).env).toBe(env);
  });
});
