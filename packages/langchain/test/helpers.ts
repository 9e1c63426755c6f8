// Shared set-up for the tests: a client for a demo agent and checks that no token leaked.

import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { expect } from 'vitest';
import { AuthSecClient } from '../src/index.js';

/** A quiet client acting as one of the demo agents (or any delegated client id). */
export function clientFor(
  demo: DemoEnvironment,
  clientId: string,
  extra: ConstructorParameters<typeof AuthSecClient>[0] = {},
): AuthSecClient {
  return new AuthSecClient({
    baseUrl: demo.authsec.url,
    clientId,
    downstreamUrl: demo.api.url,
    logLevel: 'silent',
    ...extra,
  });
}

/** Asserts that none of the values, however printed, holds a token or its signature. */
export function expectNoToken(tokens: readonly string[], ...values: unknown[]): void {
  for (const value of values) {
    const texts = [
      typeof value === 'string' ? value : '',
      inspect(value, { depth: 8 }),
      safeStringify(value),
      String(value),
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      for (const token of tokens) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(token.split('.')[2] ?? token);
      }
    }
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
