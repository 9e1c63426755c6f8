// Turning one API record into a LlamaIndex Document: text, metadata, a stable id and a stable hash.

import { createHash } from 'node:crypto';
import { AuthSecConfigError, type DelegationTokenInfo, redact } from '@authsec/core';
import { Document } from '@llamaindex/core/schema';
import { normalizeClearance } from './clearance.js';
import {
  CLEARANCE_KEY_METADATA_KEY,
  CLEARANCE_METADATA_KEY,
  INGESTION_AUTH,
  SECURITY_METADATA_KEYS,
  VOLATILE_METADATA_KEYS,
} from './metadata-keys.js';

/** A flat metadata value: what every vector store can keep and filter on. */
export type MetadataValue = string | number | boolean | null;

/** How records become Documents (resolved from `loadData()` options). */
export interface RecordMapping {
  readonly idField: string;
  /** The record field holding the clearance; `undefined` checks `clearance`, then `clearance_required`. */
  readonly clearanceField: string | undefined;
  readonly defaultClearance: string | undefined;
  readonly metadataFields: readonly string[];
  readonly toText: ((record: unknown, index: number) => string) | undefined;
  readonly toMetadata: ((record: unknown, index: number) => Record<string, unknown>) | undefined;
}

/** What one `loadData()` run stamps on each of its Documents. */
export interface IngestionContext {
  /** The endpoint as passed, without its query string. */
  readonly sourceEndpoint: string;
  readonly info: DelegationTokenInfo;
  readonly ingestedAt: string;
}

const DEFAULT_CLEARANCE_FIELDS = ['clearance', CLEARANCE_METADATA_KEY] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Flattens a value for metadata: primitives stay, anything else becomes JSON; text goes through
 * core's redaction, as the Document text does.
 */
function flat(value: unknown): MetadataValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === undefined) return null;
  return withoutSecrets(typeof value === 'string' ? value : canonicalJson(value));
}

/**
 * Text bound for an index and a model, with every JWT, `Bearer` credential and URL secret replaced
 * by core's markers: an API that echoes the request's token must not put it in a Document.
 */
function withoutSecrets(text: string): string {
  return String(redact(text));
}

function textValue(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

/** JSON with object keys sorted, so equal records give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  // Most records are flat objects whose keys are already sorted: plain JSON.stringify is then the
  // canonical form, and checking that is far cheaper than rebuilding every object.
  if (isCanonical(value, 0)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, inner: unknown) =>
    isObject(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((k) => [k, inner[k]]),
        )
      : inner,
  );
}

/**
 * Whether `JSON.stringify(value)` is already canonical: every plain object (to a small depth) has
 * its keys in sorted order. Anything unusual (a `toJSON`, a class instance, deep nesting) says no,
 * so the slow path decides.
 */
function isCanonical(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth > 4) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!isCanonical(item, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  if ('toJSON' in value) return false;
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    // Integer-like keys are listed first by JS whatever their insertion order: leave them to the
    // slow path, which sorts them as strings.
    if (key !== '' && key.charCodeAt(0) <= 57 && /^\d+$/.test(key)) return false;
    previous = key;
    if (!isCanonical((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/**
 * The hex SHA-256 of a record's canonical JSON: its id when it has none, and what tells apart two
 * records that share one.
 * @param record - one record of the API's answer
 * @returns 64 hex characters
 */
export async function recordHash(record: unknown): Promise<string> {
  return recordHashSync(record);
}

/** {@link recordHash}, synchronously (Node's `createHash`; this package runs on Node only). */
export function recordHashSync(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

/**
 * The Document hash of the reader: SHA-256 (base64) of the canonical JSON of the text and the
 * metadata without {@link VOLATILE_METADATA_KEYS}, so a new `ingested_at` or token does not re-embed.
 */
export function stableDocumentHash(text: string, metadata: Record<string, unknown>): string {
  const stable = Object.keys(metadata)
    .filter((key) => !VOLATILE_METADATA_KEYS.has(key))
    .sort()
    .map((key) => [key, metadata[key]]);
  return createHash('sha256')
    .update(canonicalJson({ text, metadata: stable }))
    .digest('base64');
}

/**
 * The reader's Document: LlamaIndex computes `hash` on its first read through `generateHash()`,
 * so the SHA-256 is only paid for Documents whose hash is read (ingestion, docstore dedup).
 */
class AuthSecDocument extends Document {
  override generateHash(): string {
    return stableDocumentHash(this.text, this.metadata);
  }
}

function clearanceOf(record: Record<string, unknown>, mapping: RecordMapping): string | undefined {
  const fields = mapping.clearanceField ? [mapping.clearanceField] : DEFAULT_CLEARANCE_FIELDS;
  for (const field of fields) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      if (value.trim() === '') continue;
      return value.trim();
    }
    if (typeof value === 'number') return String(value);
    // A label that is there but not a string (an object, a list): keep it as an unknown label, which
    // retrieval denies, rather than fall back to `defaultClearance` and perhaps expose the record.
    return canonicalJson(value);
  }
  return mapping.defaultClearance;
}

function liftedFields(mapping: RecordMapping): Set<string> {
  const fields = new Set<string>([mapping.idField, ...mapping.metadataFields]);
  if (mapping.clearanceField) fields.add(mapping.clearanceField);
  else for (const field of DEFAULT_CLEARANCE_FIELDS) fields.add(field);
  return fields;
}

function defaultText(record: unknown, lifted: ReadonlySet<string>): string {
  if (!isObject(record)) return textValue(record);
  // One pass and one string: this runs once per record, and the entries/filter/map arrays it
  // replaces were most of the reader's garbage.
  let text = '';
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === undefined || lifted.has(key)) continue;
    const line = `${key}: ${typeof value === 'string' ? value : canonicalJson(value)}`;
    text = text === '' ? line : `${text}\n${line}`;
  }
  return text;
}

/**
 * Builds the Document for one record.
 * @param record - one record of the API's answer
 * @param index - its position in this run (stamped as `record_index`, never used for the id)
 * @param mapping - how fields map to text and metadata
 * @param context - the run's endpoint, token facts and time
 * @returns a Document whose id comes from the record and whose hash ignores volatile metadata
 */
export function recordToDocument(
  record: unknown,
  index: number,
  mapping: RecordMapping,
  context: IngestionContext,
): Document {
  return documentBuilder(mapping, context)(record, index);
}

/**
 * {@link recordToDocument} for a whole run: what is the same for every record (the lifted fields,
 * the token's facts, the excluded keys) is worked out once.
 * @param mapping - how fields map to text and metadata
 * @param context - the run's endpoint, token facts and time
 * @returns a function from a record and its index to its Document
 */
export function documentBuilder(
  mapping: RecordMapping,
  context: IngestionContext,
): (record: unknown, index: number) => Document {
  const lifted = liftedFields(mapping);
  const { info, sourceEndpoint, ingestedAt } = context;
  // One space-separated string (as an OAuth scope), because many vector stores refuse list values.
  const permissions = info.permissions.join(' ');
  const { spiffeId, jti, mode } = info;
  const { idField, metadataFields, toText, toMetadata } = mapping;
  // Only fields and toMetadata can put a security key into the metadata before it is stamped.
  const mayForge = metadataFields.length > 0 || toMetadata !== undefined;
  const idPrefix = `${sourceEndpoint}#`;
  const embedExcluded = [...SECURITY_METADATA_KEYS, 'record_id'];
  const llmExcluded = [...SECURITY_METADATA_KEYS];
  const clearances = new Map<string, string>();

  return (record, index) => {
    const fields = isObject(record) ? record : {};
    const rawText = toText ? toText(record, index) : defaultText(record, lifted);
    if (typeof rawText !== 'string') {
      throw AuthSecConfigError.fromProblems([
        `\`toText\` must return a string (got ${typeof rawText} for record ${index})`,
      ]);
    }
    const text = withoutSecrets(rawText);

    const metadata: Record<string, MetadataValue> = {};
    const rawId = fields[idField];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : undefined;
    if (id !== undefined) metadata.record_id = id;
    if (mayForge) {
      for (const field of metadataFields) {
        if (field in fields) metadata[field] = flat(fields[field]);
      }
      const extra = toMetadata?.(record, index) ?? {};
      if (!isObject(extra)) {
        throw AuthSecConfigError.fromProblems([
          `\`toMetadata\` must return a plain object (got ${Array.isArray(extra) ? 'an array' : typeof extra} for record ${index})`,
        ]);
      }
      for (const [key, value] of Object.entries(extra)) metadata[key] = flat(value);
      // Security metadata last, so neither the record nor toMetadata can forge it.
      for (const key of SECURITY_METADATA_KEYS) delete metadata[key];
    }
    metadata.source_endpoint = sourceEndpoint;
    metadata.ingestion_auth = INGESTION_AUTH;
    const clearance = clearanceOf(fields, mapping);
    if (typeof clearance === 'string' && clearance !== '') {
      metadata[CLEARANCE_METADATA_KEY] = clearance;
      let key = clearances.get(clearance);
      if (key === undefined) {
        key = normalizeClearance(clearance);
        if (clearances.size < 1000) clearances.set(clearance, key);
      }
      metadata[CLEARANCE_KEY_METADATA_KEY] = key;
    }
    metadata.record_index = index;
    if (spiffeId !== undefined) metadata.spiffe_id = spiffeId;
    if (jti !== undefined) metadata.token_jti = jti;
    metadata.permissions = permissions;
    metadata.ingested_at = ingestedAt;
    metadata.authsec_mode = mode;

    const idPart = id ?? `sha256-${recordHashSync(record).slice(0, 32)}`;
    // LlamaIndex hashes all metadata; this hash (computed on first read) leaves out what changes on
    // every run.
    return new AuthSecDocument({
      id_: idPrefix + idPart,
      text,
      metadata,
      excludedEmbedMetadataKeys: embedExcluded.slice(),
      excludedLlmMetadataKeys: llmExcluded.slice(),
    });
  };
}
