// The store's own log lines: redacted, to the user's logger or as `[AuthSec SDK] [Redis]` console lines.

import { type LogFields, type Logger, redact } from '@authsec/core';

/** What the store says: warnings only (the client reports outages; this reports configuration). */
export interface StoreLogger {
  warn(message: string, fields?: LogFields): void;
}

/**
 * A logger for the store: `logger.warn` with redacted fields, or a console line like core's.
 * @param logger - the user's logger, if any
 */
export function createStoreLogger(logger: Logger | undefined): StoreLogger {
  return {
    warn(message, fields) {
      const safe = fields === undefined ? undefined : (redact(fields) as LogFields);
      try {
        if (logger !== undefined) {
          logger.warn(message, safe);
          return;
        }
        const lines = [`[AuthSec SDK] [Redis] ${message}`];
        for (const [name, value] of Object.entries(safe ?? {})) {
          lines.push(
            `   |- ${name} : ${typeof value === 'string' ? value : JSON.stringify(value)}`,
          );
        }
        console.warn(lines.join('\n'));
      } catch {
        // A broken logger must never break a token call.
      }
    },
  };
}
