// Proves the names models and logs see survive a consumer's minifier.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AuthSecConfigError } from '@authsec/core';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'authsec-autogen-minified-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('names in a minified bundle', () => {
  it('AuthSecToolCallsError and FunctionCallError keep their names after esbuild minify without keepNames', async () => {
    const outfile = join(dir, 'bundle.mjs');
    await build({
      entryPoints: [dist],
      bundle: true,
      minify: true,
      keepNames: false,
      format: 'esm',
      platform: 'node',
      outfile,
      logLevel: 'silent',
    });
    const minified = (await import(pathToFileURL(outfile).href)) as {
      AuthSecToolCallsError: {
        name: string;
        fromErrors(
          errors: readonly Error[],
          messages: readonly unknown[],
          ids: readonly string[],
        ): Error & { toJSON(): { name: string } };
      };
      FunctionCallError: new (code: string, message: string) => Error;
    };
    const { AuthSecToolCallsError, FunctionCallError } = minified;
    expect(AuthSecToolCallsError.name, 'the minifier renamed the class').not.toBe(
      'AuthSecToolCallsError',
    );
    const error = AuthSecToolCallsError.fromErrors(
      [AuthSecConfigError.fromProblems(['x'])],
      [],
      ['call_1'],
    );
    expect(error.name).toBe('AuthSecToolCallsError');
    expect(error.toJSON().name).toBe('AuthSecToolCallsError');
    expect(String(error)).toMatch(/^AuthSecToolCallsError \[ERR_AUTHSEC_CONFIG\]/);
    expect(new FunctionCallError('ERR_AUTOGEN_INVALID_JSON', 'x').name).toBe('FunctionCallError');
  });
});
