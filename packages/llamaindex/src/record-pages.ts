// Reading a paged API answer: where each page's records are, where the next page is, and every page.

import { type AuthSecClient, AuthSecResponseError } from '@authsec/core';
import { readJsonPage } from './json-page.js';
import type { ResolvedLoadOptions } from './load-options.js';

/** Picks the records out of a parsed answer body. */
export type RecordSelector = (body: unknown) => readonly unknown[] | undefined;

/** Where the next page is: a link to follow, or a cursor to send back. */
export type NextPage = { kind: 'link'; href: string } | { kind: 'cursor'; cursor: string };

const LIST_KEYS = ['records', 'data', 'items'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The records of a body: a bare array, the array under `records`, `data` or `items`, or else the
 * body's only array-valued field (such as `{ metrics: [...] }`).
 * @param body - the parsed JSON answer
 * @returns the records, or `undefined` when the body has none of those shapes
 */
export function defaultSelect(body: unknown): readonly unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return undefined;
  for (const key of LIST_KEYS) {
    const list = body[key];
    if (Array.isArray(list)) return list;
  }
  const arrays = Object.values(body).filter((value) => Array.isArray(value));
  return arrays.length === 1 ? (arrays[0] as unknown[]) : undefined;
}

/**
 * The next page a body points to: a `next` link (also `links.next`), else a `next_cursor` /
 * `nextCursor` value. Empty strings and null mean the last page.
 * @param body - the parsed JSON answer
 * @returns where to go next, or `undefined` on the last page
 */
export function findNextPage(body: unknown): NextPage | undefined {
  if (!isObject(body)) return undefined;
  const links = isObject(body.links) ? body.links : undefined;
  const href = nonEmpty(body.next) ?? nonEmpty(links?.next);
  if (href !== undefined) return { kind: 'link', href };
  const cursor = nonEmpty(body.next_cursor) ?? nonEmpty(body.nextCursor);
  if (cursor !== undefined) return { kind: 'cursor', cursor };
  return undefined;
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Every record of an endpoint: page after page through core's authorized request (so each `next`
 * link passes the allow-list), within `maxPages` and `maxRecords`.
 * @param client - the client that holds the token
 * @param options - validated `loadData()` options
 * @returns the records, in the API's order
 * @throws AuthSecResponseError (no list of records, not JSON, too large, a pagination loop), and
 *   core's request errors (AuthSecPermissionError, AuthSecOriginNotAllowedError …)
 */
export async function fetchRecords<R>(
  client: AuthSecClient,
  options: ResolvedLoadOptions<R>,
): Promise<unknown[]> {
  const select = (options.select ?? defaultSelect) as RecordSelector;
  const cursorParam = options.cursorParam ?? 'cursor';
  const records: unknown[] = [];
  const visited = new Set<string>();
  let target: string | URL = options.endpoint;
  let query = options.query;
  for (let page = 1; ; page++) {
    const response = await client.request(target, {
      ...(query && { query }),
      ...(options.signal && { signal: options.signal }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    const url = response.url ? new URL(response.url) : undefined;
    if (url) visited.add(url.href);
    const facts = {
      status: response.status,
      method: 'GET',
      ...(url && { path: url.pathname }),
    } as const;
    const body = await readJsonPage(response, options.maxResponseBytes, facts, options.signal);
    const list = select(body);
    if (!Array.isArray(list)) {
      throw new AuthSecResponseError(
        `The answer to GET ${facts.path ?? options.sourceEndpoint} holds no list of records.`,
        {
          issues: ['records'],
          ...facts,
          hint: 'Expected an array, or { records }, { data } or { items }; pass `select` for other shapes.',
        },
      );
    }
    for (const record of list) {
      if (records.length >= options.maxRecords) return records;
      records.push(record);
    }
    if (
      records.length >= options.maxRecords ||
      options.pagination === false ||
      page >= options.maxPages
    ) {
      return records;
    }
    const next = findNextPage(body);
    if (!next) return records;
    if (next.kind === 'link') {
      target = url ? nextLink(next.href, url, facts) : next.href;
      query = undefined;
    } else {
      target = options.endpoint;
      query = { ...options.query, [cursorParam]: next.cursor };
    }
    // A cursor page is keyed by its query; a link by its URL (the first page's URL is in `visited`).
    const key =
      target instanceof URL ? target.href : `${String(target)} ${JSON.stringify(query ?? {})}`;
    if (visited.has(key)) {
      throw new AuthSecResponseError(
        `The API's pagination loops: page ${page + 1} of ${facts.path ?? options.sourceEndpoint} points back to a page already read.`,
        {
          issues: ['next'],
          ...facts,
          hint: 'The API keeps returning the same next link or cursor; report it to its owner.',
        },
      );
    }
    visited.add(key);
  }
}

/** The page a `next` link names, resolved against the page it came from. */
function nextLink(href: string, page: URL, facts: { status: number; path?: string }): URL {
  try {
    return new URL(href, page);
  } catch {
    // The link is the API's text: it is not quoted, since it may carry anything.
    throw new AuthSecResponseError(
      `The API's next link on GET ${facts.path ?? page.pathname} is not a URL.`,
      {
        issues: ['next'],
        status: facts.status,
        method: 'GET',
        path: facts.path ?? page.pathname,
        hint: 'The API sends a broken next link; report it to its owner, or pass `pagination: false`.',
      },
    );
  }
}
