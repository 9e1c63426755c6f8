// Shared set-up: the demo environment, AuthSec clients for its agents, and the seed's function.

import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { z } from 'zod';
import { AuthSecClient, defineFunction, expandPath } from '../src/index.js';

export async function startDemo(): Promise<DemoEnvironment> {
  return startDemoEnvironment();
}

export function clientFor(demo: DemoEnvironment, clientId: string): AuthSecClient {
  return new AuthSecClient({
    baseUrl: demo.authsec.url,
    clientId,
    downstreamUrl: demo.api.url,
    logLevel: 'silent',
  });
}

/** The seed's fetch_secure_data(customer_id), through the authorized context. */
export const fetchSecureData = defineFunction(
  {
    name: 'fetch_secure_data',
    description: 'Get a customer record by id.',
    parameters: z.object({ customer_id: z.string().describe('The customer id, e.g. "42".') }),
    scope: 'read:customers',
  },
  ({ customer_id }, { requestJson }) =>
    requestJson(expandPath('/customers/{id}', { id: customer_id })),
);

/** Needs billing:read, which the reader agent lacks. */
export const getBilling = defineFunction(
  {
    name: 'get_billing',
    description: 'Get the billing account of a customer.',
    parameters: z.object({ customer_id: z.string() }),
    scope: 'billing:read',
  },
  ({ customer_id }, { requestJson }) =>
    requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
);

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

/** Asserts no JWT, and not the given token's signature segment, appears in the text. */
export function expectNoToken(text: string, token: string): void {
  const signature = token.split('.')[2] ?? token;
  if (JWT.test(text) || text.includes(signature)) {
    throw new Error('a delegation token leaked into the output');
  }
}
