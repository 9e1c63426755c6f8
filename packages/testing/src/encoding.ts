// Small encoding and validation helpers shared by the emulator's modules.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in canonical 8-4-4-4-12 form, with nothing around it. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function base64url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return Buffer.from(bytes).toString('base64url');
}

/** Decodes one base64url JWT segment into a JSON object, or undefined when it is not one. */
export function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Merges `overrides` into `base`; a key whose override is `undefined` is removed. */
export function mergeDefined(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  if (!overrides) return out;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** Shortens a secret for display: the first characters and a length, never the whole value. */
export function shorten(secret: string, keep = 12): string {
  return secret.length <= keep ? '…' : `${secret.slice(0, keep)}… (${secret.length} chars)`;
}

/**
 * Percent-decodes one path segment.
 * @returns the decoded text, or undefined for a malformed escape (`%`, `%zz`, invalid UTF-8)
 */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
