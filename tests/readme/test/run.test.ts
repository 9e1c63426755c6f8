// The README blocks marked `<!-- snippet run -->` (the quick starts) run as written: against the
// repo's own AuthSec-compatible server and demo API on 127.0.0.1, configured through the
// environment exactly as the READMEs tell a user to (AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID,
// DOWNSTREAM_URL).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeDefaultClient } from '@authsec/core';
import { startDemoEnvironment } from '@authsec/demo-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleText, readmes, snippetsOf } from './snippets.js';

const runnable = readmes()
  .flatMap(snippetsOf)
  .filter((s) => s.run);
const outDir = join(import.meta.dirname, '../.snippets/run');

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
});

describe('README quick starts run as written', () => {
  it('finds the quick starts of the root, core, llamaindex, testing and demo-api READMEs', () => {
    const readmesWithRunnable = new Set(runnable.map((s) => s.readme));
    expect([...readmesWithRunnable].sort()).toEqual([
      'README.md',
      'packages/core/README.md',
      'packages/demo-api/README.md',
      'packages/llamaindex/README.md',
      'packages/testing/README.md',
    ]);
  });

  it.each(runnable.map((s) => [s.where, s] as const))('%s', async (_where, snippet) => {
    await using demo = await startDemoEnvironment();
    const saved = { ...process.env };
    Object.assign(process.env, demo.env);
    const pullsBefore = demo.authsec.pulls.length;
    try {
      const file = join(outDir, snippet.file);
      writeFileSync(file, moduleText(snippet));
      await import(pathToFileURL(file).href);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await closeDefaultClient();
    }
    // A block that uses the SDK pulled from the local server, not from mock mode.
    if (/@authsec\/(core|llamaindex|langchain|autogen)'/.test(snippet.code)) {
      expect(demo.authsec.pulls.length).toBeGreaterThan(pullsBefore);
    }
  });
});
