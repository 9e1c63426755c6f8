// Reading one page of a paged API answer as JSON, with a size bound, into a typed error otherwise.

import { AuthSecResponseError, readText } from '@authsec/core';

/** The non-secret facts of the request a page answers, for error messages. */
export interface PageFacts {
  readonly status: number;
  readonly method: 'GET';
  readonly path?: string;
}

/** The default bound of one page's body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * The parsed JSON body of one page, read no further than `maxBytes` (by core's `readText`).
 * @param response - the 2xx Response of core's authorized request, body unread
 * @param maxBytes - the most bytes read before giving up
 * @param facts - status, method and path (no query) for the error message
 * @param signal - stops the read
 * @returns the parsed body
 * @throws AuthSecResponseError when the body is larger than `maxBytes` or not JSON (the body is never
 *   quoted), and core's body-read errors (AuthSecNetworkError, AuthSecAbortedError …)
 */
export async function readJsonPage(
  response: Response,
  maxBytes: number,
  facts: PageFacts,
  signal?: AbortSignal,
): Promise<unknown> {
  const text = await readText(response, {
    maxBytes,
    method: facts.method,
    ...(facts.path !== undefined && { path: facts.path }),
    ...(signal && { signal }),
    hint: 'Page the endpoint (a smaller `limit` query), or raise `maxResponseBytes`.',
  });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AuthSecResponseError(
      `The answer to ${`GET ${facts.path ?? ''}`.trim()} is not JSON.`,
      {
        issues: ['body'],
        ...facts,
        hint: 'Point the reader at an endpoint that answers JSON records.',
      },
    );
  }
}
