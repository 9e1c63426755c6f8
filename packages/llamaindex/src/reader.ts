// AuthSecReader: a LlamaIndex BaseReader that loads a protected API with an AuthSec delegation token.

import {
  AuthSecClient,
  type AuthSecClientOptions,
  AuthSecConfigError,
  type DelegationTokenInfo,
  getDefaultClient,
} from '@authsec/core';
import type { BaseReader, Document } from '@llamaindex/core/schema';
import { withEndpointContext } from './error-context.js';
import { type LoadDataOptions, resolveLoadOptions } from './load-options.js';
import { mockRecordsFor } from './mock-records.js';
import { documentBuilder, type RecordMapping, recordHashSync } from './record-document.js';
import { fetchRecords } from './record-pages.js';

/**
 * Options for {@link AuthSecReader}: a ready client, or the options to build one.
 * @example
 * ```ts
 * const options: AuthSecReaderOptions = { client, load: { endpoint: 'secure-vault/records' } };
 * ```
 */
export interface AuthSecReaderOptions extends AuthSecClientOptions {
  /** A client to share (its token cache, logger and allow-list); client options must then be absent. */
  client?: AuthSecClient;
  /**
   * What `loadData()` loads when called with no options, as LlamaIndex's `IngestionPipeline`
   * calls its `reader`. Options passed to `loadData()` replace these whole.
   */
  load?: LoadDataOptions;
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
  readonly #load: LoadDataOptions | undefined;

  /**
   * Builds the reader; makes no request.
   * @param options - `{ client }`, or client options (`baseUrl`, `clientId`, `downstreamUrl` …), or
   *   nothing: then core's shared default client (`getDefaultClient()`, configured from the env)
   * @throws AuthSecConfigError for invalid client options or `load`, or `client` passed with client options
   */
  constructor(options: AuthSecReaderOptions = {}) {
    const { client, load, ...clientOptions } = options;
    const given = Object.keys(clientOptions).filter(
      (key) => clientOptions[key as keyof AuthSecClientOptions] !== undefined,
    );
    if (client !== undefined) {
      if (given.length > 0) {
        throw AuthSecConfigError.fromProblems([
          `pass either \`client\` or client options (${given.join(', ')}) to AuthSecReader, not both: the client already has its configuration`,
        ]);
      }
      this.client = client;
    } else if (given.length === 0) {
      // Nothing given: core's default client, so the process keeps one token cache.
      this.client = getDefaultClient();
    } else {
      this.client = new AuthSecClient(clientOptions);
    }
    // Fails at construction, not at the pipeline's first run, when `load` is invalid.
    if (load !== undefined) resolveLoadOptions(load);
    this.#load = load;
  }

  /**
   * Checks the scope, fetches the endpoint (every page) through the client's authorized requests,
   * and returns one Document per record.
   * @param options - endpoint, scope, record shape, pagination bounds, text and metadata mapping
   *   (without them: the constructor's `load`)
   * @returns the Documents, ids from the record's id and the endpoint, security metadata stamped
   * @throws AuthSecPermissionError (scope missing from the token: nothing was sent; or 403 from the API),
   *   AuthSecResponseError (no records in the answer, not JSON, too large, a pagination loop),
   *   AuthSecOriginNotAllowedError, AuthSecConfigError (bad options), and core's other errors
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
  async loadData<R = Record<string, unknown>>(
    options: LoadDataOptions<R> | undefined = this.#load as LoadDataOptions<R> | undefined,
  ): Promise<Document[]> {
    const resolved = resolveLoadOptions(options);
    const { scopes, sourceEndpoint, signal } = resolved;
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
      // Mock mode sends nothing: sample records stand in for the API's answer.
      records = (resolved.mockRecords ?? mockRecordsFor(sourceEndpoint)).slice(
        0,
        resolved.maxRecords,
      );
    } else {
      try {
        records = await fetchRecords(this.client, resolved);
      } catch (error) {
        throw withEndpointContext(error, sourceEndpoint, scopes);
      }
      // A 401 during the fetch may have brought a newer token: stamp the one that was used last.
      info = await this.client.getDelegationTokenInfo(call);
    }

    const mapping: RecordMapping = {
      idField: resolved.idField ?? 'id',
      clearanceField: resolved.clearanceField,
      defaultClearance: resolved.defaultClearance,
      metadataFields: resolved.metadataFields ?? [],
      toText: resolved.toText as RecordMapping['toText'],
      toMetadata: resolved.toMetadata as RecordMapping['toMetadata'],
    };
    const toDocument = documentBuilder(mapping, {
      sourceEndpoint,
      info,
      ingestedAt: new Date().toISOString(),
    });
    const documents: Document[] = new Array(records.length);
    const taken = new Set<string>();
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      const document = toDocument(record, index);
      if (taken.has(document.id_)) {
        // Two records with one id would overwrite each other in a docstore. Tell them apart by
        // content, not by position, so each keeps its id when the API reorders them.
        const base = `${document.id_}~${recordHashSync(record).slice(0, 16)}`;
        let id = base;
        for (let n = 2; taken.has(id); n++) id = `${base}~${n}`;
        document.id_ = id;
      }
      taken.add(document.id_);
      documents[index] = document;
    }
    return documents;
  }
}

/**
 * The seed's name for {@link AuthSecReader}: the same class.
 * @example
 * ```ts
 * const docs = await new AuthSecSecureReader().loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
 * ```
 */
export const AuthSecSecureReader = AuthSecReader;
/** The seed's name for {@link AuthSecReader}. */
export type AuthSecSecureReader = AuthSecReader;
