// Minimal HTTP plumbing for the emulator: JSON answers, bounded body reading, request records.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** The endpoint a recorded request was for. */
export type RequestKind = 'pull' | 'delegate' | 'revoke' | 'bundle' | 'validate' | 'other';

/** What the emulator remembers of each request: enough to assert on, never a credential. */
export interface RecordedRequest {
  readonly kind: RequestKind;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** Query parameters (the last value of a repeated name wins). */
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names of the headers sent, in order. */
  readonly headerNames: readonly string[];
  /** Whether an `Authorization: Bearer …` header was sent (its value is not kept). */
  readonly bearer: boolean;
  /** The `X-Client-ID` header, when one was sent. */
  readonly clientIdHeader: string | undefined;
  /** The status answered, or 0 while unanswered (a hang, or a dropped connection). */
  status: number;
  readonly at: Date;
}

/** Builds the record of a request. */
export function recordOf(
  req: IncomingMessage,
  kind: RequestKind,
  url: URL,
  at: Date,
): RecordedRequest {
  const headerNames: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headerNames.push(String(req.rawHeaders[i]).toLowerCase());
  }
  const clientIdHeader = req.headers['x-client-id'];
  return {
    kind,
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headerNames,
    bearer: /^Bearer\s+\S/i.test(req.headers.authorization ?? ''),
    clientIdHeader: Array.isArray(clientIdHeader) ? clientIdHeader[0] : clientIdHeader,
    status: 0,
    at,
  };
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Writes a text answer of any content type. */
export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Thrown by `readJsonBody` with the status to answer. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON request body of at most `limit` bytes; an empty body reads as `{}`. */
export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // A too-large body is still drained, so the client reads the 413 instead of a reset.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new BodyError(413, 'request body too large');
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'invalid JSON body');
  }
}
