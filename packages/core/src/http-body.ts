// Reads response bodies with a size cap, so a hostile or broken server cannot exhaust memory.

import { AuthSecResponseError } from './errors.js';

/** The largest pull answer the SDK reads (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a response body as text, refusing more than `maxBytes`.
 * @throws AuthSecResponseError when the body is larger than allowed
 */
export async function readCappedText(
  response: Response,
  maxBytes: number,
  path: string,
): Promise<string> {
  const tooLarge = () =>
    new AuthSecResponseError(
      `AuthSec's answer is larger than ${maxBytes} bytes; the SDK stopped reading it.`,
      ['body'],
      {
        status: response.status,
        method: 'GET',
        path,
        hint: 'Check that AUTHSEC_BASE_URL points at the AuthSec server, not a proxy or another service.',
      },
    );
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Never await cancel(): on a cloned (tee'd) body it settles only when every branch is cancelled.
    response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const encoding = response.headers.get('content-encoding');
  if (
    Number.isFinite(declared) &&
    response.headers.has('content-length') &&
    (encoding === null || encoding.trim().toLowerCase() === 'identity')
  ) {
    // An uncompressed body cannot outgrow its declared length (the connection framing ends it),
    // so the cap is already enforced and the plain read is the fast one.
    return response.text();
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Rebuilds a response around an already-read body (status codes that forbid a body get none). */
export function withBody(response: Response, text: string): Response {
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
  return new Response(nullBody ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
