// Control characters cannot smuggle a '..' past the path checks: the URL parser drops tab, CR and LF.

import { describe, expect, it } from 'vitest';
import { AuthSecOriginNotAllowedError } from '../src/errors.js';
import { expandPath } from '../src/path-template.js';
import { apiWorld } from './api-world.js';
import { rejection } from './support.js';

describe("'..' hidden behind a tab, CR or LF is refused before anything is sent", () => {
  const sneaky = ['.\t.%2Fadmin', '.\n.%2Fadmin', '%2e\t%2e%2Fadmin', '.\r.%2Fadmin', 'docs/.\t.'];

  it.each(sneaky)('client.fetch and client.request refuse %j and send nothing', async (path) => {
    const w = await apiWorld({ api: { fallback: { body: { ok: true } } } });
    for (const call of [() => w.client.fetch(path), () => w.client.request(path)]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
      expect(error.message).toMatch(/Nothing was sent/);
    }
    expect(w.api.requests).toHaveLength(0);
    expect(w.authsec.pulls).toHaveLength(0);
  });

  it('expandPath keeps such a value inside one segment under the base (tab encoded, CR/LF refused)', async () => {
    const w = await apiWorld({ api: { fallback: { body: { ok: true } } } });
    for (const id of ['.\t.%2Fadmin', '%2e\t%2e%2Fadmin', '.\t.']) {
      await w.client.request(expandPath('/records/{id}', { id }));
    }
    expect(w.api.requests.map((r) => r.path)).toEqual([
      '/api/records/.%09.%252Fadmin',
      '/api/records/%252e%09%252e%252Fadmin',
      '/api/records/.%09.',
    ]);
    for (const id of ['.\n.%2Fadmin', '.\r.%2Fadmin'])
      expect(() => expandPath('/records/{id}', { id })).toThrow(TypeError);
  });

  it('a query value with control characters is sent encoded, on the path asked for', async () => {
    const w = await apiWorld({ api: { fallback: { body: { ok: true } } } });
    await w.client.request('/docs', { query: { q: '.\t.%2Fadmin', r: '%2e\n%2e/x' } });
    expect(w.api.requests).toHaveLength(1);
    expect(w.api.requests[0]?.path).toBe('/api/docs');
    expect(w.api.requests[0]?.query).toEqual({ q: '.\t.%2Fadmin', r: '%2e\n%2e/x' });
  });
});
