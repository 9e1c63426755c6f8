// Fault injection for the pull endpoint: the failures a client meets between it and AuthSec.

import type { ServerResponse } from 'node:http';

/**
 * One way the next pull(s) can go wrong.
 * - `status`: answer this status with a JSON `{"error": …}` body (or `body`), optional `Retry-After`.
 * - `html`: a proxy's HTML error page (429, 502, 503, 504 …), optional `Retry-After`.
 * - `raw`: any body and content type, e.g. non-JSON text with status 200.
 * - `delay`: wait `ms`, then answer normally.
 * - `hang`: accept the request and never answer (until the client gives up or the server closes).
 * - `drop-mid-body`: send the 200 headers and half the body, then destroy the connection.
 * - `missing-token`: a 200 JSON body without `token`.
 * - `oversize`: a 200 JSON body padded to `bytes` (default 5 MiB).
 */
export type PullFault =
  | {
      type: 'status';
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      retryAfter?: number | Date;
    }
  | { type: 'html'; status: number; retryAfter?: number | Date }
  | { type: 'raw'; status?: number; contentType?: string; body: string }
  | { type: 'delay'; ms: number }
  | { type: 'hang' }
  | { type: 'drop-mid-body' }
  | { type: 'missing-token' }
  | { type: 'oversize'; bytes?: number };

interface QueuedFault {
  fault: PullFault;
  remaining: number;
}

/** A first-in, first-out queue of faults, each good for a number of pulls. */
export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  push(fault: PullFault, times: number): void {
    if (!(times > 0)) throw new RangeError(`times must be a positive number, got ${times}`);
    if (fault.type === 'status' || fault.type === 'html') {
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new RangeError(`fault status must be an HTTP status 100–599, got ${fault.status}`);
      }
    }
    this.#queue.push({ fault, remaining: times });
  }

  /** Takes the fault for the next pull, if any. */
  take(): PullFault | undefined {
    const head = this.#queue[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.#queue.shift();
    return head.fault;
  }

  clear(): void {
    this.#queue.length = 0;
  }

  get size(): number {
    return this.#queue.length;
  }
}

/** Formats `Retry-After` as delay-seconds or an HTTP date. */
export function retryAfterValue(value: number | Date): string {
  return value instanceof Date ? value.toUTCString() : String(Math.max(0, Math.round(value)));
}

const HTML_TITLES: Record<number, string> = {
  429: '429 Too Many Requests',
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
};

/** A proxy-style HTML error page. */
export function htmlErrorPage(status: number): string {
  const title = HTML_TITLES[status] ?? `${status} Error`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** Sends half of `body` after a 200 header, then cuts the connection. */
export function dropMidBody(res: ServerResponse, body: string): void {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.write(body.slice(0, Math.floor(body.length / 2)), () => {
    res.socket?.destroy();
  });
}
