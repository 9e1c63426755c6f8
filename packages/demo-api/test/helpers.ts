// Shared helpers: plain fetch calls that also prove the API never sends the token back.

import { expect } from 'vitest';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/**
 * Calls the API with an optional bearer token and checks that neither the body nor any header of
 * the answer contains it (nor its signature, in case only part of it were echoed).
 */
export async function call(url: string, token?: string, init: RequestInit = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  if (token !== undefined) {
    const secrets = [token, token.split('.')[2]].filter((s): s is string => !!s && s.length > 8);
    const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    // Booleans, so that a failing assertion does not print the secret it looks for.
    for (const secret of secrets) {
      expect(text.includes(secret), 'the body echoes the token').toBe(false);
      expect(headerText.includes(secret), 'a header echoes the token').toBe(false);
    }
  }
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: tests look at text
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A POST with a JSON body. */
export function post(url: string, token: string | undefined, body: unknown): Promise<Answer> {
  return call(url, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
