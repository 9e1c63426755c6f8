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

/**
 * Asserts that none of the values, however printed, holds a token or its signature. A failure
 * names the form and the kind of leak, never the text, so it cannot print the token itself.
 */
export function expectNoToken(tokens: readonly string[], ...values: unknown[]): void {
  for (const [index, value] of values.entries()) {
    const texts: [string, string][] = [
      ['the string', typeof value === 'string' ? value : ''],
      ['util.inspect', inspect(value, { depth: 12 })],
      ['JSON.stringify', safeStringify(value)],
      ['String()', String(value)],
    ];
    for (const [form, text] of texts) {
      const where = `value ${index} (${form})`;
      expect(JWT.test(text), `${where} holds a JWT-shaped string`).toBe(false);
      for (const token of tokens) {
        expect(text.includes(token), `${where} holds a token`).toBe(false);
        const signature = token.split('.')[2] ?? token;
        expect(text.includes(signature), `${where} holds a token's signature`).toBe(false);
      }
    }
  }
}

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
