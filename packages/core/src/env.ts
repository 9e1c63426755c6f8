// Reads settings (option, then environment variable, then default) and collects every problem.

import { AuthSecConfigError } from './errors.js';
import { checkServerUrl, type ServerUrlRules } from './server-url.js';

/** Environment variables by name, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The trimmed value of an environment variable; empty or unset reads as `undefined`.
 * @param name - the variable's name
 * @param env - where to read (defaults to `process.env` when it exists)
 */
export function readEnv(name: string, env: Env | undefined = defaultEnv()): string | undefined {
  return readRawEnv(name, env)?.trim();
}

/** The raw (untrimmed) value, for checks that must see copy-paste artefacts. */
export function readRawEnv(name: string, env: Env | undefined = defaultEnv()): string | undefined {
  const raw = env?.[name];
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
}

/** `process.env` where it exists (Node, Bun, Deno's compat layer), else undefined. */
export function defaultEnv(): Env | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env;
}

/** Where a setting's value came from. */
export type SettingSource = 'option' | 'env';

/** A setting as given, before parsing: the option as passed, or the env var's trimmed string. */
export interface Given {
  readonly value: unknown;
  readonly from: SettingSource;
}

/** How {@link SettingsReader.setting} parses, defaults and names one setting. */
export interface SettingRule<T> {
  /** The environment variable read when the option is not given. */
  readonly env?: string;
  /** The value when neither is given, or when the given one is unusable. */
  readonly fallback: T;
  /** Completes "`name` must be …" in the problem an unusable value adds. */
  readonly expected: string;
  /** The value, or undefined when it is unusable. */
  readonly parse: (value: unknown, from: SettingSource) => T | undefined;
  /** Lower-case the env value before parsing (options are taken as given). */
  readonly caseInsensitive?: boolean;
  /** Quote the unusable value in the problem (never for secrets). */
  readonly showValue?: boolean;
  /** Warn "Unknown <this> 'x' …: using <fallback>" instead of adding a problem. */
  readonly unknown?: string;
}

const NO_FETCH = 'This runtime has no global fetch: pass `fetch`';

/**
 * Reads settings from an options bag and its `env`, collecting problems and warnings, so that one
 * error lists them all.
 * @example
 * ```ts
 * const s = new SettingsReader(options);
 * const timeoutMs = s.setting('timeoutMs', { env: 'AUTHSEC_TIMEOUT_MS', fallback: 10_000, ...POSITIVE_MS });
 * return s.done({ timeoutMs }, 'See the @authsec/core README.'); // throws if any problem was found
 * ```
 */
export class SettingsReader<O extends { env?: Env | undefined; fetch?: typeof fetch }> {
  /** Problems so far, each naming the option and the environment variable to fix. */
  readonly problems: string[] = [];
  /** Things worth a warning that are not errors. */
  readonly warnings: string[] = [];
  readonly #options: O;

  constructor(options: O) {
    this.#options = options;
  }

  /** Where environment variables are read (`options.env`, else `process.env`). */
  get env(): Env | undefined {
    return this.#options.env ?? defaultEnv();
  }

  /**
   * The option when given, else (when `useEnv`) the environment variable. `undefined` and `null`
   * are not given, nor is a blank string where an env var exists (`baseUrl: process.env.X` works).
   */
  read(name: keyof O & string, envVar?: string, useEnv = true): Given | undefined {
    const value: unknown = this.#options[name];
    const blank = typeof value === 'string' && value.trim() === '' && envVar !== undefined;
    if (value !== undefined && value !== null && !blank) return { value, from: 'option' };
    const fromEnv = useEnv && envVar !== undefined ? readEnv(envVar, this.env) : undefined;
    return fromEnv === undefined ? undefined : { value: fromEnv, from: 'env' };
  }

  /** Adds the problem "`name` must be `expected`", saying how to fix it when there is an env var. */
  invalid(name: string, expected: string, envVar?: string): void {
    const fix = envVar === undefined ? '' : `: pass \`${name}\` or set ${envVar}`;
    this.problems.push(`${name} must be ${expected}${fix}`);
  }

  /** A setting by its rule; an unusable value adds a problem (or a warning) and gives the fallback. */
  setting<T>(name: keyof O & string, rule: SettingRule<T>): T {
    const given = this.read(name, rule.env);
    if (given === undefined) return rule.fallback;
    const { value: raw, from } = given;
    const value =
      rule.caseInsensitive && typeof raw === 'string' && from === 'env' ? raw.toLowerCase() : raw;
    const parsed = rule.parse(value, from);
    if (parsed !== undefined) return parsed;
    const shown = printable(value).slice(0, 20);
    if (rule.unknown === undefined)
      this.invalid(name, `${rule.expected}${rule.showValue ? ` (got '${shown}')` : ''}`, rule.env);
    else
      this.warnings.push(
        `Unknown ${rule.unknown} '${shown}' (${name} / ${rule.env}): using '${String(rule.fallback)}'. Use ${rule.expected}.`,
      );
    return rule.fallback;
  }

  /** A server URL setting, read and then checked and normalised; undefined with a problem. */
  serverUrl(given: Given | undefined, rules: ServerUrlRules): string | undefined {
    if (given === undefined) return undefined;
    if (typeof given.value === 'string') return checkServerUrl(given.value, rules, this.problems);
    this.invalid(rules.option, 'a string', rules.env);
    return undefined;
  }

  /** The `fetch` option, else the global one; else a problem when `needed`, and a fetch that rejects. */
  fetch(needed: boolean): typeof fetch {
    const found: unknown = this.#options.fetch ?? globalThis.fetch;
    if (isFunction(found)) return found;
    if (needed) this.problems.push(NO_FETCH);
    return () => Promise.reject(AuthSecConfigError.fromProblems([NO_FETCH]));
  }

  /**
   * `value`, or the one error listing every problem collected.
   * @param value - the result, undefined only when a problem says why
   * @throws AuthSecConfigError with every problem and `hint`
   */
  done<T>(value: T | undefined, hint: string): T {
    if (this.problems.length > 0 || value === undefined)
      throw AuthSecConfigError.fromProblems(this.problems, { hint });
    return value;
  }
}

/** Where a problem says a setting came from: `` `option` `` or the environment variable. */
export function sourceName(name: string, given: Given, envVar: string): string {
  return given.from === 'option' ? `\`${name}\`` : envVar;
}

/** Parses a finite number that passes `ok`: an option as given, an env value with `Number()`. */
export function numberWhere(ok: (n: number) => boolean): SettingRule<number>['parse'] {
  return (value, from) => {
    const n = from === 'env' && typeof value === 'string' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) && ok(n) ? n : undefined;
  };
}

/** Parses exactly one of `values`. */
export function oneOf<T extends string>(values: readonly T[]): (value: unknown) => T | undefined {
  return (value) => values.find((v) => v === value);
}

/** A positive number of milliseconds. */
export const POSITIVE_MS = {
  expected: 'a positive number of milliseconds',
  parse: numberWhere((n) => n > 0),
};

/** A number of seconds, 0 or more. */
export const SECONDS = {
  expected: 'a number of seconds, 0 or more',
  parse: numberWhere((n) => n >= 0),
};

/**
 * `String(value)`, or its type when it has no string form (`{ toString: 1 }` from parsed JSON, a
 * null-prototype object), so reporting a bad value never throws.
 */
export function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

function isFunction(value: unknown): value is typeof fetch {
  return typeof value === 'function';
}
