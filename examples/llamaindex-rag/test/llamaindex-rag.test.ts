import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function run(args: string[] = [], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...extraEnv },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('examples/llamaindex-rag', () => {
  it('runs offline: ingests, retrieves with clearance filtering, answers, and refuses read:metrics', () => {
    const { status, out } = run();
    expect(status, out).toBe(0);
    expect(out).toContain(
      '[LlamaIndex Loader] Successfully ingested 6 document(s) from secure storage!',
    );
    expect(out).toContain('Mode: offline');
    // The extractive answer cites the node it came from and that node's security metadata.
    expect(out).toMatch(
      /Answer \(extractive\): The board approved a Q2 2026 revenue target of USD 4\.2M.* \[rec-0001 · clearance TopSecret · secure-vault\/records · AuthSec AI Verified · jti [0-9a-f]{8}\]/,
    );
    expect(out).toContain(
      'Answer (extractive): No retrieved record you are cleared for answers this.',
    );
    expect(out).toContain('a confidential caller gets no node above confidential');
    expect(out).toContain('a read:metrics token is refused records (nothing sent)');
    expect(out).toContain('the API refuses records to a read:metrics token (403)');
    expect(out.trim().split('\n').at(-1)).toBe('[Demo] Done: every step did what it claims.');
    expect(out).not.toMatch(JWT);
  });

  it('exits 2 with a clear message for --openai without OPENAI_API_KEY', () => {
    const { status, out } = run(['--openai']);
    expect(status).toBe(2);
    expect(out).toContain('--openai needs OPENAI_API_KEY');
  });
});
