// base64url and a JWT's JSON segments, decoded without verifying anything: the one codec behind the
// pull's token checks, log fingerprints, mock tokens and the verifier (Web Crypto and atob only).

/** One non-empty base64url segment, unpadded. */
export const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON object a base64url segment encodes; undefined for anything else (characters outside
 * base64url, invalid UTF-8, not JSON, not an object). Never throws.
 * @param segment - one dot-separated part of a compact JWS
 */
export function segmentJson(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined || !SEGMENT_RE.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(base64urlDecode(segment)));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of base64url text (padding optional).
 * @param text - base64url, e.g. a JWS segment
 * @returns the decoded bytes
 * @throws DOMException when the text is not base64
 */
export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Unpadded base64url of bytes, or of a string's UTF-8.
 * @param data - bytes (a signature, a digest) or text (a JWS segment's JSON)
 * @returns base64url without padding
 */
export function base64urlEncode(data: Uint8Array | string): string {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
