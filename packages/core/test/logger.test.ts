// Proves the SDK logger's level filter, redaction before every sink, layouts, colour and safety.

import { SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthSecUnauthenticatedError } from '../src/errors.js';
import {
  createSdkLogger,
  defaultColor,
  isLogLevel,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  type SdkLoggerOptions,
} from '../src/logger.js';
import { fingerprint } from '../src/redact.js';
import { sharedRsaKeyPair } from './keys.js';

type EntryLevel = Exclude<LogLevel, 'silent'>;

const ENTRY_LEVELS: readonly EntryLevel[] = ['error', 'warn', 'info', 'debug'];
const JTI = '2f1c9a52-7d3e-4b8a-9c1f-5e6d7a8b9c0d';
const ESC = '\u001b[';
const FIXED_TIME = Date.UTC(2030, 0, 2, 3, 4, 5, 678);

let token: string;
let signature: string;
let marker: string;

beforeAll(async () => {
  const { privateKey } = await sharedRsaKeyPair();
  token = await new SignJWT({ permissions: ['files:read'] })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setJti(JTI)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  const segment = token.split('.')[2];
  if (segment === undefined) throw new Error('unsigned token');
  signature = segment;
  marker = `[jwt ${token.slice(0, 12)}… (jti ${JTI.slice(0, 8)})]`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

function recordingLogger() {
  return {
    error: vi.fn<Logger['error']>(),
    warn: vi.fn<Logger['warn']>(),
    info: vi.fn<Logger['info']>(),
    debug: vi.fn<Logger['debug']>(),
  };
}

/** Spies on the four console methods; each call's arguments are kept, nothing is printed. */
function captureConsole() {
  const silence = () => {};
  return {
    error: vi.spyOn(console, 'error').mockImplementation(silence),
    warn: vi.spyOn(console, 'warn').mockImplementation(silence),
    info: vi.spyOn(console, 'info').mockImplementation(silence),
    debug: vi.spyOn(console, 'debug').mockImplementation(silence),
  };
}

/** The only console line written, failing if there was not exactly one. */
function onlyLine(spies: ReturnType<typeof captureConsole>): string {
  const calls = Object.values(spies).flatMap((spy) => spy.mock.calls);
  expect(calls).toHaveLength(1);
  const [args] = calls;
  expect(args).toHaveLength(1);
  const line = args?.[0];
  if (typeof line !== 'string') throw new Error('console was not called with a string');
  return line;
}

function consoleLogger(options: Partial<SdkLoggerOptions> = {}) {
  return createSdkLogger({ level: 'debug', format: 'pretty', color: false, ...options });
}

describe('levels', () => {
  it('lists the levels from quietest to loudest', () => {
    expect(LOG_LEVELS).toEqual(['silent', 'error', 'warn', 'info', 'debug']);
    expect(Object.isFrozen(LOG_LEVELS)).toBe(true);
  });

  it.each(['silent', 'error', 'warn', 'info', 'debug'])('recognises %s as a level', (value) => {
    expect(isLogLevel(value)).toBe(true);
  });

  it.each(['', 'DEBUG', ' info', 'verbose', 'trace', 'warning', 'toString'])(
    'rejects %j as a level',
    (value) => {
      expect(isLogLevel(value)).toBe(false);
    },
  );

  it('exposes the configured level', () => {
    expect(createSdkLogger({ level: 'info', format: 'json' }).level).toBe('info');
  });

  it('falls back to warn when plain JavaScript passes an unknown level', () => {
    const logger = createSdkLogger({ level: 'loud' as LogLevel, format: 'pretty' });
    expect(logger.level).toBe('warn');
    expect(logger.enabled('warn')).toBe(true);
    expect(logger.enabled('info')).toBe(false);
  });
});

describe('level filtering', () => {
  const expectations: [LogLevel, EntryLevel[]][] = [
    ['silent', []],
    ['error', ['error']],
    ['warn', ['error', 'warn']],
    ['info', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
  ];

  it.each(expectations)('at level %s, emits exactly %j', (level, emitted) => {
    const sink = recordingLogger();
    const logger = createSdkLogger({ level, format: 'pretty', logger: sink });
    for (const entryLevel of ENTRY_LEVELS) {
      logger.log(entryLevel, 'Token', 'test.event', `a ${entryLevel} entry`);
    }
    for (const entryLevel of ENTRY_LEVELS) {
      expect(sink[entryLevel]).toHaveBeenCalledTimes(emitted.includes(entryLevel) ? 1 : 0);
    }
  });

  it.each(expectations)('at level %s, enabled() is true exactly for %j', (level, emitted) => {
    const logger = createSdkLogger({ level, format: 'json' });
    for (const entryLevel of ENTRY_LEVELS) {
      expect(logger.enabled(entryLevel)).toBe(emitted.includes(entryLevel));
    }
  });

  it('at level silent, writes nothing to the console either', () => {
    const spies = captureConsole();
    const logger = createSdkLogger({ level: 'silent', format: 'pretty' });
    for (const entryLevel of ENTRY_LEVELS) logger.log(entryLevel, 'Error', 'e', 'nothing');
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
  });

  it('never reads the fields of a disabled entry', () => {
    const sink = recordingLogger();
    const logger = createSdkLogger({ level: 'warn', format: 'json', logger: sink });
    const read = vi.fn(() => 'value');
    const fields = {
      get expensive() {
        return read();
      },
    };
    logger.log('debug', 'Cache', 'cache.hit', 'Cache hit.', fields);
    expect(read).not.toHaveBeenCalled();
    logger.log('warn', 'Cache', 'cache.hit', 'Cache hit.', fields);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('treats a level outside the type, such as silent, as disabled', () => {
    const sink = recordingLogger();
    const logger = createSdkLogger({ level: 'debug', format: 'pretty', logger: sink });
    logger.log('silent' as EntryLevel, 'Token', 'e', 'm');
    expect(logger.enabled('silent' as EntryLevel)).toBe(false);
    expect(logger.enabled('toString' as EntryLevel)).toBe(false);
    for (const fn of Object.values(sink)) expect(fn).not.toHaveBeenCalled();
  });
});

describe('console sink', () => {
  it.each(ENTRY_LEVELS)('writes a %s entry with console.%s', (level) => {
    const spies = captureConsole();
    consoleLogger().log(level, 'Token', 'e', 'message');
    for (const entryLevel of ENTRY_LEVELS) {
      expect(spies[entryLevel]).toHaveBeenCalledTimes(entryLevel === level ? 1 : 0);
    }
  });

  it.each(['pretty', 'json'] as const)(
    'in %s format, writes one console call per entry',
    (format) => {
      const spies = captureConsole();
      consoleLogger({ format }).log('info', 'Init', 'client.init', 'Hello.', {
        baseUrl: 'https://prod.api.authsec.ai',
        clientId: 'c',
        permissions: ['a', 'b'],
      });
      onlyLine(spies);
    },
  );
});

describe('pretty format', () => {
  it('prints the client.init entry as the seed did', () => {
    const spies = captureConsole();
    consoleLogger({ level: 'info' }).log(
      'info',
      'Init',
      'client.init',
      'AuthSec client initialised.',
      { baseUrl: 'https://prod.api.authsec.ai', clientId: 'fe6d5a81-…' },
    );
    expect(onlyLine(spies)).toBe(
      '[AuthSec SDK] [Init] AuthSec client initialised.\n' +
        '   |- Base URL  : https://prod.api.authsec.ai\n' +
        '   |- Client ID : fe6d5a81-…',
    );
  });

  it('shows a token field that already holds a fingerprint as that fingerprint', () => {
    const spies = captureConsole();
    consoleLogger().log('info', 'Success', 'token.acquired', 'LIVE delegation token acquired.', {
      token: fingerprint(token),
      jti: JTI,
    });
    expect(onlyLine(spies)).toBe(
      '[AuthSec SDK] [Success] LIVE delegation token acquired.\n' +
        `   |- Token : ${token.slice(0, 12)}… (jti 2f1c9a52)\n` +
        `   |- JTI   : ${JTI}`,
    );
  });

  it('prints only the header line when there are no fields', () => {
    const spies = captureConsole();
    consoleLogger().log('info', 'Mode', 'mode', 'Running in mock mode.');
    expect(onlyLine(spies)).toBe('[AuthSec SDK] [Mode] Running in mock mode.');
  });

  it('labels every known field and aligns all of them to the longest label', () => {
    const spies = captureConsole();
    consoleLogger().log('debug', 'Delegation', 'delegation.ok', 'Delegation received.', {
      baseUrl: 'https://api.example',
      clientId: 'c-1',
      token,
      jti: 'j-1',
      expiresAt: '2030-01-01T00:00:00.000Z',
      permissions: ['files:read', 'files:write'],
      audience: 'api://files',
      mode: 'live',
      status: 200,
      code: 'ERR_AUTHSEC_HTTP',
      hint: 'none',
      attempt: 2,
      delayMs: 250,
      path: '/delegation',
      spiffeId: 'spiffe://example.org/agent',
    });
    expect(onlyLine(spies)).toBe(
      [
        '[AuthSec SDK] [Delegation] Delegation received.',
        '   |- Base URL    : https://api.example',
        '   |- Client ID   : c-1',
        `   |- Token       : ${marker}`,
        '   |- JTI         : j-1',
        '   |- Expires     : 2030-01-01T00:00:00.000Z',
        '   |- Permissions : files:read, files:write',
        '   |- Audience    : api://files',
        '   |- Mode        : live',
        '   |- Status      : 200',
        '   |- Code        : ERR_AUTHSEC_HTTP',
        '   |- Hint        : none',
        '   |- Attempt     : 2',
        '   |- Delay (ms)  : 250',
        '   |- Path        : /delegation',
        '   |- SPIFFE ID   : spiffe://example.org/agent',
      ].join('\n'),
    );
  });

  it('prints unknown keys as they are, objects as compact JSON and skips undefined values', () => {
    const spies = captureConsole();
    consoleLogger().log('info', 'Cache', 'cache.store', 'Stored.', {
      ttlSeconds: 300,
      details: { hit: false, keys: ['a'] },
      missing: undefined,
      none: null,
      items: [{ a: 1 }, 'b', 3],
      empty: [],
    });
    expect(onlyLine(spies)).toBe(
      [
        '[AuthSec SDK] [Cache] Stored.',
        '   |- ttlSeconds : 300',
        '   |- details    : {"hit":false,"keys":["a"]}',
        '   |- none       : null',
        '   |- items      : {"a":1}, b, 3',
        '   |- empty      : (none)',
      ].join('\n'),
    );
  });

  it('prints an error field as its safe summary', () => {
    const spies = captureConsole();
    const error = new AuthSecUnauthenticatedError(`Session ${token} rejected.`, {
      hint: 'Log in again.',
      cause: { token },
    });
    consoleLogger().log('error', 'Error', 'token.error', 'Could not get a token.', { error });
    const summary = JSON.stringify({
      name: 'AuthSecUnauthenticatedError',
      code: 'ERR_AUTHSEC_UNAUTHENTICATED',
      message: `Session ${marker} rejected.`,
      hint: 'Log in again.',
    });
    expect(onlyLine(spies)).toBe(
      `[AuthSec SDK] [Error] Could not get a token.\n   |- error : ${summary}`,
    );
  });

  it('indents continuation lines of a multi-line value so they cannot pass for an entry', () => {
    const spies = captureConsole();
    consoleLogger().log('warn', 'Warning', 'w', 'Odd answer.', {
      path: '/x',
      detail: 'line one\n[AuthSec SDK] [Success] forged',
    });
    expect(onlyLine(spies)).toBe(
      '[AuthSec SDK] [Warning] Odd answer.\n' +
        '   |- Path   : /x\n' +
        '   |- detail : line one\n' +
        '               [AuthSec SDK] [Success] forged',
    );
  });
});

describe('json format', () => {
  it('writes one parseable line with level, event, time, tag, message and the fields', () => {
    const spies = captureConsole();
    createSdkLogger({ level: 'info', format: 'json', now: () => FIXED_TIME }).log(
      'info',
      'Init',
      'client.init',
      'AuthSec client initialised.',
      { baseUrl: 'https://prod.api.authsec.ai', permissions: ['a'], attempt: 1 },
    );
    const line = onlyLine(spies);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      level: 'info',
      event: 'client.init',
      time: '2030-01-02T03:04:05.678Z',
      tag: 'Init',
      message: 'AuthSec client initialised.',
      baseUrl: 'https://prod.api.authsec.ai',
      permissions: ['a'],
      attempt: 1,
    });
    expect(Object.keys(JSON.parse(line) as object).slice(0, 5)).toEqual([
      'level',
      'event',
      'time',
      'tag',
      'message',
    ]);
  });

  it('keeps level, event, time, tag and message when a field has the same name', () => {
    const spies = captureConsole();
    createSdkLogger({ level: 'warn', format: 'json', now: () => FIXED_TIME }).log(
      'warn',
      'Retry',
      'http.retry',
      'Retrying.',
      { level: 'x', event: 'x', time: 'x', tag: 'x', message: 'x', attempt: 2 },
    );
    expect(JSON.parse(onlyLine(spies))).toEqual({
      level: 'warn',
      event: 'http.retry',
      time: '2030-01-02T03:04:05.678Z',
      tag: 'Retry',
      message: 'Retrying.',
      attempt: 2,
    });
  });

  it('uses the real clock when the injected one answers something that is not a time', () => {
    const spies = captureConsole();
    createSdkLogger({ level: 'info', format: 'json', now: () => Number.NaN }).log(
      'info',
      'Token',
      'e',
      'm',
    );
    const { time } = JSON.parse(onlyLine(spies)) as { time: string };
    expect(Math.abs(Date.parse(time) - Date.now())).toBeLessThan(60_000);
  });
});

describe('colour', () => {
  const cases: [EntryLevel, Parameters<ReturnType<typeof createSdkLogger>['log']>[1], string][] = [
    ['info', 'Success', '32'],
    ['error', 'Error', '31'],
    ['error', 'Token', '31'],
    ['warn', 'Warning', '33'],
    ['info', 'MOCK FALLBACK', '33'],
    ['warn', 'Retry', '33'],
    ['info', 'Init', '36'],
    ['debug', 'Cache', '36'],
  ];

  it.each(cases)('colours a %s [%s] tag with ANSI %s when color is true', (level, tag, code) => {
    const spies = captureConsole();
    consoleLogger({ color: true }).log(level, tag, 'e', 'Message.', { status: 200 });
    expect(onlyLine(spies)).toBe(
      `[AuthSec SDK] ${ESC}${code}m[${tag}]${ESC}0m Message.\n   |- Status : 200`,
    );
  });

  it('writes no ANSI escape when color is false', () => {
    const spies = captureConsole();
    consoleLogger({ color: false }).log('error', 'Error', 'e', 'Failed.', { status: 500 });
    expect(onlyLine(spies)).not.toContain(ESC);
  });

  it('never writes colour in json format, even when color is true', () => {
    const spies = captureConsole();
    consoleLogger({ format: 'json', color: true }).log('info', 'Success', 'e', 'Done.');
    expect(onlyLine(spies)).not.toContain(ESC);
  });

  it('never sends colour to a user logger, even when color is true', () => {
    const sink = recordingLogger();
    consoleLogger({ color: true, logger: sink }).log('info', 'Success', 'e', 'Done.');
    expect(sink.info).toHaveBeenCalledWith('[AuthSec SDK] [Success] Done.', {
      event: 'e',
      tag: 'Success',
    });
  });

  it('uses defaultColor() when color is not given, so NO_COLOR turns colour off', () => {
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const spies = captureConsole();
      createSdkLogger({ level: 'info', format: 'pretty' }).log('info', 'Success', 'e', 'Done.');
      expect(onlyLine(spies)).toBe('[AuthSec SDK] [Success] Done.');
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});

describe('user logger', () => {
  it('receives the plain text and { event, tag, ...fields }, whatever the format', () => {
    for (const format of ['pretty', 'json'] as const) {
      const sink = recordingLogger();
      createSdkLogger({ level: 'info', format, logger: sink }).log(
        'info',
        'Init',
        'client.init',
        'AuthSec client initialised.',
        { baseUrl: 'https://prod.api.authsec.ai', clientId: 'c-1' },
      );
      expect(sink.info).toHaveBeenCalledExactlyOnceWith(
        '[AuthSec SDK] [Init] AuthSec client initialised.',
        {
          event: 'client.init',
          tag: 'Init',
          baseUrl: 'https://prod.api.authsec.ai',
          clientId: 'c-1',
        },
      );
    }
  });

  it('is called as a method, so a class-based logger keeps its this', () => {
    const lines: string[] = [];
    class PrefixLogger implements Logger {
      readonly prefix = 'app';
      error(message: string) {
        lines.push(`${this.prefix} ${message}`);
      }
      warn(message: string) {
        lines.push(`${this.prefix} ${message}`);
      }
      info(message: string) {
        lines.push(`${this.prefix} ${message}`);
      }
      debug(message: string) {
        lines.push(`${this.prefix} ${message}`);
      }
    }
    createSdkLogger({ level: 'debug', format: 'pretty', logger: new PrefixLogger() }).log(
      'debug',
      'Cache',
      'cache.miss',
      'Cache miss.',
    );
    expect(lines).toEqual(['app [AuthSec SDK] [Cache] Cache miss.']);
  });

  it('does not write to the console', () => {
    const spies = captureConsole();
    consoleLogger({ logger: recordingLogger() }).log('error', 'Error', 'e', 'Failed.');
    for (const spy of Object.values(spies)) expect(spy).not.toHaveBeenCalled();
  });

  it('keeps event and tag when a field has the same name', () => {
    const sink = recordingLogger();
    consoleLogger({ logger: sink }).log('info', 'Token', 'token.ok', 'OK.', {
      event: 'forged',
      tag: 'forged',
      jti: 'j',
    });
    expect(sink.info).toHaveBeenCalledWith('[AuthSec SDK] [Token] OK.', {
      event: 'token.ok',
      tag: 'Token',
      jti: 'j',
    });
  });

  it('does not let a throwing user logger throw out of log()', () => {
    const sink = recordingLogger();
    sink.error.mockImplementation(() => {
      throw new Error('sink down');
    });
    const logger = consoleLogger({ logger: sink });
    expect(() => logger.log('error', 'Error', 'e', 'Failed.', { token })).not.toThrow();
    expect(sink.error).toHaveBeenCalledOnce();
  });

  it('does not let a user logger without the level’s method throw out of log()', () => {
    const partial = { info: vi.fn() } as unknown as Logger;
    expect(() => consoleLogger({ logger: partial }).log('debug', 'Cache', 'e', 'm')).not.toThrow();
  });

  it('does not let a throwing console throw out of log()', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {
      throw new Error('stream closed');
    });
    expect(() => consoleLogger().log('warn', 'Warning', 'e', 'm')).not.toThrow();
  });
});

describe('redaction before any sink', () => {
  function dangerousEntry(logger: ReturnType<typeof createSdkLogger>): void {
    logger.log('error', 'Error', 'token.error', `Request with Bearer ${token} failed.`, {
      token,
      accessToken: 'opaque-access-token-value',
      authorization: `Bearer ${token}`,
      url: new URL(`https://agent:pw@api.example/delegation?token=${token}`),
      note: `free text ${token}`,
      nested: { list: [token, new Map([['jwt', token]])] },
      error: Object.assign(new Error(`failed for ${token}`), {
        request: { headers: { authorization: `Bearer ${token}` } },
        cause: token,
      }),
      jti: JTI,
    });
  }

  it('gives a user logger redacted text and fields, never the token or its signature', () => {
    const sink = recordingLogger();
    dangerousEntry(consoleLogger({ logger: sink }));
    expect(sink.error).toHaveBeenCalledOnce();
    const [text, fields] = sink.error.mock.calls[0] ?? [];
    expect(text).toBe(`[AuthSec SDK] [Error] Request with Bearer ${marker} failed.`);
    expect(fields).toMatchObject({
      event: 'token.error',
      tag: 'Error',
      token: marker,
      accessToken: '[redacted]',
      authorization: '[redacted]',
      url: 'https://api.example/delegation',
      note: `free text ${marker}`,
      nested: { list: [marker, [['jwt', marker]]] },
      error: { name: 'Error', message: `failed for ${marker}` },
      jti: JTI,
    });
    const everything = JSON.stringify(sink.error.mock.calls);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(signature);
    expect(everything).not.toContain('opaque-access-token-value');
    expect(everything).not.toContain('agent:pw');
  });

  it.each(['pretty', 'json'] as const)(
    'never writes the token or its signature to the console in %s format',
    (format) => {
      const spies = captureConsole();
      dangerousEntry(consoleLogger({ format, color: true }));
      const line = onlyLine(spies);
      expect(line).toContain(marker);
      expect(line).not.toContain(token);
      expect(line).not.toContain(signature);
      expect(line).not.toContain('opaque-access-token-value');
    },
  );

  it('does not modify the fields object it is given', () => {
    const fields = { token, list: [token] };
    consoleLogger({ logger: recordingLogger() }).log('info', 'Token', 'e', 'm', fields);
    expect(fields).toEqual({ token, list: [token] });
  });
});

describe('defaultColor', () => {
  function withEnvironment(noColor: string | undefined, isTTY: boolean, run: () => void): void {
    const savedNoColor = process.env.NO_COLOR;
    const savedTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
    Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
    try {
      run();
    } finally {
      if (savedNoColor === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = savedNoColor;
      if (savedTTY === undefined) Reflect.deleteProperty(process.stderr, 'isTTY');
      else Object.defineProperty(process.stderr, 'isTTY', savedTTY);
    }
  }

  it('is false when NO_COLOR is set, even on a TTY', () => {
    withEnvironment('1', true, () => expect(defaultColor()).toBe(false));
  });

  it('is true on a TTY when NO_COLOR is unset', () => {
    withEnvironment(undefined, true, () => expect(defaultColor()).toBe(true));
  });

  it('treats an empty NO_COLOR as unset, as no-color.org says', () => {
    withEnvironment('', true, () => expect(defaultColor()).toBe(true));
  });

  it('is false when stderr is not a TTY', () => {
    withEnvironment(undefined, false, () => expect(defaultColor()).toBe(false));
  });

  it('is false where process does not exist', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'process');
    if (saved === undefined) throw new Error('expected a process global under Node');
    Reflect.deleteProperty(globalThis, 'process');
    let answer: boolean | undefined;
    try {
      answer = defaultColor();
    } finally {
      Object.defineProperty(globalThis, 'process', saved);
    }
    expect(answer).toBe(false);
  });

  it('is false when reading the environment throws, as in Deno without --allow-env', () => {
    const env = new Proxy(
      {},
      {
        get() {
          throw new Error('PermissionDenied');
        },
      },
    );
    const spy = vi.spyOn(process, 'env', 'get').mockReturnValue(env);
    try {
      expect(defaultColor()).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});
