// Proves `@authsec/core/verify` from the built package: ESM and CJS child processes verify a real
// token from the local AuthSec server, and the entry exports the verifier alone.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuthSecTestServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const VERIFY_EXPORTS = [
  'AuthSecConfigError',
  'AuthSecError',
  'AuthSecHttpError',
  'AuthSecNetworkError',
  'AuthSecPermissionError',
  'AuthSecResponseError',
  'AuthSecTimeoutError',
  'AuthSecTokenError',
  'createDelegationTokenVerifier',
  'isAuthSecError',
  'requirePermissions',
  'verifyDelegationToken',
];

let server: AuthSecTestServer;
let token: string;
let spiffeId: string;

beforeAll(async () => {
  for (const file of ['dist/verify.js', 'dist/verify.cjs']) {
    if (!existsSync(`${root}${file}`))
      throw new Error(`${file} is missing: run \`pnpm build\` first`);
  }
  server = await AuthSecTestServer.start();
  const { agent, delegation } = await server.createDelegatedAgent({
    permissions: ['read:records'],
    audience: ['records-api'],
  });
  token = delegation.token;
  spiffeId = agent.spiffeId;
});
afterAll(() => server?.close());

/** Runs a script in a fresh Node process (in the package folder, so it resolves itself by name). */
function run(args: string[], input: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    // The token travels on stdin, never on a command line another process could read.
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(0, 500)}`)),
    );
    child.stdin.end(JSON.stringify(input));
  });
}

const SCRIPT = `
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const input = JSON.parse(text);
  const options = { baseUrl: input.baseUrl, workspaceId: input.workspaceId, audience: 'records-api', env: {} };
  const claims = await verify.verifyDelegationToken(input.token, options);
  const verifier = verify.createDelegationTokenVerifier(options);
  const again = await verifier.verify(input.token, { requiredPermissions: ['read:records'] });
  let refused;
  try {
    await verifier.verify(input.token, { requiredPermissions: ['write:records'] });
  } catch (error) {
    refused = { isTokenError: error instanceof verify.AuthSecTokenError, marked: verify.isAuthSecError(error), reason: error.reason, code: error.code };
  }
  console.log(JSON.stringify({ keys: Object.keys(verify).sort(), sub: claims.sub, again: again.sub, permissions: claims.permissions, refused }));
`;

async function verifyIn(kind: 'esm' | 'cjs') {
  const load =
    kind === 'esm'
      ? "const verify = await import('@authsec/core/verify');"
      : "const verify = require('@authsec/core/verify');";
  const body =
    kind === 'esm'
      ? `${load}${SCRIPT}`
      : `(async () => { ${load}${SCRIPT} })().catch((e) => { console.error(e.message); process.exit(1); });`;
  const args = kind === 'esm' ? ['--input-type=module', '-e', body] : ['-e', body];
  const out = await run(args, {
    token,
    baseUrl: server.url,
    workspaceId: server.workspaceId,
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('@authsec/core/verify from the built package', () => {
  for (const kind of ['esm', 'cjs'] as const) {
    it(`${kind === 'esm' ? 'import' : 'require'}() verifies a real token from the local AuthSec server and exports only the verifier and its errors`, async () => {
      const result = await verifyIn(kind);
      expect(result.keys).toEqual(VERIFY_EXPORTS);
      expect(result.sub).toBe(spiffeId);
      expect(result.again).toBe(spiffeId);
      expect(result.permissions).toEqual(['read:records']);
      expect(result.refused).toEqual({
        isTokenError: true,
        marked: true,
        reason: 'permission',
        code: 'ERR_AUTHSEC_TOKEN_INVALID',
      });
      // The token never came back out.
      expect(JSON.stringify(result)).not.toContain(token.split('.')[2]);
    }, 60_000);
  }
});
