// The AuthSec smoke test: one delegation token through @authsec/core, then a cached second call.
// Offline by default (a local AuthSec-compatible server); with AUTHSEC_* set, your real server.

import { parseArgs } from 'node:util';
import { AuthSecClient, type DelegationTokenInfo, isAuthSecError } from '@authsec/core';
import { AuthSecTestServer } from '@authsec/testing';

const PERMISSIONS = ['read:records', 'read:metrics', 'billing:read'];

// Any of these means "use my AuthSec configuration". A DOWNSTREAM_URL or AUTHSEC_ALLOWED_ORIGINS
// alone does not: this test calls no API, so it runs offline as if they were unset.
const CONFIG_VARIABLES = [
  'AUTHSEC_BASE_URL',
  'AUTHSEC_AGENT_CLIENT_ID',
  'AUTHSEC_CLIENT_ID',
  'AUTHSEC_SESSION_TOKEN',
  'AUTHSEC_MODE',
];

const USAGE = `Usage: node dist/index.js [--help]

Gets one AuthSec delegation token through @authsec/core, prints what it carries (the token only
shortened), and checks that a second call is served from the cache. Exits 0 on success, 1 on failure.

With no AuthSec settings in the environment it runs offline, against a local AuthSec-compatible
server (@authsec/testing) on 127.0.0.1. With any of AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID (alias
AUTHSEC_CLIENT_ID), AUTHSEC_SESSION_TOKEN or AUTHSEC_MODE set, it uses your settings instead:

  AUTHSEC_BASE_URL         the AuthSec server root, e.g. https://prod.api.authsec.ai
  AUTHSEC_AGENT_CLIENT_ID  the AI agent's client id (a UUID) from the AuthSec dashboard
  AUTHSEC_SESSION_TOKEN    a platform session credential (newer AuthSec servers require one)
  AUTHSEC_MODE             auto (default), live or mock
  AUTHSEC_LOG_LEVEL        info shows the SDK's [AuthSec SDK] transcript (default warn)
`;

const GENERIC_FIX = 'see the errors table in the @authsec/core README.';

function shorten(token: string): string {
  return `${token.slice(0, 12)}… (${token.length} chars; never printed whole)`;
}

function minutesLeft(expiresAt: Date): string {
  const minutes = Math.round((expiresAt.getTime() - Date.now()) / 60_000);
  return `${minutes} min left`;
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : '(none)';
}

function printReport(info: DelegationTokenInfo, source: string): void {
  console.log('\nDelegation token');
  console.log(`  mode         ${info.mode === 'live' ? 'LIVE' : 'MOCK'} (${source})`);
  console.log(`  token        ${shorten(info.token)}`);
  console.log(`  jti          ${info.jti ?? '(none)'}`);
  console.log(`  expires at   ${info.expiresAt.toISOString()} (${minutesLeft(info.expiresAt)})`);
  console.log(`  permissions  ${list(info.permissions)}`);
  console.log(`  audience     ${list(info.audience)}`);
  console.log(`  SPIFFE ID    ${info.spiffeId ?? '(none)'}`);
  console.log(`  workspace    ${info.workspaceId ?? '(none)'}`);
}

function configuredFromEnv(): string[] {
  return CONFIG_VARIABLES.filter((name) => (process.env[name] ?? '').trim() !== '');
}

async function run(): Promise<number> {
  let server: AuthSecTestServer | undefined;
  let client: AuthSecClient | undefined;
  try {
    let source: string;
    const configured = configuredFromEnv();
    if (configured.length > 0) {
      console.log(`AuthSec smoke test: using your configuration (${configured.join(', ')})`);
      client = new AuthSecClient();
      const { baseUrl } = client.toJSON();
      source =
        client.mode === 'live'
          ? `pulled from AuthSec at ${String(baseUrl)}`
          : 'a local mock JWT that no real API accepts';
    } else {
      console.log(
        'AuthSec smoke test: offline, against a local AuthSec-compatible server on 127.0.0.1',
      );
      console.log('(set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID to check a real server)\n');
      server = await AuthSecTestServer.start();
      const { agent } = await server.createDelegatedAgent({
        permissions: PERMISSIONS,
        ttlSeconds: 3600,
      });
      console.log(`Local AuthSec server started at ${server.url}`);
      console.log(
        `An admin delegated ${PERMISSIONS.join(', ')} (1 h) to agent ${agent.clientId}\n`,
      );
      client = new AuthSecClient({
        baseUrl: server.url,
        clientId: agent.clientId,
        logLevel: 'info',
        // The offline check reads nothing from the environment (a stray DOWNSTREAM_URL or
        // AUTHSEC_LOG_LEVEL in the shell must not change it).
        env: {},
      });
      source = `pulled from the local test server at ${server.url}`;
    }

    const info = await client.getDelegationTokenInfo();
    printReport(info, source);

    const again = await client.getDelegationToken();
    if (again !== info.token) {
      throw new Error(
        'The second getDelegationToken() call returned a different token: the cache did not hold it ' +
          '(does the token expire within the 60 s refresh margin?).',
      );
    }
    if (server !== undefined && server.pulls.length !== 1) {
      throw new Error(`Expected exactly 1 pull from the local server, saw ${server.pulls.length}.`);
    }
    const pulls = server === undefined ? '' : ' (the server saw 1 pull)';
    console.log(`\n✓ Second getDelegationToken() call served from the cache: same token${pulls}`);
    console.log('✓ Smoke test passed');
    if (info.mode === 'mock') {
      console.log(
        '  (MOCK mode: no AuthSec server was asked, and no real API accepts this token. To check a ' +
          'real server, set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID without AUTHSEC_MODE=mock.)',
      );
    }
    return 0;
  } catch (error) {
    if (isAuthSecError(error)) {
      console.error(`✗ ${error.code}: ${error.message}`);
      console.error(`  fix: ${error.hint ?? GENERIC_FIX}`);
    } else {
      console.error(`✗ ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  } finally {
    await client?.close();
    await server?.close();
  }
}

async function main(): Promise<number> {
  try {
    const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(USAGE);
    return 2;
  }
  return run();
}

process.exitCode = await main();
