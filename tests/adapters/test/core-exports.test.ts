// Every adapter re-exports the same names from @authsec/core, each core's very object.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as autogen from '@authsec/autogen';
import * as core from '@authsec/core';
import * as langchain from '@authsec/langchain';
import * as llamaindex from '@authsec/llamaindex';
import { describe, expect, it } from 'vitest';
import { CORE_TYPES, CORE_VALUES } from '../core-exports.js';

const require = createRequire(import.meta.url);
const adapters = {
  '@authsec/autogen': autogen,
  '@authsec/langchain': langchain,
  '@authsec/llamaindex': llamaindex,
} as const;
const sorted = (names: Iterable<string>) => [...names].sort();

/** The names (values and `type`s) in a package's `export { … } from '@authsec/core'` block. */
function coreBlock(pkg: string): { values: string[]; types: string[] } {
  const root = dirname(require.resolve(`${pkg}/package.json`));
  const source = readFileSync(join(root, 'src/index.ts'), 'utf8');
  const blocks = [...source.matchAll(/export (type )?\{([^}]*)\} from '@authsec\/core';/g)];
  const values: string[] = [];
  const types: string[] = [];
  for (const [, allTypes, body] of blocks) {
    for (const entry of (body ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (allTypes || entry.startsWith('type ')) types.push(entry.replace(/^type /, ''));
      else values.push(entry);
    }
  }
  return { values, types };
}

describe('the names every adapter re-exports from @authsec/core', () => {
  it('are all real core exports', () => {
    for (const name of CORE_VALUES) expect(name in core, name).toBe(true);
  });

  it.each(Object.entries(adapters))(
    '%s re-exports exactly the list, core’s very objects',
    (_pkg, ns) => {
      const fromCore = Object.keys(ns).filter((name) => name in core);
      expect(sorted(fromCore)).toEqual(sorted(CORE_VALUES));
      for (const name of CORE_VALUES) {
        expect((ns as Record<string, unknown>)[name], name).toBe(
          (core as Record<string, unknown>)[name],
        );
      }
    },
  );

  it.each(Object.keys(adapters))(
    '%s lists exactly the same values and types in its index.ts',
    (pkg) => {
      const { values, types } = coreBlock(pkg);
      expect(sorted(values)).toEqual(sorted(CORE_VALUES));
      expect(sorted(types)).toEqual(sorted(CORE_TYPES));
    },
  );
});
