// `pnpm test` runs the bench at tiny counts (BENCH_SMOKE=1) and checks what it wrote: every case
// ran and results.json has the shape the README documents.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let output;
let results;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', join(benchDir, 'run.mjs')],
    { cwd: benchDir, env: { ...process.env, BENCH_SMOKE: '1', BENCH_ONLY: '' } },
  );
  output = stdout;
  results = JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8'));
}, 180_000);

describe('the smoke run', () => {
  it('writes results.json rows of { name, ours, baseline, ratio, goal, met }', () => {
    expect(results.smoke).toBe(true);
    expect(results.rows.length).toBeGreaterThanOrEqual(12);
    for (const row of results.rows) {
      expect(typeof row.name).toBe('string');
      expect(Number.isFinite(row.ours)).toBe(true);
      expect(row.baseline === null || Number.isFinite(row.baseline)).toBe(true);
      expect(row.ratio === null || Number.isFinite(row.ratio)).toBe(true);
      expect(row.goal === null || ['number', 'string'].includes(typeof row.goal)).toBe(true);
      expect(row.met === null || typeof row.met === 'boolean').toBe(true);
      // Report-only rows have no verdict; rows with a goal always have one.
      expect(row.met === null).toBe(row.goal === null);
    }
  });

  it('measures every row the issue asks for', () => {
    const names = results.rows.map((row) => row.name).join('\n');
    for (const part of [
      'AuthSecReader',
      'the same + hashes',
      'cold pull',
      'requestJson()',
      'client.fetch()',
      'verifyDelegationToken()',
      'bundled + minified + gzipped',
      'heap growth',
      'createAuthSecRequestTool',
      'cached getDelegationToken()',
      'stampede',
      'cold import',
    ]) {
      expect(names).toContain(part);
    }
  });

  it('shares one pull among concurrent callers, where the naive cache pulls once each', () => {
    const stampede = results.rows.find((row) => row.name.startsWith('stampede'));
    expect(stampede.ours).toBe(1);
    expect(stampede.baseline).toBeGreaterThan(1);
  });

  it('prints the table and one GOAL MISSED line per missed goal', () => {
    expect(output).toContain('| benchmark | ours | baseline | ratio | spread | goal | met |');
    const missed = results.rows.filter((row) => row.met === false).length;
    expect(output.split('\n').filter((line) => line.startsWith('GOAL MISSED: '))).toHaveLength(
      missed,
    );
  });
});
