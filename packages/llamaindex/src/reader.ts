// AuthSecReader: a LlamaIndex BaseReader that loads a protected API with an AuthSec delegation token.

import {
  AuthSecClient,
  type AuthSecClientOptions,
  AuthSecResponseError,
  type DelegationTokenInfo,
  getDefaultClient,
  type QueryValue,
} from '@authsec/core';
import type { BaseReader, Document } from '@llamaindex/core/schema';
import { withEndpointContext } from './error-context.js';
import { mockRecordsFor } from './mock-records.js';
import { type RecordMapping, recordToDocument } from './record-document.js';
import { defaultSelect, findNextPage } from './record-pages.js';

/** Options for {@link AuthSecReader}: a ready client, or the options to build one. */
export interface AuthSecReaderOptions extends AuthSecClientOptions {
  /** A client to share (its token cache, logger and allow-list); the other options must then be absent. */
  client?: AuthSecClient;
}

/** Options for {@link AuthSecReader.loadData}. */
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
  /** The most pages fetched. @default 100 */
  maxPages?: number;
  /** The most records turned into Documents. @default Infinity */
  maxRecords?: number;
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
  signal?: AbortSignal;
  /** Limit of each request attempt. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

const DEFAULT_MAX_PAGES = 100;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) || value === Number.POSITIVE_INFINITY) || value < 1) {
    throw new RangeError(`${name} must be a positive integer (got ${String(value)}).`);
  }
  return value;
}

function scopesOf(scope: string | readonly string[] | undefined): readonly string[] {
  const list = scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  for (const s of list) {
    if (typeof s !== 'string' || s.trim() === '') {
      throw new TypeError('scope must be a non-empty string or a list of them.');
    }
  }
  return list;
}

/**
 * A LlamaIndex reader that loads records from a protected API with the agent's AuthSec delegation
 * token and stamps security metadata on every Document.
 *
 * @example
 * ```ts
 * import { AuthSecReader } from '@authsec/llamaindex';
 * import { VectorStoreIndex } from 'llamaindex';
 *
 * const reader = new AuthSecReader();    // AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID, DOWNSTREAM_URL
 * const documents = await reader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
 * const index = await VectorStoreIndex.fromDocuments(documents);
 * ```
 */
export class AuthSecReader implements BaseReader<Document> {
  /** The client that holds the token and sends the requests. */
  readonly client: AuthSecClient;

  /**
   * Builds the reader; makes no request.
   * @param options - `{ client }`, or client options (`baseUrl`, `clientId`, `downstreamUrl` …), or nothing (env)
   * @throws AuthSecConfigError for invalid client options; TypeError for `client` with other options
   */
  constructor(options: AuthSecReaderOptions = {}) {
    const { client, ...clientOptions } = options;
    if (client !== undefined) {
      if (Object.keys(clientOptions).length > 0) {
        throw new TypeError('Pass either `client` or client options to AuthSecReader, not both.');
      }
      this.client = client;
    } else if (Object.keys(clientOptions).length === 0) {
      // Nothing given: core's default client, so the process keeps one token cache.
      this.client = getDefaultClient();
    } else {
      this.client = new AuthSecClient(clientOptions);
    }
  }

  /**
   * Checks the scope, fetches the endpoint (every page) through the client's authorized requests,
   * and returns one Document per record.
   * @param options - endpoint, scope, record shape, pagination bounds, text and metadata mapping
   * @returns the Documents, ids from the record's id and the endpoint, security metadata stamped
   * @throws AuthSecPermissionError (scope missing from the token: nothing was sent; or 403 from the API),
   *   AuthSecResponseError (no records in the answer, not JSON, a pagination loop),
   *   AuthSecOriginNotAllowedError, and core's other errors; TypeError/RangeError for bad options
   * @example
   * ```ts
   * const docs = await reader.loadData({
   *   endpoint: 'secure-vault/records/page',
   *   scope: 'read:records',
   *   query: { limit: 10 },
   *   maxRecords: 50,
   * });
   * ```
   */
  async loadData<R = Record<string, unknown>>(options: LoadDataOptions<R>): Promise<Document[]> {
    const { endpoint, signal } = options;
    if (typeof endpoint !== 'string' || endpoint.trim() === '') {
      throw new TypeError('loadData needs an `endpoint` (a path or URL of the protected API).');
    }
    const scopes = scopesOf(options.scope);
    const maxPages = positiveInteger('maxPages', options.maxPages, DEFAULT_MAX_PAGES);
    const maxRecords = positiveInteger('maxRecords', options.maxRecords, Number.POSITIVE_INFINITY);
    const sourceEndpoint = endpoint.split(/[?#]/)[0] ?? endpoint;
    const call = signal ? { signal } : {};

    let info: DelegationTokenInfo;
    try {
      info = scopes.length
        ? await this.client.requirePermissions(scopes, call)
        : await this.client.getDelegationTokenInfo(call);
    } catch (error) {
      throw withEndpointContext(error, sourceEndpoint, scopes);
    }

    let records: readonly unknown[];
    if (this.client.mode === 'mock') {
      records = (options.mockRecords ?? mockRecordsFor(endpoint)).slice(0, maxRecords);
    } else {
      try {
        records = await this.#fetchRecords(options, maxPages, maxRecords);
      } catch (error) {
        throw withEndpointContext(error, sourceEndpoint, scopes);
      }
      // A 401 during the fetch may have brought a newer token: stamp the one that was used last.
      info = await this.client.getDelegationTokenInfo(call);
    }

    const mapping: RecordMapping = {
      idField: options.idField ?? 'id',
      clearanceField: options.clearanceField,
      defaultClearance: options.defaultClearance,
      metadataFields: options.metadataFields ?? [],
      toText: options.toText as RecordMapping['toText'],
      toMetadata: options.toMetadata as RecordMapping['toMetadata'],
    };
    const context = { sourceEndpoint, info, ingestedAt: new Date().toISOString() };
    const documents: Document[] = [];
    const seen = new Map<string, number>();
    for (const [index, record] of records.entries()) {
      const document = await recordToDocument(record, index, mapping, context);
      // Two records with one id would overwrite each other in a docstore: keep both, told apart.
      const count = (seen.get(document.id_) ?? 0) + 1;
      seen.set(document.id_, count);
      if (count > 1) document.id_ = `${document.id_}~${count}`;
      documents.push(document);
    }
    return documents;
  }

  async #fetchRecords<R>(
    options: LoadDataOptions<R>,
    maxPages: number,
    maxRecords: number,
  ): Promise<unknown[]> {
    const select = (options.select ?? defaultSelect) as (
      body: unknown,
    ) => readonly unknown[] | undefined;
    const cursorParam = options.cursorParam ?? 'cursor';
    const records: unknown[] = [];
    const visited = new Set<string>();
    let target: string | URL = options.endpoint;
    let query = options.query;
    for (let page = 1; ; page++) {
      const response = await this.client.request(target, {
        ...(query && { query }),
        ...(options.signal && { signal: options.signal }),
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      });
      const url = response.url ? new URL(response.url) : undefined;
      if (url) visited.add(url.href);
      const facts = { status: response.status, method: 'GET', ...(url && { path: url.pathname }) };
      const body = await readJsonBody(response, facts);
      const list = select(body);
      if (!Array.isArray(list)) {
        throw new AuthSecResponseError(
          `The answer to GET ${facts.path ?? options.endpoint} holds no list of records.`,
          ['records'],
          {
            ...facts,
            hint: 'Expected an array, or { records }, { data } or { items }; pass `select` for other shapes.',
          },
        );
      }
      for (const record of list) {
        if (records.length >= maxRecords) return records;
        records.push(record);
      }
      if (records.length >= maxRecords || options.pagination === false || page >= maxPages) {
        return records;
      }
      const next = findNextPage(body);
      if (!next) return records;
      if (next.kind === 'link') {
        target = url ? new URL(next.href, url) : next.href;
        query = undefined;
      } else {
        target = options.endpoint;
        query = { ...options.query, [cursorParam]: next.cursor };
      }
      const key =
        target instanceof URL ? target.href : `${String(target)} ${JSON.stringify(query ?? {})}`;
      if (visited.has(key)) {
        throw new AuthSecResponseError(
          `The API's pagination loops: page ${page + 1} of ${facts.path ?? options.endpoint} points back to a page already read.`,
          ['next'],
          {
            ...facts,
            hint: 'The API keeps returning the same next link or cursor; report it to its owner.',
          },
        );
      }
      visited.add(key);
    }
  }
}

async function readJsonBody(
  response: Response,
  facts: { status: number; method: string; path?: string },
): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AuthSecResponseError(`The answer to GET ${facts.path ?? ''} is not JSON.`, ['body'], {
      ...facts,
      hint: 'Point the reader at a JSON endpoint.',
    });
  }
}

/** The seed's name for {@link AuthSecReader}. */
export const AuthSecSecureReader = AuthSecReader;
/** The seed's name for {@link AuthSecReader}. */
export type AuthSecSecureReader = AuthSecReader;
