import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@authsec/core';
import { describe, expect, it } from 'vitest';
import * as langchain from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The bare specifiers a built ESM file imports, following its relative chunks. */
function bareImports(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(file)) return found;
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run \`pnpm run build\` before the tests`);
  }
  for (const [, specifier] of text.matchAll(/\bfrom\s+["']([^"']+)["']/g)) {
    if (!specifier) continue;
    if (specifier.startsWith('.')) {
      for (const s of bareImports(join(dirname(file), specifier), seen)) found.add(s);
    } else found.add(specifier);
  }
  return found;
}

describe('@authsec/langchain as a package', () => {
  it('exports only the AuthSec tools besides core’s names', () => {
    const own = Object.keys(langchain).filter((name) => !(name in core));
    expect(own.sort()).toEqual([
      'AuthSecStructuredTool',
      'createAuthSecRequestTool',
      'createAuthSecTool',
    ]);
  });

  it('takes @langchain/core as a peer and langchain as an optional peer, pinned for tests', () => {
    expect(pkg.peerDependencies).toEqual({
      '@langchain/core': '>=1.0.0 <2.0.0',
      langchain: '>=1.0.0 <2.0.0',
    });
    expect(pkg.peerDependenciesMeta).toEqual({ langchain: { optional: true } });
    expect(pkg.dependencies).not.toHaveProperty('@langchain/core');
    expect(pkg.dependencies).not.toHaveProperty('langchain');
    for (const name of ['@langchain/core', 'langchain']) {
      expect(pkg.devDependencies[name]).toMatch(/^1\.\d+\.\d+$/);
    }
  });

  it('the main entry never loads langchain; only the middleware entry does', () => {
    const main = bareImports(join(root, 'dist/index.js'));
    const middleware = bareImports(join(root, 'dist/middleware.js'));
    expect([...main].filter((s) => s === 'langchain' || s.startsWith('langchain/'))).toEqual([]);
    expect([...main].every((s) => s === '@authsec/core' || s.startsWith('@langchain/core/'))).toBe(
      true,
    );
    expect(middleware.has('langchain')).toBe(true);
  });
});
