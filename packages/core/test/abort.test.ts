// Many scopes on one long-lived signal: one event listener, every scope still aborted, nothing left behind.

import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signalScope } from '../src/abort.js';
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
