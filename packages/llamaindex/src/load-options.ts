// The options of AuthSecReader.loadData(), and their validation before anything is sent.

import { AuthSecConfigError, type QueryValue } from '@authsec/core';
import { DEFAULT_MAX_RESPONSE_BYTES } from './json-page.js';

/**
 * Options for {@link AuthSecReader.loadData}.
 * @example
 * ```ts
 * const options: LoadDataOptions = { endpoint: 'secure-vault/records/page', scope: 'read:records', maxRecords: 50 };
 * ```
 */
export interface LoadDataOptions<R = Record<string, unknown>> {
  /** A path relative to `downstreamUrl` (e.g. `secure-vault/records`) or an absolute URL on an allowed origin. */
  endpoint: string;
  /**
   * The permission(s) the endpoint needs, checked against the token's `permissions` before any
   * request. Never sent anywhere. Without it, only the API decides.
   */
  scope?: string | readonly string[];
  /** Query parameters of the first request. */
  query?: Record<string, QueryValue>;
  /** Picks the records out of a page. @default a bare array, or `records`, `data` or `items` */
  select?: (body: unknown) => readonly R[];
  /** Follow `next` links and `next_cursor` values. @default true */
  pagination?: boolean;
  /** The query parameter that carries a `next_cursor` back. @default 'cursor' */
  cursorParam?: string;
  /** The most pages fetched; the reader stops there quietly. @default 100 */
  maxPages?: number;
  /** The most records turned into Documents. @default Infinity */
  maxRecords?: number;
  /** The largest body of one page. @default 10 MiB */
  maxResponseBytes?: number;
  /** The record field holding its id. @default 'id' */
  idField?: string;
  /** The record field holding its clearance. @default `clearance`, then `clearance_required` */
  clearanceField?: string;
  /** The clearance of records that carry none. @default none: such records stay unlabeled */
  defaultClearance?: string;
  /** Record fields copied into metadata (and left out of the default text). @default [] */
  metadataFields?: readonly string[];
  /** The Document text of a record. @default every field not lifted into metadata, as `key: value` lines */
  toText?: (record: R, index: number) => string;
  /** Extra metadata for a record; it cannot override the security metadata. */
  toMetadata?: (record: R, index: number) => Record<string, unknown>;
  /** The records mock mode yields. @default sample records in the spirit of the AuthSec guides */
  mockRecords?: readonly R[];
  /** Aborts the token pull and every page request. */
  signal?: AbortSignal;
  /** Limit of each request attempt. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

/** The options after validation, defaults applied. */
export interface ResolvedLoadOptions<R> extends LoadDataOptions<R> {
  readonly scopes: readonly string[];
  /** The endpoint without query string, fragment or user info: what `source_endpoint` and ids use. */
  readonly sourceEndpoint: string;
  readonly maxPages: number;
  readonly maxRecords: number;
  readonly maxResponseBytes: number;
}

const DEFAULT_MAX_PAGES = 100;

function isPositiveInteger(value: number, infinityAllowed: boolean): boolean {
  return (
    (Number.isInteger(value) && value >= 1) ||
    (infinityAllowed && value === Number.POSITIVE_INFINITY)
  );
}

/**
 * The endpoint as passed, minus what must never be stamped on a Document: the query string (it may
 * hold a key), the fragment, and the user info of an absolute URL.
 * @param endpoint - the endpoint passed to `loadData()`
 * @returns e.g. `secure-vault/records` for `secure-vault/records?limit=3`
 */
export function sourceEndpointOf(endpoint: string): string {
  const bare = endpoint.split(/[?#]/)[0] ?? endpoint;
  if (!URL.canParse(bare) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(bare)) return bare;
  const url = new URL(bare);
  return `${url.origin}${url.pathname}`;
}

/**
 * Validates `loadData()` options, reporting every problem at once.
 * @param options - as passed
 * @returns the options with scopes, bounds and the source endpoint resolved
 * @throws AuthSecConfigError naming each bad option
 */
export function resolveLoadOptions<R>(
  options: LoadDataOptions<R> | undefined,
): ResolvedLoadOptions<R> {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw AuthSecConfigError.fromProblems([
      'loadData needs options: pass `loadData({ endpoint, scope })`, or `load` to the AuthSecReader constructor',
    ]);
  }
  const problems: string[] = [];
  const { endpoint } = options;
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    problems.push('`endpoint` is missing: pass the path or URL of the protected API');
  }
  const scope = options.scope;
  const scopes = scope === undefined ? [] : typeof scope === 'string' ? [scope] : [...scope];
  if (scopes.some((s) => typeof s !== 'string' || s.trim() === '')) {
    problems.push('`scope` must be a non-empty string or a list of them (e.g. "read:records")');
  }
  const bound = (name: string, value: number | undefined, fallback: number, infinity: boolean) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !isPositiveInteger(value, infinity)) {
      problems.push(`\`${name}\` must be a positive integer (got ${String(value).slice(0, 20)})`);
    }
    return value;
  };
  const maxPages = bound('maxPages', options.maxPages, DEFAULT_MAX_PAGES, false);
  const maxRecords = bound('maxRecords', options.maxRecords, Number.POSITIVE_INFINITY, true);
  const maxResponseBytes = bound(
    'maxResponseBytes',
    options.maxResponseBytes,
    DEFAULT_MAX_RESPONSE_BYTES,
    false,
  );
  for (const name of ['idField', 'clearanceField', 'cursorParam', 'defaultClearance'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      problems.push(`\`${name}\` must be a non-empty string`);
    }
  }
  for (const name of ['select', 'toText', 'toMetadata'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') {
      problems.push(`\`${name}\` must be a function`);
    }
  }
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
  return {
    ...options,
    scopes,
    sourceEndpoint: sourceEndpointOf(endpoint),
    maxPages,
    maxRecords,
    maxResponseBytes,
  };
}
