// Fills `{name}` placeholders in a request path with values a model chose, so they cannot change the path.

import { AuthSecConfigError } from './errors.js';

/** Placeholders such as `{id}` in `/customers/{id}`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Expands `/customers/{id}` with `{ id: '42' }` into `/customers/42`, encoding each value as one
 * path segment: `/`, `?`, `#`, `%`, spaces and control characters are percent-encoded, and values
 * that are empty, have a `.` or `..` segment (split on `/` or `\\`), contain CR/LF or are not valid
 * text are refused.
 * @param template - a path with `{name}` placeholders
 * @param params - the values (strings, numbers, booleans)
 * @returns the expanded path
 * @throws TypeError naming the parameter when a value is refused (safe to show a model: it can fix it)
 * @throws AuthSecConfigError when the template names a parameter that is not given (a programming error)
 * @example
 * ```ts
 * expandPath('/billing/customers/{id}', { id: '42' }); // '/billing/customers/42'
 * ```
 */
export function expandPath(template: string, params: Readonly<Record<string, unknown>>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    if (!(name in params)) {
      throw AuthSecConfigError.fromProblems([
        `the path template ${template} names {${name}}, but no such parameter was given`,
      ]);
    }
    const value = params[name];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`Path parameter "${name}" must be a string or a number.`);
    }
    const text = String(value);
    // A '..' segment is refused even though encoding would keep it inside one segment: servers
    // that decode %2F or accept '\\' would climb out, and core's join refuses it as fatal later.
    const dotSegment = text.split(/[/\\]/).some((part) => part === '.' || part === '..');
    if (text === '' || dotSegment || /[\r\n]/.test(text)) {
      throw new TypeError(
        `Path parameter "${name}" must be a non-empty value with no "." or ".." segment and no line breaks.`,
      );
    }
    let encoded: string;
    try {
      encoded = encodeURIComponent(text);
    } catch {
      throw new TypeError(`Path parameter "${name}" is not valid text (a lone surrogate).`);
    }
    return encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  });
}

/**
 * The `{name}` placeholders of a path template, in order: what a tool must ask a model for.
 * @param template - a path with `{name}` placeholders
 * @returns the placeholder names, e.g. `['id']`
 * @example
 * ```ts
 * pathParameters('/billing/customers/{id}'); // ['id']
 * ```
 */
export function pathParameters(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}
