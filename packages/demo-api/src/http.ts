// HTTP plumbing for the demo API: the bearer credential, RFC 6750 challenges, JSON in and out.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** The realm every challenge names. */
export const REALM = 'demo-api';

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What the server answers: a status, a JSON body and any extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when there is none.
 * The scheme is case-insensitive (RFC 7235); any other scheme counts as no credential.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(.+)$/i.exec(header.trim());
  const token = match?.[1]?.trim();
  return token === undefined || token === '' ? undefined : token;
}

/**
 * A `WWW-Authenticate` value (RFC 6750 section 3). Values are fixed strings or scopes from the
 * route table, never request input; quotes and backslashes are dropped all the same.
 */
export function challenge(params: Readonly<Record<string, string>> = {}): string {
  const parts = [`realm="${REALM}"`];
  for (const [name, value] of Object.entries(params)) {
    parts.push(`${name}="${value.replace(/["\\]/g, '')}"`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/** Writes a JSON answer that no cache keeps (every answer here is protected data or an error). */
export function sendJson(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(text);
}

/** A request body the API refuses, with the status to answer. */
export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

/**
 * Reads a JSON request body of at most {@link MAX_BODY_BYTES}.
 * @throws BodyError 415 for another content type, 413 when too large, 400 for invalid JSON
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new BodyError(415, 'send the body as Content-Type: application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new BodyError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const text = (await collect(req)).toString('utf8');
  if (text.trim() === '') throw new BodyError(400, 'the body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'the body is not valid JSON');
  }
}

function collect(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Keep reading (and dropping) the rest, so the client gets the 413 and not a reset.
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => reject(new BodyError(400, 'the request was aborted')));
    req.once('close', () => reject(new BodyError(400, 'the request was aborted')));
  });
}

/** The `http://host:port` origin of a listening server, IPv6 bracketed. */
export function originOf(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return `http://${isIP(bare) === 6 ? `[${bare}]` : bare}:${port}`;
}
