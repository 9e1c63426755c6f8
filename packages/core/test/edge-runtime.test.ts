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
  api = await DownstreamServer.start({
    routes: { 'GET /api/records': { body: { records: [1, 2] } } },
  });
});

afterAll(async () => {
  await server?.close();
  await api?.close();
});

/** Runs `body` as an async function inside the edge VM; it returns a JSON string across realms. */
async function run<T>(body: string): Promise<T> {
  const json = await (vm.evaluate(`(async () => { ${body} })()`) as Promise<string>);
  return JSON.parse(json) as T;
}

/** A fresh delegated agent, so each test counts only its own pulls. */
async function delegatedClientId(): Promise<string> {
  const { agent } = await server.createDelegatedAgent({ permissions: ['read:records'] });
  return agent.clientId;
}

function pullsOf(clientId: string): number {
  return server.pulls.filter((p) => (p.query.client_id ?? p.clientIdHeader) === clientId).length;
}

const liveOptions = (clientId: string, extra = '') =>
  `{ baseUrl: ${JSON.stringify(server.url)}, clientId: ${JSON.stringify(clientId)}, logLevel: 'silent'${extra} }`;

describe('@authsec/core in an edge runtime (no process, no require, no Buffer, no node: modules)', () => {
  it('has no Node globals to lean on, and has fetch and Web Crypto', () => {
    expect(vm.evaluate('typeof process')).toBe('undefined');
    expect(vm.evaluate('typeof require')).toBe('undefined');
    expect(vm.evaluate('typeof Buffer')).toBe('undefined');
    expect(vm.evaluate('typeof fetch')).toBe('function');
    expect(vm.evaluate('typeof crypto.subtle.verify')).toBe('function');
    expect(vm.evaluate('typeof AuthSecCore.AuthSecClient')).toBe('function');
  });

  it('mints a mock token with Web Crypto', async () => {
    const result = await run(`
      const client = new AuthSecCore.AuthSecClient({ mode: 'mock', logLevel: 'silent' });
      const info = await client.getDelegationTokenInfo();
      await client.close();
      return JSON.stringify({ mode: info.mode, parts: info.token.split('.').length, perms: info.permissions });`);
    expect(result).toEqual({
      mode: 'mock',
      parts: 3,
      perms: ['read:records', 'read:metrics', 'billing:read'],
    });
  });

  it('pulls a live token over fetch once and serves the second call from its cache', async () => {
    const clientId = await delegatedClientId();
    const result = await run<{ mode: string; same: boolean; parts: number }>(`
      const client = new AuthSecCore.AuthSecClient(${liveOptions(clientId)});
      const first = await client.getDelegationTokenInfo();
      const second = await client.getDelegationToken();
      await client.close();
      return JSON.stringify({ mode: first.mode, same: first.token === second, parts: second.split('.').length });`);
    expect(result).toEqual({ mode: 'live', same: true, parts: 3 });
    expect(pullsOf(clientId)).toBe(1);
  });

  it('verifies a pulled token against the workspace bundle and rejects a forged or misaddressed one', async () => {
    const clientId = await delegatedClientId();
    const verifyOptions = (audience: string) =>
      `{ baseUrl: ${JSON.stringify(server.url)}, workspaceId: ${JSON.stringify(server.workspaceId)}, audience: '${audience}' }`;
    const result = await run<{
      jti: boolean;
      perms: string[];
      forged: { name: string; code: string; reason: string };
      audience: { name: string; code: string; reason: string };
    }>(`
      const client = new AuthSecCore.AuthSecClient(${liveOptions(clientId)});
      const info = await client.getDelegationTokenInfo();
      await client.close();
      const claims = await AuthSecCore.verifyDelegationToken(info.token, ${verifyOptions('authsec-api')});
      const [header, payload, signature] = info.token.split('.');
      // Flip one character of the signature: Web Crypto's RS256 check must fail.
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      const failure = async (token, options) => {
        try { await AuthSecCore.verifyDelegationToken(token, options); return undefined; }
        catch (error) { return { name: error.name, code: error.code, reason: error.reason }; }
      };
      return JSON.stringify({
        jti: info.jti === claims.jti,
        perms: claims.permissions,
        forged: await failure([header, payload, flipped].join('.'), ${verifyOptions('authsec-api')}),
        audience: await failure(info.token, ${verifyOptions('another-api')}),
      });`);
    expect(result).toEqual({
      jti: true,
      perms: ['read:records'],
      forged: { name: 'AuthSecTokenError', code: 'ERR_AUTHSEC_TOKEN_INVALID', reason: 'signature' },
      audience: {
        name: 'AuthSecTokenError',
        code: 'ERR_AUTHSEC_TOKEN_INVALID',
        reason: 'audience',
      },
    });
  });

  it('sends an authorized request with the cached token and refuses an origin that is not allowed', async () => {
    const clientId = await delegatedClientId();
    const result = await run(`
      const client = new AuthSecCore.AuthSecClient(${liveOptions(clientId, `, downstreamUrl: ${JSON.stringify(`${api.url}/api`)}`)});
      const first = await client.requestJson('/records');
      const second = await client.requestJson('/records');
      let refused = '';
      try { await client.fetch('https://evil.example/x'); } catch (error) { refused = error.code; }
      await client.close();
      return JSON.stringify({ first, second, refused });`);
    expect(result).toEqual({
      first: { records: [1, 2] },
      second: { records: [1, 2] },
      refused: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
    });
    expect(pullsOf(clientId)).toBe(1);
    expect(api.requests.slice(-2).map((r) => r.bearer)).toEqual([
      expect.stringMatching(/^eyJ/),
      expect.stringMatching(/^eyJ/),
    ]);
  });
});
