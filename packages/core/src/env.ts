// Reads environment variables through one guard, so core runs where `process` does not exist.

/**
 * The trimmed value of an environment variable; empty or unset reads as `undefined`.
 * @param name - the variable's name
 * @param env - where to read (defaults to `process.env` when it exists)
 */
export function readEnv(
  name: string,
  env: Readonly<Record<string, string | undefined>> | undefined = defaultEnv(),
): string | undefined {
  const raw = env?.[name];
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The raw (untrimmed) value, for checks that must see copy-paste artefacts. */
export function readRawEnv(
  name: string,
  env: Readonly<Record<string, string | undefined>> | undefined = defaultEnv(),
): string | undefined {
  const raw = env?.[name];
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
}

/** `process.env` where it exists (Node, Bun, Deno's compat layer), else undefined. */
export function defaultEnv(): Readonly<Record<string, string | undefined>> | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env;
}
