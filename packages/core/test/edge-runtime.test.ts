import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built package, bundled for a runtime that has fetch and Web Crypto but no Node APIs: any
// `node:` import or Buffer use fails here, not in a user's edge function.
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
let vm: EdgeVM;
let server: AuthSecTestServer;
let api: DownstreamServer;
let clientId: string;

beforeAll(async () => {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
  const bundle = await build({
    entryPoints: [dist],
    bundle: true,
    format: 'iife',
    globalName: 'AuthSecCore',
    platform: 'browser',
    conditions: ['edge-light', 'worker', 'browser'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  vm = new EdgeVM();
  vm.evaluate(bundle.outputFiles[0]?.text ?? '');
  server = await AuthSecTestServer.start();
  clientId = (await server.createDelegatedAgent({ permissions: ['read:records'] })).agent.clientId;
  api = await DownstreamServer.start({
    routes: { 'GET /api/records': { body: { records: [1, 2] } } },
  });
});

afterAll(async () => {
  await server?.close();
  await api?.close();
});

function run<T>(body: string): Promise<T> {
  return vm.evaluate(`(async () => { ${body} })()`) as Promise<T>;
}

describe('@authsec/core in an edge runtime (no process, no Buffer, no node: modules)', () => {
  it('has no Node globals to lean on', () => {
    expect(vm.evaluate('typeof process')).toBe('undefined');
    expect(vm.evaluate('typeof Buffer')).toBe('undefined');
    expect(vm.evaluate('typeof AuthSecCore.AuthSecClient')).toBe('function');
  });

  it('mints a mock token with Web Crypto', async () => {
    const result = await run<string>(`
      const client = new AuthSecCore.AuthSecClient({ mode: 'mock', logLevel: 'silent' });
      const info = await client.getDelegationTokenInfo();
      return JSON.stringify({ mode: info.mode, parts: info.token.split('.').length, perms: info.permissions });`);
    expect(JSON.parse(result)).toEqual({
      mode: 'mock',
      parts: 3,
      perms: ['read:records', 'read:metrics', 'billing:read'],
    });
  });

  it('pulls a live token over fetch and verifies it against the workspace bundle', async () => {
    const result = await run<string>(`
      const client = new AuthSecCore.AuthSecClient({ baseUrl: ${JSON.stringify(server.url)}, clientId: ${JSON.stringify(clientId)}, logLevel: 'silent' });
      const info = await client.getDelegationTokenInfo();
      const claims = await AuthSecCore.verifyDelegationToken(info.token, {
        baseUrl: ${JSON.stringify(server.url)}, workspaceId: ${JSON.stringify(server.workspaceId)}, audience: 'authsec-api',
      });
      return JSON.stringify({ mode: info.mode, jti: info.jti === claims.jti, perms: claims.permissions });`);
    expect(JSON.parse(result)).toEqual({ mode: 'live', jti: true, perms: ['read:records'] });
    expect(server.pulls).toHaveLength(1);
  });

  it('sends an authorized request and refuses an origin that is not allowed', async () => {
    const result = await run<string>(`
      const client = new AuthSecCore.AuthSecClient({
        baseUrl: ${JSON.stringify(server.url)}, clientId: ${JSON.stringify(clientId)}, logLevel: 'silent',
        downstreamUrl: ${JSON.stringify(`${api.url}/api`)},
      });
      const body = await client.requestJson('/records');
      let refused = '';
      try { await client.fetch('https://evil.example/x'); } catch (error) { refused = error.code; }
      return JSON.stringify({ body, refused });`);
    expect(JSON.parse(result)).toEqual({
      body: { records: [1, 2] },
      refused: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
    });
    expect(api.requests[0]?.bearer).toMatch(/^eyJ/);
  });
});
