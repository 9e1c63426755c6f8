// The metadata keys the reader stamps on every Document, and which of them are volatile.

/**
 * The value of `ingestion_auth` on every Document the reader makes.
 * @example
 * ```ts
 * documents.every((d) => d.metadata.ingestion_auth === INGESTION_AUTH);
 * ```
 */
export const INGESTION_AUTH = 'AuthSec AI Verified';

/**
 * Where the record's clearance label goes (as found in the record, e.g. `TopSecret`).
 * @example
 * ```ts
 * const label = node.metadata[CLEARANCE_METADATA_KEY]; // 'TopSecret'
 * ```
 */
export const CLEARANCE_METADATA_KEY = 'clearance_required';

/**
 * The normalised clearance label (e.g. `topsecret`), the value {@link clearanceFilters} matches.
 * @example
 * ```ts
 * const key = node.metadata[CLEARANCE_KEY_METADATA_KEY]; // 'topsecret'
 * ```
 */
export const CLEARANCE_KEY_METADATA_KEY = 'clearance_key';

/**
 * The security metadata keys: stamped on every Document and kept out of the text that is embedded
 * or sent to an LLM, so provenance never leaks into prompts or skews similarity.
 * @example
 * ```ts
 * const provenance = Object.fromEntries(SECURITY_METADATA_KEYS.map((k) => [k, doc.metadata[k]]));
 * ```
 */
export const SECURITY_METADATA_KEYS = Object.freeze([
  'source_endpoint',
  'ingestion_auth',
  CLEARANCE_METADATA_KEY,
  CLEARANCE_KEY_METADATA_KEY,
  'record_index',
  'spiffe_id',
  'token_jti',
  'permissions',
  'ingested_at',
  'authsec_mode',
] as const);

/**
 * Keys left out of a Document's `hash`: they change on every run (time, token) or with the record's
 * position, not with the record, so an unchanged record keeps its hash and is not embedded again.
 * @example
 * ```ts
 * VOLATILE_METADATA_KEYS.has('ingested_at'); // true
 * ```
 */
export const VOLATILE_METADATA_KEYS: ReadonlySet<string> = new Set([
  'ingested_at',
  'token_jti',
  'record_index',
]);
