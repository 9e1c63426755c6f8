// Where requests may go and what they carry: control characters in paths, headers and bodies
// across a redirect to another origin, the loopback rule, and the 401 of a mock token.

import { DownstreamServer } from '@authsec/testing';
import { describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecConfigError, AuthSecHttpError, AuthSecTokenRejectedError } from '../src/errors.js';
import { isLoopbackHostname } from '../src/loopback.js';
import { parseOrigin } from '../src/origins.js';
import { apiWorld, closeAfterTest } from './api-world.js';
import { rejection } from './support.js';

describe('a redirect to another origin carries no credential and no body', () => {
  const headers = {
    cookie: 'session=cookie-secret-value',
    'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
    'x-api-key': 'api-key-secret-value',
    accept: 'text/plain',
    'accept-language': 'fr',
    'user-agent': 'agent-test/1',
  };

  it('drops Cookie, Proxy-Authorization and custom headers; keeps accept, accept-language, user-agent', async () => {
    const w = await apiWorld({ other: { fallback: { body: 'landed' } } });
    w.api.route('GET /api/away', { status: 302, headers: { location: `${w.other.url}/landing` } });
    const res = await w.client.fetch('/away', { headers });
    expect(await res.text()).toBe('landed');
    const landed = w.other.requests[0]?.headers ?? {};
    expect(landed.cookie).toBeUndefined();
    expect(landed['proxy-authorization']).toBeUndefined();
    expect(landed['x-api-key']).toBeUndefined();
    expect(landed.authorization).toBeUndefined();
    expect(landed).toMatchObject({
      accept: 'text/plain',
      'accept-language': 'fr',
      'user-agent': 'agent-test/1',
    });
  });

  it('keeps every header on a same-origin redirect', async () => {
    const w = await apiWorld({ other: { fallback: { body: 'landed' } } });
    w.api.route('GET /api/moved', { status: 301, headers: { location: '/api/docs' } });
    await w.client.fetch('/moved', { headers });
    expect(w.api.requestsTo('/api/docs')[0]?.headers).toMatchObject({
      cookie: headers.cookie,
      'x-api-key': headers['x-api-key'],
    });
  });

  it('a POST turned into a GET by a cross-origin 302 goes without body, content-type or credentials', async () => {
    const w = await apiWorld({ other: { fallback: { body: 'landed' } } });
    w.api.route('POST /api/submit', { status: 302, headers: { location: `${w.other.url}/x` } });
    await w.client.fetch('/submit', {
      method: 'POST',
      body: JSON.stringify({ secret: 'body-secret-value' }),
      headers: { ...headers, 'content-type': 'application/json' },
    });
    const landed = w.other.requests[0];
    expect(landed?.method).toBe('GET');
    expect(landed?.body).toBe('');
    expect(landed?.headers['content-type']).toBeUndefined();
    expect(landed?.headers['x-api-key']).toBeUndefined();
  });

  it('a cross-origin 307/308 of a request with a body is not followed', async () => {
    const w = await apiWorld({ other: { fallback: { body: 'landed' } } });
    w.api.route('POST /api/submit', { status: 307, headers: { location: `${w.other.url}/x` } });
    w.api.route('PUT /api/submit', { status: 308, headers: { location: `${w.other.url}/x` } });
    const body = JSON.stringify({ secret: 'body-secret-value' });
    const res = await w.client.fetch('/submit', { method: 'POST', body, headers });
    expect(res.status).toBe(307);
    const error = await rejection(
      w.client.request('/submit', { method: 'PUT', json: { secret: 'body-secret-value' } }),
    );
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ status: 308, method: 'PUT', path: '/api/submit' });
    expect((error as AuthSecHttpError).hint).toMatch(/another origin/);
    expect(w.other.requests).toHaveLength(0);
  });

  it('a same-origin 307 still resends the body', async () => {
    const w = await apiWorld({ other: { fallback: { body: 'landed' } } });
    w.api.respondOnce('POST /api/submit', { status: 307, headers: { location: '/api/final' } });
    await w.client.fetch('/submit', { method: 'POST', body: 'payload' });
    expect(w.api.requestsTo('/api/final')[0]?.body).toBe('payload');
  });
});

describe('loopback is localhost, 127.0.0.0/8 and [::1]: not localhost. (a DNS name)', () => {
  it('refuses http://localhost. as an origin, a downstreamUrl and a target', async () => {
    expect(isLoopbackHostname('localhost.')).toBe(false);
    expect(isLoopbackHostname('LOCALHOST.')).toBe(false);
    expect(parseOrigin('http://localhost.:8080')).toHaveProperty('problem');
    expect(
      () => new AuthSecClient({ mode: 'mock', downstreamUrl: 'http://localhost.:8080', env: {} }),
    ).toThrow(AuthSecConfigError);
    expect(
      () => new AuthSecClient({ baseUrl: 'http://localhost.:8080', clientId: 'c', env: {} }),
    ).toThrow(AuthSecConfigError);
  });

  it('still counts localhost, 127.0.0.1 (in its other spellings) and [::1]', () => {
    for (const origin of [
      'http://localhost:8080',
      'http://LOCALHOST:8080',
      'http://127.0.0.1:8080',
      'http://127.1:8080',
      'http://127.0.0.1.:8080',
      'http://127.255.255.254',
      'http://[::1]:8080',
      'http://[0:0:0:0:0:0:0:1]:8080',
    ]) {
      expect(parseOrigin(origin), origin).toHaveProperty('origin');
    }
    for (const origin of ['http://api.localhost', 'http://128.0.0.1', 'http://[::2]']) {
      expect(parseOrigin(origin), origin).toHaveProperty('problem');
    }
  });
});

describe('mock mode: a 401 from the API says the token was a mock', () => {
  it('request() names mock mode and how to go live, not an AuthSec admin', async () => {
    const api = await DownstreamServer.start({ fallback: { status: 401, body: { error: 'no' } } });
    closeAfterTest(() => api.close());
    const client = new AuthSecClient({
      mode: 'mock',
      downstreamUrl: api.url,
      env: {},
      logLevel: 'silent',
    });
    closeAfterTest(() => client.close());
    const error = await rejection(client.request('/records'));
    expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
    expect((error as AuthSecTokenRejectedError).hint).toMatch(/mock-mode token/);
    expect((error as AuthSecTokenRejectedError).hint).toMatch(
      /AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID/,
    );
    expect((error as AuthSecTokenRejectedError).hint).not.toMatch(/AuthSec admin/);
  });
});
