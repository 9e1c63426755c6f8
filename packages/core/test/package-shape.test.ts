// Proves what core may depend on at run time: nothing but its own files, and no Node built-in module.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = readdirSync(`${root}src`).filter((name) => name.endsWith('.ts'));

/** A source file without its comments (TSDoc examples import '@authsec/core'). */
function code(name: string): string {
  return readFileSync(`${root}src/${name}`, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

/** Every module specifier a source file imports or re-exports at run time (type-only imports do not count). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const runtime = text
    .replace(/\bimport\s+type\s[^;]*?from\s*['"][^'"]+['"]/g, '')
    .replace(/\bexport\s+type\s[^;]*?from\s*['"][^'"]+['"]/g, '');
  for (const match of runtime.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
    found.push(match[1] as string);
  }
  for (const match of runtime.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]/g)) {
    found.push(match[1] as string);
  }
  return found;
}

// `process` may be read only through `globalThis`, guarded (src/env.ts), so a bare use is refused.
const NODE_GLOBALS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Buffer', /(?<![\w.])Buffer\b/],
  ['process', /(?<![\w.])process\.[A-Za-z]/],
  ['require', /(?<![\w.])require\s*\(/],
  ['__dirname', /\b__dirname\b/],
  ['__filename', /\b__filename\b/],
  ['setImmediate', /(?<![\w.])setImmediate\b/],
];

describe('the runtime source of @authsec/core', () => {
  it('imports at run time no node: module, no Node built-in and nothing but its own files', () => {
    expect(sources.length).toBeGreaterThan(20);
    const outside: string[] = [];
    for (const name of sources) {
      for (const spec of specifiers(code(name))) {
        if (!spec.startsWith('./')) outside.push(`${name}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('uses no Node-only global (Buffer, a bare process, require, __dirname) in runtime code', () => {
    const uses: string[] = [];
    for (const name of sources) {
      const text = code(name);
      for (const [global, pattern] of NODE_GLOBALS) {
        if (pattern.test(text)) uses.push(`${name}: ${global}`);
      }
    }
    expect(uses).toEqual([]);
  });

  it('declares no runtime dependency and no peers (base64url and JWT decoding are its own)', () => {
    const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.optionalDependencies).toBeUndefined();
  });
});
