// Reading one page of an API answer: where its records are, and where the next page is.

/** Picks the records out of a parsed answer body. */
export type RecordSelector = (body: unknown) => readonly unknown[] | undefined;

/** Where the next page is: a link to follow, or a cursor to send back. */
export type NextPage = { kind: 'link'; href: string } | { kind: 'cursor'; cursor: string };

const LIST_KEYS = ['records', 'data', 'items'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The records of a body: a bare array, the array under `records`, `data` or `items`, or else the
 * body's only array-valued field (such as `{ metrics: [...] }`).
 * @param body - the parsed JSON answer
 * @returns the records, or `undefined` when the body has none of those shapes
 */
export function defaultSelect(body: unknown): readonly unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return undefined;
  for (const key of LIST_KEYS) {
    const list = body[key];
    if (Array.isArray(list)) return list;
  }
  const arrays = Object.values(body).filter((value) => Array.isArray(value));
  return arrays.length === 1 ? (arrays[0] as unknown[]) : undefined;
}

/**
 * The next page a body points to: a `next` link (also `links.next`), else a `next_cursor` /
 * `nextCursor` value. Empty strings and null mean the last page.
 * @param body - the parsed JSON answer
 * @returns where to go next, or `undefined` on the last page
 */
export function findNextPage(body: unknown): NextPage | undefined {
  if (!isObject(body)) return undefined;
  const links = isObject(body.links) ? body.links : undefined;
  const href = nonEmpty(body.next) ?? nonEmpty(links?.next);
  if (href !== undefined) return { kind: 'link', href };
  const cursor = nonEmpty(body.next_cursor) ?? nonEmpty(body.nextCursor);
  if (cursor !== undefined) return { kind: 'cursor', cursor };
  return undefined;
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
