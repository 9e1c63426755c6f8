import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient, type AuthSecClientOptions } from '../src/client.js';
import { AuthSecDelegationNotFoundError } from '../src/errors.js';
import { deriveStoreKey, parseStoredToken, serializeTokenFacts } from '../src/shared-token.js';
import { MemoryTokenStore, type TokenStore, type TokenStoreLock } from '../src/token-store.js';
import { STORE_RETRY_MS } from '../src/token-store-link.js';
import { apiWorld } from './api-world.js';
import { captureLogger, expectNoSecrets, manualClock, rejection } from './support.js';

/** A store that records every call and can be told to fail or to find its lock held elsewhere. */
class RecordingStore implements TokenStore {
  readonly calls: string[] = [];
  readonly inner = new MemoryTokenStore();
  readonly keys = new Set<string>();
  readonly ttls: number[] = [];
  failing = false;
  lockHeldElsewhere = false;
  waitTimeoutMs: number | undefined;
  #listeners = new Set<(key: string) => void>();

  #check(name: string, key?: string): void {
    this.calls.push(name);
    if (key !== undefined) this.keys.add(key);
    if (this.failing) throw new Error('store down');
  }
  async get(key: string) {
    this.#check('get', key);
    return this.inner.get(key);
  }
  async set(key: string, value: string, ttlMs: number) {
    this.#check('set', key);
    this.ttls.push(ttlMs);
    return this.inner.set(key, value, ttlMs);
  }
  async delete(key: string) {
    this.#check('delete', key);
    return this.inner.delete(key);
  }
  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    this.#check('acquireLock', key);
    if (this.lockHeldElsewhere) return undefined;
    const lock = await this.inner.acquireLock(key, ttlMs);
    if (lock === undefined) return undefined;
    return {
      release: async () => {
        this.calls.push('release');
        await lock.release();
      },
    };
  }
  async publishInvalidation(key: string) {
    this.#check('publishInvalidation', key);
    for (const listener of this.#listeners) listener(key);
  }
  onInvalidation(listener: (key: string) => void) {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

const servers: AuthSecTestServer[] = [];
const clients: AuthSecClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function world(options: { session?: boolean; ttlSeconds?: number } = {}) {
  const clock = manualClock();
  const server = await AuthSecTestServer.start({
    clock: clock.now,
    ...(options.session && { generation: 'session' as const }),
  });
  servers.push(server);
  const { agent, delegation, session } = await server.createDelegatedAgent({
    ttlSeconds: options.ttlSeconds ?? 3600,
  });
  const make = (extra: Partial<AuthSecClientOptions> = {}) => {
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: server.url,
      clientId: agent.clientId,
      clock: clock.now,
      logger: log,
      logLevel: 'debug',
      env: {},
      ...(options.session && { sessionToken: session.token }),
      ...extra,
    });
    clients.push(client);
    return { client, log };
  };
  return { server, clock, clientId: agent.clientId, token: delegation.token, session, make };
}

describe('TokenStore in the client', () => {
  it('without a store, nothing changes: one client, one pull, memory hits after', async () => {
    const w = await world();
    const { client } = w.make();
    expect(await client.getDelegationToken()).toBe(w.token);
    expect(await client.getDelegationToken()).toBe(w.token);
    expect(w.server.pulls).toHaveLength(1);
  });

  it('two clients sharing a MemoryTokenStore: concurrent calls make one pull', async () => {
    const w = await world();
    const store = new MemoryTokenStore();
    const a = w.make({ store }).client;
    const b = w.make({ store }).client;
    const tokens = await Promise.all([
      a.getDelegationToken(),
      b.getDelegationToken(),
      a.getDelegationToken(),
      b.getDelegationToken(),
    ]);
    expect(new Set(tokens)).toEqual(new Set([w.token]));
    expect(w.server.pulls).toHaveLength(1);
  });

  it('goes memory → get → lock → get → pull → set → release, then serves from memory', async () => {
    const w = await world();
    const store = new RecordingStore();
    const { client } = w.make({ store });
    await client.getDelegationToken();
    expect(store.calls).toEqual(['get', 'acquireLock', 'get', 'set', 'release']);
    await client.getDelegationToken();
    expect(store.calls).toHaveLength(5);
    // A second client reads the shared token: no pull, no lock.
    const other = w.make({ store }).client;
    expect(await other.getDelegationToken()).toBe(w.token);
    expect(store.calls.slice(5)).toEqual(['get']);
    expect(w.server.pulls).toHaveLength(1);
  });

  it('stores the token until its refresh margin: TTL = remaining life − refreshMarginSeconds', async () => {
    const w = await world({ ttlSeconds: 600 });
    const store = new RecordingStore();
    const { client } = w.make({ store, refreshMarginSeconds: 60 });
    await client.getDelegationToken();
    expect(store.ttls).toHaveLength(1);
    const ttl = store.ttls[0] as number;
    expect(ttl).toBeGreaterThan(539_000);
    expect(ttl).toBeLessThanOrEqual(540_000);
  });

  it('never reads a shared token that is inside the refresh margin: it pulls instead', async () => {
    const w = await world({ ttlSeconds: 600 });
    const store = new MemoryTokenStore({ now: w.clock.now });
    await w.make({ store }).client.getDelegationToken();
    w.clock.advance(545); // the store entry lived 540 s
    await w.server.delegate(w.clientId);
    const late = w.make({ store }).client;
    const token = await late.getDelegationToken();
    expect(token).not.toBe(w.token);
    expect(w.server.pulls).toHaveLength(2);
  });

  it('keys by base URL and client id, and by a SHA-256 fingerprint of the session credential, never the credential', async () => {
    const w = await world({ session: true });
    const store = new RecordingStore();
    const { client, log } = w.make({ store });
    await client.getDelegationToken();
    const [key] = [...store.keys];
    expect(key).toBe(
      await deriveStoreKey({
        baseUrl: w.server.url,
        clientId: w.clientId,
        sessionCredential: w.session.token,
      }),
    );
    expect(key).toContain(w.server.url);
    expect(key).toContain(w.clientId);
    expect(key).toMatch(/:s[0-9a-f]{32}$/);
    expect(key).not.toContain(w.session.token);
    // Another session gets another key: it never reads the first session's token.
    const other = await w.server.createSession();
    const second = w.make({ store, sessionToken: other.token });
    await second.client.getDelegationToken();
    expect(store.keys.size).toBe(2);
    expect(w.server.pulls).toHaveLength(2);
    expectNoSecrets([w.session.token, other.token], log.text(), second.log.text());
  });

  it('a sessionToken provider: the key follows the credential it returns', async () => {
    const w = await world({ session: true });
    const store = new RecordingStore();
    let credential = w.session.token;
    const { client } = w.make({ store, sessionToken: () => credential });
    await client.getDelegationToken();
    credential = (await w.server.createSession()).token;
    const other = w.make({ store, sessionToken: () => credential }).client;
    await other.getDelegationToken();
    expect(store.keys.size).toBe(2);
  });

  it('a 404 after a revocation deletes the shared entry and tells the other clients, which drop their copy', async () => {
    const w = await world({ ttlSeconds: 600 });
    const store = new RecordingStore();
    const a = w.make({ store, refreshMarginSeconds: 60 });
    const b = w.make({ store, refreshMarginSeconds: 60 });
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(w.server.pulls).toHaveLength(1);
    w.server.revoke(w.clientId);
    w.clock.advance(545); // inside the refresh margin: a refreshes and learns of the revocation
    const error = await rejection(a.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(store.calls).toContain('delete');
    expect(store.calls).toContain('publishInvalidation');
    expect(b.log.text()).toContain('Another process invalidated');
    // b dropped its copy: its next call pulls and is refused too.
    await expect(b.client.getDelegationToken()).rejects.toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
  });

  it('a token the API rejects (401): the shared entry goes, others hear of it and read the newer token', async () => {
    const w = await apiWorld();
    const store = new RecordingStore();
    const make = () => {
      const log = captureLogger();
      const client = new AuthSecClient({
        baseUrl: w.authsec.url,
        clientId: w.agent.clientId,
        downstreamUrl: `${w.api.url}/api`,
        logger: log,
        logLevel: 'debug',
        env: {},
        store,
      });
      clients.push(client);
      return { client, log };
    };
    const a = make();
    const b = make();
    await a.client.getDelegationToken();
    await b.client.getDelegationToken();
    expect(w.authsec.pulls).toHaveLength(1);
    const next = await w.authsec.delegate(w.agent.clientId);
    w.api.route('GET /api/records', (req) =>
      req.bearer === next.token ? { body: { ok: true } } : { status: 401 },
    );
    expect(await a.client.requestJson('/records')).toEqual({ ok: true });
    expect(w.authsec.pulls).toHaveLength(2);
    expect(store.calls).toContain('delete');
    expect(store.calls).toContain('publishInvalidation');
    expect(b.log.text()).toContain('Another process invalidated');
    // b takes the newer token from the store: no third pull, no 401 first.
    expect(await b.client.requestJson('/records')).toEqual({ ok: true });
    expect(w.authsec.pulls).toHaveLength(2);
    expect(w.api.requests.filter((r) => r.bearer === w.token)).toHaveLength(1);
  });

  it('waits for the lock holder, then pulls itself when no value comes (bounded)', async () => {
    const w = await world();
    const store = new RecordingStore();
    store.lockHeldElsewhere = true;
    store.waitTimeoutMs = 300;
    const { client } = w.make({ store });
    const started = Date.now();
    expect(await client.getDelegationToken()).toBe(w.token);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(10_000);
    expect(store.calls.filter((c) => c === 'acquireLock').length).toBeGreaterThan(1);
    expect(w.server.pulls).toHaveLength(1);
  });

  it('takes a token the lock holder stores while it waits', async () => {
    const w = await world();
    const holder = new MemoryTokenStore();
    const lock = await holder.acquireLock(
      await deriveStoreKey({ baseUrl: w.server.url, clientId: w.clientId }),
      60_000,
    );
    const { client } = w.make({ store: holder });
    const pending = client.getDelegationToken();
    // Another process finishes its pull and shares it.
    const other = new AuthSecClient({ baseUrl: w.server.url, clientId: w.clientId, env: {} });
    clients.push(other);
    const facts = await other.getDelegationTokenInfo();
    const key = await deriveStoreKey({ baseUrl: w.server.url, clientId: w.clientId });
    await holder.set(key, serializeTokenFacts(facts), 600_000);
    await lock?.release();
    expect(await pending).toBe(w.token);
    expect(w.server.pulls).toHaveLength(1);
  });

  it('a failing store: calls still succeed, one warning per outage, one info line when it answers again', async () => {
    const w = await world();
    const store = new RecordingStore();
    store.failing = true;
    const a = w.make({ store });
    expect(await a.client.getDelegationToken()).toBe(w.token);
    a.client.invalidate();
    expect(await a.client.getDelegationToken()).toBe(w.token);
    a.client.invalidate();
    expect(await a.client.getDelegationToken()).toBe(w.token);
    const warnings = a.log.lines.filter((l) => l.message.includes('shared token store failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe('warn');
    store.failing = false;
    w.clock.advance(STORE_RETRY_MS / 1000 + 1);
    a.client.invalidate();
    expect(await a.client.getDelegationToken()).toBe(w.token);
    const recovered = a.log.lines.filter(
      (l) => l.level === 'info' && l.message.includes('answers again'),
    );
    expect(recovered).toHaveLength(1);
    store.failing = true;
    a.client.invalidate();
    await a.client.getDelegationToken();
    expect(a.log.lines.filter((l) => l.message.includes('shared token store failed'))).toHaveLength(
      2,
    );
  });

  it('a store that never answers is bounded by timeoutMs', async () => {
    const w = await world();
    const hanging: TokenStore = {
      get: () => new Promise(() => undefined),
      set: () => new Promise(() => undefined),
      delete: () => new Promise(() => undefined),
    };
    const { client, log } = w.make({ store: hanging, timeoutMs: 300 });
    const started = Date.now();
    expect(await client.getDelegationToken()).toBe(w.token);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('an unreadable or foreign stored value is a miss with a warning, not an error', async () => {
    const w = await world();
    const store = new MemoryTokenStore();
    const key = await deriveStoreKey({ baseUrl: w.server.url, clientId: w.clientId });
    await store.set(key, 'not json', 60_000);
    const { client, log } = w.make({ store });
    expect(await client.getDelegationToken()).toBe(w.token);
    const unreadable = () =>
      log.lines.filter((l) => l.level === 'warn' && l.message.includes('cannot read'));
    expect(unreadable()).toHaveLength(1);
    // Still unreadable at the next miss: the same streak, no second warning.
    await store.set(key, '{"v":99}', 60_000);
    client.invalidate();
    expect(await client.getDelegationToken()).toBe(w.token);
    expect(unreadable()).toHaveLength(1);
    const info = await client.getDelegationTokenInfo();
    expect(parseStoredToken(serializeTokenFacts(info), w.clientId)?.token).toBe(w.token);
    expect(
      parseStoredToken(
        serializeTokenFacts(await client.getDelegationTokenInfo()),
        '00000000-0000-4000-8000-000000000000',
      ),
    ).toBeUndefined();
  });

  it('mock mode never uses the store', async () => {
    const store = new RecordingStore();
    const client = new AuthSecClient({ mode: 'mock', store, env: {}, logLevel: 'silent' });
    clients.push(client);
    await client.getDelegationToken();
    expect(store.calls).toEqual([]);
  });

  it('a store that is not one is an AuthSecConfigError', () => {
    expect(
      () =>
        new AuthSecClient({
          baseUrl: 'http://127.0.0.1:1',
          clientId: '00000000-0000-4000-8000-000000000000',
          env: {},
          store: { get: 1 } as unknown as TokenStore,
        }),
    ).toThrow(/store must be a TokenStore/);
  });
});
