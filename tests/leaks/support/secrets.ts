// Finds secrets in printed text: known values whole or in part, and anything shaped like a token or private key.

import { fingerprint } from '@authsec/core';

/** A secret a run used, named by what it is. */
export interface Secret {
  readonly kind: string;
  readonly value: string;
}

/**
 * The shortest run of a secret that counts as a leak. The SDK's redacted preview shows at most the
 * first 12 characters of a token's header (redact.ts `HEADER_CHARS`) and 8 of its `jti`, so a
 * 24-character run can only come from printing part of the secret itself.
 */
export const MIN_LEAK_CHARS = 24;

/** Shapes that are a leak whoever's secret they are. */
const SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  // A compact JWS/JWE: header, payload and signature (the last may be empty for `alg: none`).
  ['a whole JWT', /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/],
  ['a PEM private key', /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/],
  // A JWK's private exponent, as JSON (`"d":"…"`) or as util.inspect shows it (`d: '…'`).
  ['a JWK private exponent (d)', /["']?\bd["']?\s*:\s*["'][\w-]{40,}["']/],
  // RSA private JWK members other than `d`, in case a key is printed member by member.
  [
    'a JWK private prime (p, q, dp, dq, qi)',
    /["']?\b(?:p|q|dp|dq|qi)["']?\s*:\s*["'][\w-]{40,}["']/,
  ],
];

/** One leak: what kind of secret, where, and only a fingerprint of it (a failure must not leak it). */
export interface Leak {
  readonly kind: string;
  readonly at: number;
  readonly shown: string;
}

/**
 * Every leak of `secrets` (whole, or any {@link MIN_LEAK_CHARS}-character run) and of the
 * {@link SHAPES} in `text`.
 * @param text - what a run printed, or what inspect/JSON/String made of an object
 * @param secrets - the secrets in play
 * @returns the leaks, empty when none
 */
export function findLeaks(text: string, secrets: Iterable<Secret>): Leak[] {
  const leaks: Leak[] = [];
  const runs = new Map<string, string>();
  for (const { kind, value } of secrets) {
    if (value.length < MIN_LEAK_CHARS) {
      const at = text.indexOf(value);
      if (at >= 0) leaks.push({ kind: `${kind} (whole)`, at, shown: fingerprint(value) });
      continue;
    }
    for (let i = 0; i + MIN_LEAK_CHARS <= value.length; i++) {
      runs.set(value.slice(i, i + MIN_LEAK_CHARS), kind);
    }
  }
  for (let i = 0; i + MIN_LEAK_CHARS <= text.length; i++) {
    const kind = runs.get(text.slice(i, i + MIN_LEAK_CHARS));
    if (kind === undefined) continue;
    leaks.push({ kind: `${kind} (${MIN_LEAK_CHARS}+ characters of it)`, at: i, shown: '[hidden]' });
    // One report per leaked run is enough.
    i += MIN_LEAK_CHARS - 1;
  }
  for (const [kind, shape] of SHAPES) {
    const match = shape.exec(text);
    if (match) leaks.push({ kind, at: match.index, shown: fingerprint(match[0]) });
  }
  return leaks;
}

/**
 * Throws when `text` leaks a secret, naming each leak without printing it.
 * @param where - what the text is, for the failure message
 * @param text - the text to check
 * @param secrets - the secrets in play
 */
export function expectNoLeak(where: string, text: string, secrets: Iterable<Secret>): void {
  const leaks = findLeaks(text, secrets);
  if (leaks.length === 0) return;
  const lines = leaks
    .slice(0, 10)
    .map(
      (leak) =>
        `  ${leak.kind} at character ${leak.at} (${leak.shown}); around it: ${JSON.stringify(context(text, leak.at))}`,
    );
  throw new Error(`${where} leaks ${leaks.length} secret(s):\n${lines.join('\n')}`);
}

/** The text around a leak with every base64url run longer than 12 characters cut, so it is safe to show. */
function context(text: string, at: number): string {
  return text
    .slice(Math.max(0, at - 60), at + 60)
    .replace(/[\w+/=-]{13,}/g, (run) => `${run.slice(0, 12)}…`);
}

/** Secrets, deduplicated by value. */
export class SecretSet implements Iterable<Secret> {
  readonly #byValue = new Map<string, Secret>();

  /** Adds a secret; empty values are ignored. */
  add(kind: string, value: string | undefined): this {
    const trimmed = value?.trim() ?? '';
    if (trimmed !== '' && !this.#byValue.has(trimmed)) {
      this.#byValue.set(trimmed, { kind, value: trimmed });
    }
    return this;
  }

  /** How many secrets of `kind` (a prefix match) are known. */
  count(kind = ''): number {
    return [...this.#byValue.values()].filter((s) => s.kind.startsWith(kind)).length;
  }

  [Symbol.iterator](): Iterator<Secret> {
    return this.#byValue.values();
  }
}
