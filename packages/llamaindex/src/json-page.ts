// Reading one page of a paged API answer as JSON, with a size bound, into a typed error otherwise.

import { AuthSecResponseError } from '@authsec/core';

/** The non-secret facts of the request a page answers, for error messages. */
export interface PageFacts {
  readonly status: number;
  readonly method: 'GET';
  readonly path?: string;
}

/** The default bound of one page's body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * The parsed JSON body of one page, read no further than `maxBytes`.
 * @param response - the 2xx Response of core's authorized request, body unread
 * @param maxBytes - the most bytes read before giving up
 * @param facts - status, method and path (no query) for the error message
 * @returns the parsed body
 * @throws AuthSecResponseError when the body is larger than `maxBytes` or not JSON (the body is never quoted)
 */
export async function readJsonPage(
  response: Response,
  maxBytes: number,
  facts: PageFacts,
): Promise<unknown> {
  const where = `GET ${facts.path ?? ''}`.trim();
  const tooLarge = () =>
    new AuthSecResponseError(
      `The answer to ${where} is larger than ${maxBytes} bytes; the reader stopped reading it.`,
      {
        issues: ['body'],
        ...facts,
        hint: 'Page the endpoint (a smaller `limit` query), or raise `maxResponseBytes`.',
      },
    );
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  let text = '';
  if (response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let size = 0;
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
    text += decoder.decode();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AuthSecResponseError(`The answer to ${where} is not JSON.`, {
      issues: ['body'],
      ...facts,
      hint: 'Point the reader at an endpoint that answers JSON records.',
    });
  }
}
