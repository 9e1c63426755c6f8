// The route table: each route's method, path and the one permission a token must carry for it.

import type { IncomingMessage } from 'node:http';
import type { DelegationTokenClaims } from '@authsec/core';
import { BodyError, type Reply, readJsonBody } from './http.js';
import {
  PAGE_PATH,
  parseLimit,
  parseNewRecord,
  type RecordStore,
  VaultInputError,
} from './records.js';
import { BILLING, CUSTOMERS, DOCS, METRICS } from './seed-data.js';

/** What a handler gets: the verified claims, the path parameters and the server's vault. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly claims: DelegationTokenClaims;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly store: RecordStore;
}

/** A route: `scope` is the permission required by exact match, or null for any valid token. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** `/segments/:param`; a parameter matches one non-empty segment. */
  readonly path: string;
  readonly scope: string | null;
  readonly handle: (context: RouteContext) => Reply | Promise<Reply>;
}

const notFound = (what: string): Reply => ({
  status: 404,
  body: { error: 'not_found', message: `No such ${what}.` },
});

const invalidRequest = (reason: string, status = 400): Reply => ({
  status,
  body: { error: 'invalid_request', reason },
});

/** Every route the demo API serves. */
export const ROUTES: readonly Route[] = Object.freeze([
  {
    method: 'GET',
    path: '/docs',
    scope: null,
    handle: () => ({ status: 200, body: { docs: DOCS } }),
  },
  {
    method: 'GET',
    path: '/customers/:id',
    scope: 'read:customers',
    handle: ({ params }) => {
      const customer = CUSTOMERS.find((c) => c.id === params.id);
      return customer ? { status: 200, body: customer } : notFound('customer');
    },
  },
  {
    method: 'GET',
    path: '/billing/customers/:id',
    scope: 'billing:read',
    handle: ({ params }) => {
      const account = BILLING.find((b) => b.customer_id === params.id);
      return account ? { status: 200, body: account } : notFound('customer');
    },
  },
  {
    method: 'GET',
    path: '/secure-vault/records',
    scope: 'read:records',
    handle: ({ store }) => ({ status: 200, body: { records: store.current() } }),
  },
  {
    method: 'GET',
    path: PAGE_PATH,
    scope: 'read:records',
    handle: ({ store, query }) => {
      try {
        return {
          status: 200,
          body: store.page(parseLimit(query.get('limit')), query.get('cursor')),
        };
      } catch (error) {
        if (error instanceof VaultInputError) return invalidRequest(error.message);
        throw error;
      }
    },
  },
  {
    method: 'GET',
    path: '/secure-vault/metrics',
    scope: 'read:metrics',
    handle: () => ({ status: 200, body: { metrics: METRICS } }),
  },
  {
    method: 'POST',
    path: '/secure-vault/records',
    scope: 'records:write',
    handle: async ({ req, claims, store }) => {
      try {
        const input = parseNewRecord(await readJsonBody(req));
        // The owner comes from the verified token, never from the body.
        return { status: 201, body: store.create(input, claims.client_id ?? claims.sub) };
      } catch (error) {
        if (error instanceof BodyError) return invalidRequest(error.message, error.status);
        if (error instanceof VaultInputError) return invalidRequest(error.message);
        throw error;
      }
    },
  },
] satisfies Route[]);

/** A route as documentation: method, path and the permission it requires (null: any valid token). */
export interface DemoRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly scope: string | null;
}

/** The routes of the demo API and the permission each requires, in the README's order. */
export const DEMO_ROUTES: readonly DemoRoute[] = Object.freeze(
  ROUTES.map(({ method, path, scope }) => Object.freeze({ method, path, scope })),
);

/** What {@link matchRoute} found for a method and path. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  /** A route's shape fits, but a parameter segment has a malformed percent-escape (`%E0%A4%A`). */
  | { readonly kind: 'malformed_path' }
  | { readonly kind: 'not_found' };

/**
 * Finds the route for a request.
 * @param method - the request method
 * @param pathname - the request path, still percent-encoded
 */
export function matchRoute(
  method: string,
  pathname: string,
  routes: readonly Route[] = ROUTES,
): RouteMatch {
  const allow: string[] = [];
  let malformed = false;
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params === MALFORMED) malformed = true;
    if (!params || params === MALFORMED) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allow.push(route.method);
  }
  if (malformed) return { kind: 'malformed_path' };
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}

const MALFORMED = Symbol('malformed percent-escape');

// The shape first (segment count, literals, non-empty parameters), then the decoding: only a path
// that fits a route is malformed for it.
function matchPath(
  pattern: string,
  pathname: string,
): Record<string, string> | typeof MALFORMED | undefined {
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const raw: [string, string][] = [];
  for (const [i, part] of want.entries()) {
    const segment = got[i] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      raw.push([part.slice(1), segment]);
    } else if (part !== segment) {
      return undefined;
    }
  }
  const params: Record<string, string> = {};
  for (const [name, segment] of raw) {
    try {
      params[name] = decodeURIComponent(segment);
    } catch {
      return MALFORMED;
    }
  }
  return params;
}
