// The seed's pretty log layout: `[AuthSec SDK] [Tag] message`, then one labelled, aligned row per
// field, coloured on a terminal.

import { readEnv } from './env.js';
import type { EntryLevel, LogTag } from './logger.js';

const LABELS: ReadonlyMap<string, string> = new Map([
  ['baseUrl', 'Base URL'],
  ['clientId', 'Client ID'],
  ['token', 'Token'],
  ['jti', 'JTI'],
  ['expiresAt', 'Expires'],
  ['permissions', 'Permissions'],
  ['audience', 'Audience'],
  ['mode', 'Mode'],
  ['status', 'Status'],
  ['code', 'Code'],
  ['hint', 'Hint'],
  ['attempt', 'Attempt'],
  ['delayMs', 'Delay (ms)'],
  ['path', 'Path'],
  ['spiffeId', 'SPIFFE ID'],
]);

/** What every entry starts with. */
export const PREFIX = '[AuthSec SDK]';
const RESET = '\u001b[0m';
const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const CYAN = '\u001b[36m';

/**
 * Whether console output should be coloured: stderr is a TTY and `NO_COLOR` is unset or empty.
 *
 * Reads `globalThis.process` guarded, so it answers `false` where `process` does not exist or
 * the environment cannot be read (Deno without `--allow-env`).
 * @returns true when ANSI colour is appropriate
 * @example
 * ```ts
 * createSdkLogger({ level: 'info', format: 'pretty', color: defaultColor() });
 * ```
 */
export function defaultColor(): boolean {
  try {
    const proc = (
      globalThis as {
        process?: { env?: Record<string, string | undefined>; stderr?: { isTTY?: boolean } };
      }
    ).process;
    if (proc === undefined || proc === null) return false;
    // no-color.org: present and not empty means off.
    if (readEnv('NO_COLOR', proc.env) !== undefined) return false;
    return proc.stderr?.isTTY === true;
  } catch {
    return false;
  }
}

function tagColour(level: EntryLevel, tag: LogTag): string {
  if (tag === 'Error' || level === 'error') return RED;
  if (tag === 'Success') return GREEN;
  if (tag === 'Warning' || tag === 'MOCK FALLBACK' || level === 'warn') return YELLOW;
  return CYAN;
}

/** One entry in the seed's layout: the tagged message line, then a row per defined field. */
export function pretty(
  level: EntryLevel,
  tag: LogTag,
  message: string,
  fields: Record<string, unknown>,
  color: boolean,
): string {
  const shownTag = color ? `${tagColour(level, tag)}[${tag}]${RESET}` : `[${tag}]`;
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) rows.push([LABELS.get(key) ?? key, prettyValue(value)]);
  }
  const width = rows.reduce((max, [label]) => Math.max(max, label.length), 0);
  const lines = [`${PREFIX} ${shownTag} ${message}`];
  for (const [label, value] of rows) {
    const head = `   |- ${label.padEnd(width)} : `;
    // Continuation lines are indented so a value cannot pass for an entry of its own.
    lines.push(head + value.split('\n').join(`\n${' '.repeat(head.length)}`));
  }
  return lines.join('\n');
}

function prettyValue(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? '(none)' : value.map(prettyItem).join(', ');
  }
  return prettyItem(value);
}

function prettyItem(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
