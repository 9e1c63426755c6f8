// Proves error names survive a consumer's minifier: each class names itself with a string literal.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'authsec-minified-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('error names in a minified bundle', () => {
  it('every exported error class keeps its name (and toJSON name) after esbuild minify without keepNames', async () => {
    const outfile = join(dir, 'bundle.mjs');
    await build({
      entryPoints: [dist],
      bundle: true,
      minify: true,
      keepNames: false,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      outfile,
      logLevel: 'silent',
    });
    const minified = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    const source = (await import('../src/index.js')) as Record<string, unknown>;
    const base = source.AuthSecError as new (...args: unknown[]) => Error;
    const names = Object.entries(source)
      .filter(
        ([, value]) =>
          typeof value === 'function' && (value === base || value.prototype instanceof base),
      )
      .map(([name]) => name);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) {
      const Class = minified[name] as new (
        ...args: unknown[]
      ) => Error & { toJSON(): { name: string } };
      const args = [
        'x',
        {
          problems: ['x'],
          timeoutMs: 1,
          reason: 'malformed',
          ...(name === 'AuthSecError' && { code: 'ERR_AUTHSEC_HTTP' }),
        },
      ];
      const error = new Class(...args);
      expect(Class.name, 'the minifier renamed the class, as it does for consumers').not.toBe(name);
      expect(error.name).toBe(name);
      expect(error.toJSON().name).toBe(name);
      expect(String(error)).toMatch(new RegExp(`^${name} \\[`));
    }
  });

  it('a subclass defined outside core keeps its own class name', async () => {
    const { AuthSecError } = await import('../src/index.js');
    class AuthSecCustomError extends AuthSecError {}
    const error = new AuthSecCustomError('x', { code: 'ERR_AUTHSEC_HTTP' });
    expect(error.name).toBe('AuthSecCustomError');
    expect(new AuthSecError('x', { code: 'ERR_AUTHSEC_HTTP' }).name).toBe('AuthSecError');
  });
});
