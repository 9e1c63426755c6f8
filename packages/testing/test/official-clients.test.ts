// The server as the official AuthSec SDKs (Python and TypeScript) see it: the exact requests their
// guides describe, and the README section that tells teams on those SDKs how to point them here.

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer, DownstreamServer, PULL_PATH } from '../src/index.js';

let server: AuthSecTestServer | undefined;
let api: DownstreamServer | undefined;
afterEach(async () => {
  await server?.close();
  await api?.close();
  server = undefined;
  api = undefined;
});

/** A GET with exactly the headers python-requests sends, and nothing else (no X-Client-ID, no bearer). */
function pythonRequestsGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string; body: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(url, {
        headers: {
          'User-Agent': 'python-requests/2.32.3',
          'Accept-Encoding': 'gzip, deflate',
          Accept: '*/*',
          Connection: 'keep-alive',
          ...headers,
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

// What the Python SDKs read: `base_url` is the server root and the SDK appends the path.
const pythonPullUrl = (env: Readonly<Record<string, string>>) =>
  `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`;
// What the official TypeScript client takes: the user-flow root, `${AUTHSEC_BASE_URL}/authsec/uflow`.
const typescriptPullUrl = (env: Readonly<Record<string, string>>) => {
  const userflowUrl = `${env.AUTHSEC_BASE_URL}/authsec/uflow`;
  return `${userflowUrl}/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`;
};

describe('official AuthSec SDKs against the test server', () => {
  it('a legacy server answers the official pull, with no session, X-Client-ID or Accept: application/json', async () => {
    server = await AuthSecTestServer.start({ generation: 'legacy' });
    const { env, delegation } = await server.createDelegatedAgent({
      permissions: ['read:records', 'billing:read'],
    });
    // The variables the official guides read, and nothing a legacy server would not need.
    expect(Object.keys(env).sort()).toEqual(['AUTHSEC_AGENT_CLIENT_ID', 'AUTHSEC_BASE_URL']);
    expect(typescriptPullUrl(env)).toBe(pythonPullUrl(env));
    expect(new URL(pythonPullUrl(env)).pathname).toBe(PULL_PATH);

    for (const url of [pythonPullUrl(env), typescriptPullUrl(env)]) {
      const res = await pythonRequestsGet(url);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^application\/json/);
      // The documented minimal body is there, the same token on every pull.
      expect(res.body.token).toBe(delegation.token);
      expect(String(res.body.token).split('.')).toHaveLength(3);
      // As the service writes it: microseconds at most, trailing zeros trimmed.
      expect(String(res.body.expires_at)).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$/,
      );
      // Lists, not null: give the agent at least one permission.
      expect(res.body.permissions).toEqual(['read:records', 'billing:read']);
    }
    const pulls = server.pulls;
    expect(pulls).toHaveLength(2);
    for (const pull of pulls) {
      expect(pull).toMatchObject({ bearer: false, clientIdHeader: undefined, status: 200 });
      expect(pull.headerNames).not.toContain('x-client-id');
    }
  });

  it('the token goes to DOWNSTREAM_URL as a bearer, as the guides’ tools send it', async () => {
    server = await AuthSecTestServer.start();
    const { env } = await server.createDelegatedAgent({
      permissions: ['read:records', 'billing:read', 'read:customers'],
    });
    api = await DownstreamServer.start({
      routes: {
        'GET /billing/customers/:id': (r) => ({ body: { customer_id: r.params.id } }),
        'GET /customers/:id': (r) => ({ body: { id: r.params.id } }),
        'GET /docs': { body: { docs: [] } },
      },
    });
    const DOWNSTREAM_URL = api.url;
    const token = String((await pythonRequestsGet(pythonPullUrl(env))).body.token);
    // LangChain's tool, AutoGen's function and LlamaIndex's reader, in that order.
    for (const path of ['/billing/customers/42', '/customers/42', '/docs']) {
      const res = await pythonRequestsGet(`${DOWNSTREAM_URL}${path}`, {
        Authorization: `Bearer ${token}`,
      });
      expect(res.status, path).toBe(200);
    }
    // Booleans, so that a failure does not print the token.
    expect(api.requests.map((r) => r.bearer === token)).toEqual([true, true, true]);
  });

  it('a session generation refuses the official pull, which cannot send a session: use legacy', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { env } = await server.createDelegatedAgent();
    const res = await pythonRequestsGet(pythonPullUrl(env));
    expect(res.status).toBe(401);
  });

  it('an agent without permissions gets `permissions: null`, as the service answers: give official-client agents at least one', async () => {
    server = await AuthSecTestServer.start();
    const { env } = await server.createDelegatedAgent({ permissions: [] });
    const res = await pythonRequestsGet(pythonPullUrl(env));
    expect(res.body.permissions).toBeNull();
  });

  it('the README tells teams on the official SDKs which generation, variables and URLs to use', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = /\n### Official AuthSec SDKs\n([\s\S]*?)\n##/.exec(readme)?.[1] ?? '';
    expect(section).not.toBe('');
    for (const text of [
      'AUTHSEC_BASE_URL',
      'AUTHSEC_AGENT_CLIENT_ID',
      'DOWNSTREAM_URL',
      '`userflowUrl`',
      `\`\${AUTHSEC_BASE_URL}/authsec/uflow\``,
      "generation: 'legacy'",
      'base_url',
      'client_id',
      'AuthsecConfig',
      'AuthSecConfig',
      'AuthSecSecureReader',
      'permissions',
    ]) {
      expect(section, text).toContain(text);
    }
  });
});
