// The SDK's injectable, level-filtered logger: filter, redact, then print a pretty or JSON entry.

import { defaultColor, PREFIX, pretty } from './log-format.js';
import { assign, redact, redactString } from './redact.js';

export { defaultColor };

/** How much the SDK says, from nothing (`silent`) to everything (`debug`). */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

/** `pretty` is the seed's human transcript; `json` is one line per entry for log pipelines. */
export type LogFormat = 'pretty' | 'json';

/** Structured details attached to a log entry; redacted before any sink sees them. */
export type LogFields = Record<string, unknown>;

/**
 * What users inject: console-like, each method taking `(message, fields?)`.
 *
 * @example
 * ```ts
 * const logger: Logger = {
 *   error: (message, fields) => pino.error(fields, message),
 *   warn: (message, fields) => pino.warn(fields, message),
 *   info: (message, fields) => pino.info(fields, message),
 *   debug: (message, fields) => pino.debug(fields, message),
 * };
 * ```
 */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** The seed's bracketed tags, as in `[AuthSec SDK] [Delegation] …`. */
export type LogTag =
  | 'Mode'
  | 'Init'
  | 'Delegation'
  | 'Success'
  | 'Token'
  | 'Cache'
  | 'Retry'
  | 'Warning'
  | 'Error'
  | 'MOCK FALLBACK';

/** Every level, quietest first: `silent < error < warn < info < debug`. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze([
  'silent',
  'error',
  'warn',
  'info',
  'debug',
] as const);

/**
 * Whether a string names a log level, e.g. the value of `AUTHSEC_LOG_LEVEL`.
 * @param value - the candidate, compared exactly (trim and lower-case it first if needed)
 * @returns true for one of {@link LOG_LEVELS}
 * @example
 * ```ts
 * isLogLevel('debug'); // true
 * isLogLevel('verbose'); // false
 * ```
 */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Options for {@link createSdkLogger}. */
export interface SdkLoggerOptions {
  /** Entries above this level are dropped; `silent` drops all. */
  level: LogLevel;
  /** Console layout; ignored when `logger` is given. */
  format: LogFormat;
  /** Where entries go instead of the console. */
  logger?: Logger | undefined;
  /** ANSI colour in `pretty` console output. @default defaultColor() */
  color?: boolean | undefined;
  /** Clock for the JSON `time`, in epoch milliseconds. @default Date.now */
  now?: (() => number) | undefined;
}

/** The SDK's own logger: filters by level, redacts, formats, then calls the sink. */
export interface SdkLogger {
  /** The configured level. */
  readonly level: LogLevel;
  /**
   * Cheap check so hot paths skip building fields: a disabled level costs one comparison.
   * @param level - the level an entry would be logged at
   * @returns whether {@link SdkLogger.log} would emit at that level
   */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /**
   * Logs one entry when its level is enabled; never throws.
   * @param level - the entry's level
   * @param tag - the seed's bracketed tag
   * @param event - a stable machine name such as `client.init`
   * @param message - one human sentence
   * @param fields - details, redacted before output
   */
  log(
    level: Exclude<LogLevel, 'silent'>,
    tag: LogTag,
    event: string,
    message: string,
    fields?: LogFields,
  ): void;
  /**
   * Logs one entry whatever the level, even `silent`: for what must never go unnoticed, such as
   * a client starting in mock mode or handing out a mock token after a live failure. To the console it is one `console.warn` line (stderr); with a
   * custom `logger` it goes to that logger's `warn`. Never throws.
   * @param tag - the seed's bracketed tag
   * @param event - a stable machine name such as `client.mode`
   * @param message - one human sentence
   * @param fields - extra fields, redacted like any other
   */
  warnAlways(tag: LogTag, event: string, message: string, fields?: LogFields): void;
}

/** The level of an entry: any but `silent`. */
export type EntryLevel = Exclude<LogLevel, 'silent'>;

// Keys the entry itself owns: a field of the same name must not overwrite them.
const RESERVED: ReadonlySet<string> = new Set(['level', 'event', 'time', 'tag', 'message']);

/**
 * Creates the SDK's logger, which filters by level, redacts, formats, then calls the sink.
 * @param options - level, format, and optionally a user logger, colour and clock
 * @returns a logger whose `log()` never throws
 * @example
 * ```ts
 * const log = createSdkLogger({ level: 'info', format: 'pretty' });
 * log.log('info', 'Init', 'client.init', 'AuthSec client initialised.', {
 *   baseUrl: 'https://prod.api.authsec.ai',
 * });
 * // [AuthSec SDK] [Init] AuthSec client initialised.
 * //    |- Base URL : https://prod.api.authsec.ai
 * ```
 */
export function createSdkLogger(options: SdkLoggerOptions): SdkLogger {
  // Config validation lives elsewhere; a bad value from plain JS falls back to the house defaults.
  const level: LogLevel = isLogLevel(options.level) ? options.level : 'warn';
  const format: LogFormat = options.format === 'json' ? 'json' : 'pretty';
  const sink = options.logger;
  const color = options.color ?? defaultColor();
  const now = options.now ?? Date.now;
  // The levels up to `level` (LOG_LEVELS runs from `silent` to `debug`), `silent` aside. Compared
  // with `=== true`, so an unknown level from plain JS (even `'toString'`) reads as off.
  const on: Readonly<Record<string, boolean>> = Object.freeze(
    Object.fromEntries(LOG_LEVELS.slice(1, LOG_LEVELS.indexOf(level) + 1).map((l) => [l, true])),
  );

  function emit(
    entryLevel: EntryLevel,
    tag: LogTag,
    event: string,
    message: string,
    fields: LogFields | undefined,
  ): void {
    const text = redactString(String(message));
    const safe = fields === undefined ? {} : toRecord(redact(fields));
    if (sink !== undefined) {
      sink[entryLevel](`${PREFIX} [${tag}] ${text}`, { event, tag, ...unreserved(safe) });
      return;
    }
    const line =
      format === 'json'
        ? JSON.stringify({
            level: entryLevel,
            event,
            time: isoTime(now),
            tag,
            message: text,
            ...unreserved(safe),
          })
        : pretty(entryLevel, tag, text, safe, color);
    console[entryLevel](line);
  }

  return Object.freeze({
    level,
    enabled: (entryLevel: EntryLevel): boolean => on[entryLevel] === true,
    log(
      entryLevel: EntryLevel,
      tag: LogTag,
      event: string,
      message: string,
      fields?: LogFields,
    ): void {
      if (on[entryLevel] !== true) return;
      try {
        emit(entryLevel, tag, event, message, fields);
      } catch {
        // Logging must never break the token retrieval it describes, whoever's sink threw.
      }
    },
    warnAlways(tag: LogTag, event: string, message: string, fields?: LogFields): void {
      try {
        emit('warn', tag, event, message, fields);
      } catch {
        // As log(): a throwing sink must not stop the client.
      }
    },
  });
}

function toRecord(value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  return value === undefined ? {} : { fields: value };
}

function unreserved(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!RESERVED.has(key)) assign(out, key, value);
  }
  return out;
}

function isoTime(now: () => number): string {
  const date = new Date(now());
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
