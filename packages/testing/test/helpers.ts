// Shared helpers for the server's tests: plain fetch calls against a running emulator.

import type { AuthSecTestServer } from '../src/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function call(url: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: tests look at text
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function pull(
  server: AuthSecTestServer,
  clientId: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(server.pullUrl(clientId), {
    headers: { accept: 'application/json', 'x-client-id': clientId, ...headers },
  });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function admin(
  server: AuthSecTestServer,
  clientId: string,
  action: 'delegate-token' | 'revoke-token',
  sessionToken: string | undefined,
  body: unknown = {},
): Promise<Answer> {
  return call(`${server.url}/authsec/uflow/admin/agents/${clientId}/${action}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(sessionToken ? bearer(sessionToken) : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')),
  };
}

/** A clock tests can move. */
export function manualClock(start = Date.UTC(2026, 10, 25, 9, 0, 0, 123)) {
  let now = start;
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}
