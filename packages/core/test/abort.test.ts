// Many scopes on one long-lived signal: one event listener, every scope still aborted, nothing left behind.

import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signalScope } from '../src/abort.js';
import { holdUntilRead, readText } from '../src/http-body.js';
import { apiWorld } from './api-world.js';

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** Lets a just-emitted process warning arrive (Node emits them on the next tick). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('signalScope on a long-lived signal', () => {
  it('50 scopes add one listener to the parent, and its abort reaches all 50', async () => {
    const parent = new AbortController();
    const scopes = Array.from({ length: 50 }, () => signalScope([parent.signal]));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('closed'));
    expect(scopes.every((scope) => scope.signal.aborted && scope.cause === 'parent')).toBe(true);
    expect(scopes.every((scope) => (scope.signal.reason as Error).message === 'closed')).toBe(true);
    await tick();
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('leaves no listener once every scope is disposed or released', () => {
    const parent = new AbortController();
    const scopes = Array.from({ length: 20 }, () => signalScope([parent.signal], [60_000]));
    for (const scope of scopes.slice(0, 10)) scope.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    for (const scope of scopes.slice(10)) scope.release(parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(scopes.some((scope) => scope.signal.aborted)).toBe(false);
    for (const scope of scopes) scope.dispose();
  });

  it('a disposed scope is not aborted by a later parent abort, the others are', () => {
    const parent = new AbortController();
    const kept = signalScope([parent.signal]);
    const gone = signalScope([parent.signal]);
    gone.dispose();
    parent.abort();
    expect(kept.signal.aborted).toBe(true);
    expect(gone.signal.aborted).toBe(false);
  });
});

describe("a long-lived follower (a client's own scope on its close signal)", () => {
  it('keeps one listener while scopes come and go one after another, and its abort still reaches them', () => {
    const parent = new AbortController();
    const kept = signalScope([parent.signal]);
    for (let i = 0; i < 10; i++) signalScope([parent.signal], [60_000]).dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    const live = signalScope([parent.signal], [60_000]);
    const released = signalScope([parent.signal]);
    released.release(parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort(new Error('closed'));
    expect(live.signal.aborted).toBe(true);
    expect(live.cause).toBe('parent');
    expect(kept.signal.aborted).toBe(true);
    expect(released.signal.aborted).toBe(false);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });
});

describe('SignalScope.race', () => {
  it('settles like the work while the scope holds, adding no listener to its signal', async () => {
    const scope = signalScope([], [60_000]);
    const raced = scope.race(Promise.resolve('done'));
    expect(getEventListeners(scope.signal, 'abort')).toHaveLength(0);
    await expect(raced).resolves.toBe('done');
    await expect(scope.race(Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    scope.dispose();
  });

  it("rejects with the TimeoutError when the scope's limit passes, and the late failure stays handled", async () => {
    const scope = signalScope([], [20]);
    let fail: (error: Error) => void = () => undefined;
    const work = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const reason = await scope.race(work).catch((error: unknown) => error);
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(scope.cause).toBe('timeout');
    expect(scope.firedLimitMs).toBe(20);
    fail(new Error('late'));
    await tick();
  });

  it("rejects at once with the parent's reason when the parent already aborted", async () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const scope = signalScope([parent.signal], [60_000]);
    await expect(scope.race(new Promise(() => undefined))).rejects.toThrow('gone');
  });

  it('fires the smallest of several limits and reports it', async () => {
    const scope = signalScope([], [60_000, undefined, 15]);
    await expect(scope.race(new Promise(() => undefined))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(scope.firedLimitMs).toBe(15);
  });
});

describe('time limits on the shared timer', () => {
  it('a shorter limit set after a longer one fires at its own time, and the longer one waits', async () => {
    const long = signalScope([], [60_000]);
    const short = signalScope([], [20]);
    await expect(short.race(new Promise(() => undefined))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(short.firedLimitMs).toBe(20);
    expect(long.signal.aborted).toBe(false);
    long.dispose();
  });

  it('a disposed scope never fires, while one set after it does', async () => {
    const gone = signalScope([], [10]);
    gone.dispose();
    const kept = signalScope([], [30]);
    await expect(kept.race(new Promise(() => undefined))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(gone.signal.aborted).toBe(false);
    expect(gone.cause).toBeUndefined();
  });

  it('many scopes with the same limit all fire', async () => {
    const scopes = Array.from({ length: 20 }, () => signalScope([], [25]));
    const outcomes = await Promise.all(
      scopes.map((scope) => scope.race(new Promise(() => undefined)).catch((e: unknown) => e)),
    );
    expect(outcomes.every((e) => (e as DOMException).name === 'TimeoutError')).toBe(true);
    expect(scopes.every((scope) => scope.cause === 'timeout')).toBe(true);
  });
});

describe('SignalScope.recycle', () => {
  it('hands a signal that never aborted to the next scope, which still aborts on its own', async () => {
    const first = signalScope([], [60_000]);
    const signal = first.signal;
    first.recycle();
    const next = signalScope([], [20]);
    expect(next.signal).toBe(signal);
    expect(next.signal.aborted).toBe(false);
    await expect(next.race(new Promise(() => undefined))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(next.signal.aborted).toBe(true);
  });

  it('never hands on a signal that aborted', () => {
    const parent = new AbortController();
    const scope = signalScope([parent.signal]);
    parent.abort();
    scope.recycle();
    const next = signalScope([]);
    expect(next.signal).not.toBe(scope.signal);
    expect(next.signal.aborted).toBe(false);
    next.dispose();
  });

  it('lets a signal serve 16 scopes at most, and a second recycle of one scope changes nothing', () => {
    const seen = new Map<AbortSignal, number>();
    for (let i = 0; i < 40; i++) {
      const scope = signalScope([]);
      seen.set(scope.signal, (seen.get(scope.signal) ?? 0) + 1);
      scope.recycle();
      scope.recycle();
    }
    expect(Math.max(...seen.values())).toBeLessThanOrEqual(16);
    const a = signalScope([]);
    const b = signalScope([]);
    expect(a.signal).not.toBe(b.signal);
    a.dispose();
    b.dispose();
  });

  it('readText ends the scope of a handed-over response once its body is read', async () => {
    const scope = signalScope([], [60_000]);
    const response = new Response('{"ok":true}', {
      headers: { 'content-type': 'application/json', 'content-length': '11' },
    });
    holdUntilRead(response, scope);
    expect(await readText(response, { maxBytes: 100 })).toBe('{"ok":true}');
    // Read to the end: the scope's signal went back to the spares, never aborted.
    const next = signalScope([]);
    expect(next.signal).toBe(scope.signal);
    expect(next.signal.aborted).toBe(false);
    next.dispose();
  });
});

describe('time limits beyond what a timer can hold', () => {
  it('a limit past 2^31 - 1 ms neither fires at once nor spins', async () => {
    const far = signalScope([], [3_000_000_000]);
    const near = signalScope([], [30]);
    await expect(near.race(new Promise(() => undefined))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(far.signal.aborted).toBe(false);
    far.dispose();
    await tick();
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});

describe('a client under concurrency', () => {
  it('30 concurrent requests on one client and one caller signal raise no listener-leak warning', async () => {
    const w = await apiWorld({ api: { routes: { 'GET /api/items': { body: { items: [] } } } } });
    const run = new AbortController();
    await w.client.getDelegationToken();
    const results = await Promise.all(
      Array.from({ length: 30 }, () => w.client.requestJson('/items', { signal: run.signal })),
    );
    expect(results).toEqual(Array(30).fill({ items: [] }));
    await tick();
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});
