import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('the offline demo', () => {
  it('runs to the end, exits 0 and prints the token only shortened', () => {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
    const run = spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/HTTP 200/);
    expect(run.stdout).toMatch(/token {8}eyJ[\w-]{13}… \(\d+ chars, shortened\)/);
    expect(run.stdout).toContain('4. Local server stopped.');
    // nothing shaped like a whole JWT (three base64url segments) is printed
    expect(run.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});
