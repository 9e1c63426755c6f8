// RedisTokenStore's options: read once (option, then env, then default), every problem reported together.

import type { Logger } from '@authsec/core';
import type { Redis } from 'ioredis';
import {
  aesGcmSealer,
  decodeKey,
  KEY_HINT,
  plaintextSealer,
  type Sealer,
  throwKeyProblems,
} from './sealing.js';

/** Options for {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * An ioredis client. The store runs its commands on it and duplicates it once for pub/sub;
   * `close()` never quits it. Commands must not wait forever: `operationTimeoutMs` bounds each one.
   */
  redis: Redis;
  /**
   * The AES-256-GCM key values are sealed with: 32 random bytes, base64. Env: `AUTHSEC_STORE_KEY`.
   * Required unless `unsafePlaintext` is true.
   */
  key?: string | undefined;
  /**
   * Earlier keys, for rotation: values sealed with any of them are still read; new values are
   * sealed with `key`. Env: `AUTHSEC_STORE_PREVIOUS_KEYS` (comma-separated). @default []
   */
  previousKeys?: readonly string[] | undefined;
  /** Store tokens unencrypted (warns once). Only for a Redis nobody else can read. @default false */
  unsafePlaintext?: boolean | undefined;
  /** Prepended to every Redis key and the invalidation channel. @default 'authsec:' */
  prefix?: string | undefined;
  /**
   * How long the single-flight lock lives when its holder never releases it, in ms.
   * @default about twice the client's total pull time limit (the client passes it)
   */
  lockTtlMs?: number | undefined;
  /** How long a client that finds the lock held waits for the holder's token before pulling itself, in ms. @default 10000 */
  waitTimeoutMs?: number | undefined;
  /** The time limit of each Redis command, in ms; a slower answer counts as Redis being down. @default 1000 */
  operationTimeoutMs?: number | undefined;
  /** Where the store's own warnings go (already redacted). @default console, `[AuthSec SDK]` lines at `warn` */
  logger?: Logger | undefined;
  /** Where `AUTHSEC_STORE_KEY` and `AUTHSEC_STORE_PREVIOUS_KEYS` are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

const DEFAULT_PREFIX = 'authsec:';
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const DEFAULT_OPERATION_TIMEOUT_MS = 1_000;

/** The options after resolution. */
export interface ResolvedStoreOptions {
  readonly redis: Redis;
  readonly sealer: Sealer;
  readonly plaintext: boolean;
  readonly prefix: string;
  readonly lockTtlMs: number | undefined;
  readonly waitTimeoutMs: number;
  readonly operationTimeoutMs: number;
}

/**
 * Resolves and checks a store's options.
 * @param options - as given
 * @returns the resolved options, with the sealer built from the key(s)
 * @throws AuthSecConfigError listing every problem, naming option and env var, never a key
 */
export function resolveStoreOptions(options: RedisTokenStoreOptions): ResolvedStoreOptions {
  const problems: string[] = [];
  const redis = options?.redis as Redis | undefined;
  if (redis === undefined || redis === null || typeof redis.get !== 'function') {
    problems.push('redis is missing: pass `redis`, an ioredis client (`new Redis(url)`)');
  }
  const env = options?.env ?? defaultEnv();
  const plaintext = options?.unsafePlaintext === true;
  let sealer: Sealer | undefined;
  if (plaintext) {
    sealer = plaintextSealer();
  } else {
    const keyText = nonEmpty(options?.key) ?? nonEmpty(env.AUTHSEC_STORE_KEY);
    const keyName = nonEmpty(options?.key) !== undefined ? '`key`' : 'AUTHSEC_STORE_KEY';
    const previousTexts =
      options?.previousKeys !== undefined
        ? [...options.previousKeys]
        : (nonEmpty(env.AUTHSEC_STORE_PREVIOUS_KEYS)?.split(',') ?? []);
    const previousName =
      options?.previousKeys !== undefined ? 'previousKeys' : 'AUTHSEC_STORE_PREVIOUS_KEYS';
    if (keyText === undefined) {
      problems.push(
        `key is missing: pass \`key\` or set AUTHSEC_STORE_KEY (32 random bytes, base64; ${KEY_HINT}), or pass \`unsafePlaintext: true\` to store tokens unencrypted`,
      );
    }
    const current = keyText === undefined ? undefined : decodeKey(keyText, keyName, problems);
    const previous: Uint8Array[] = [];
    previousTexts.forEach((text, index) => {
      if (typeof text !== 'string' || text.trim() === '') return;
      const bytes = decodeKey(text, `${previousName}[${index}]`, problems);
      if (bytes !== undefined) previous.push(bytes);
    });
    if (current !== undefined) sealer = aesGcmSealer(current, previous);
  }
  const prefix = options?.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') problems.push('prefix must be a string');
  const lockTtlMs = checkMs(options?.lockTtlMs, 'lockTtlMs', problems);
  const waitTimeoutMs = checkMs(options?.waitTimeoutMs, 'waitTimeoutMs', problems);
  const operationTimeoutMs = checkMs(options?.operationTimeoutMs, 'operationTimeoutMs', problems);
  if (problems.length > 0 || sealer === undefined || redis === undefined) {
    throwKeyProblems(problems);
  }
  return {
    redis,
    sealer,
    plaintext,
    prefix,
    lockTtlMs,
    waitTimeoutMs: waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
    operationTimeoutMs: operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function checkMs(value: unknown, name: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    problems.push(`${name} must be a positive number of milliseconds`);
    return undefined;
  }
  return value;
}

function defaultEnv(): Readonly<Record<string, string | undefined>> {
  return typeof process === 'undefined' ? {} : process.env;
}
