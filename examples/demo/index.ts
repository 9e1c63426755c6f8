// The offline demo: a local AuthSec server and protected API, an agent's token from pull to revocation.

import {
  AuthSecClient,
  AuthSecDelegationNotFoundError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  isAuthSecError,
} from '@authsec/core';
import { startDemoEnvironment } from '@authsec/demo-api';

const PERMISSIONS = ['read:records', 'read:customers'];
let step = 0;

function say(text: string): void {
  console.log(`\n[${++step}] ${text}`);
}

function ok(text: string): void {
  console.log(`    ✓ ${text}`);
}

/** Each step checks its own claim: the demo exits 0 only if every step did what it says. */
function check(condition: boolean, claim: string): asserts condition {
  if (!condition) throw new Error(`Step ${step} did not do what it claims: ${claim}`);
}

async function expectFailure<E extends Error>(
  work: Promise<unknown>,
  type: new (...args: never[]) => E,
  claim: string,
): Promise<E> {
  try {
    await work;
  } catch (error) {
    check(
      error instanceof type,
      `${claim} (got ${isAuthSecError(error) ? error.code : String(error)})`,
    );
    return error;
  }
  check(false, `${claim} (it succeeded)`);
}

async function main(): Promise<void> {
  console.log(
    'AuthSec demo: offline, a local AuthSec-compatible server and a protected API on 127.0.0.1',
  );
  // The demo API asks AuthSec about revocation on every request, so step 8 shows it at once.
  await using demo = await startDemoEnvironment({ api: { revocationCacheSeconds: 0 } });
  const { authsec, api } = demo;

  say('Two local servers are up.');
  ok(`AuthSec (compatible test server): ${authsec.url}`);
  ok(`Protected API (verifies every bearer with @authsec/core): ${api.url}`);

  say(`An admin registers an AI agent and delegates ${PERMISSIONS.join(', ')} for 1 hour.`);
  const agent = authsec.createAgent({ name: 'Demo research agent', agentType: 'demo' });
  authsec.createPolicy({
    clientId: agent.clientId,
    permissions: PERMISSIONS,
    maxDurationSeconds: 3600,
  });
  await authsec.delegate(agent.clientId, { ttlSeconds: 3600 });
  ok(`agent client id ${agent.clientId}`);

  say('The agent pulls its delegation token (the SDK logs its transcript at info).');
  await using client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: api.url,
    logLevel: 'info',
    env: {},
  });
  const info = await client.getDelegationTokenInfo();
  check(authsec.pulls.length === 1 && info.mode === 'live', 'one live pull');
  const minutes = Math.round((info.expiresAt.getTime() - Date.now()) / 60_000);
  ok(
    `a ${info.mode} token (jti ${info.jti}) for ${info.permissions.join(', ')}, expiring in ${minutes} min`,
  );

  say('A second call is served from the cache.');
  const again = await client.getDelegationToken();
  check(again === info.token && authsec.pulls.length === 1, 'the same token, no second pull');
  ok(`same token; AuthSec saw ${authsec.pulls.length} pull`);

  say("An authorized request within the token's scope: GET /secure-vault/records");
  const { records } = await client.requestJson<{ records: Array<{ clearance: string }> }>(
    '/secure-vault/records',
  );
  check(Array.isArray(records) && records.length > 0, 'records came back');
  ok(
    `200 with ${records.length} records (clearances: ${[...new Set(records.map((r) => r.clearance))].join(', ')})`,
  );

  say("A request outside the token's scope: GET /billing/customers/42");
  const denied = await expectFailure(
    client.request('/billing/customers/42'),
    AuthSecPermissionError,
    '403 with the scope named',
  );
  check(
    denied.status === 403 && denied.requiredScope === 'billing:read',
    'requiredScope billing:read',
  );
  ok(`403 → ${denied.name}: the API requires "${denied.requiredScope}"`);

  say('A request to an origin the token may not go to: https://evil.example/steal');
  const before = api.requests.length;
  const refused = await expectFailure(
    client.fetch('https://evil.example/steal'),
    AuthSecOriginNotAllowedError,
    'refused locally',
  );
  check(api.requests.length === before, 'nothing was sent');
  ok(`${refused.name}: refused before a byte was sent (allowed: ${api.url})`);

  say('The admin revokes the delegation; the agent calls the API again.');
  authsec.revoke(agent.clientId);
  const revoked = await expectFailure(
    client.request('/secure-vault/records'),
    AuthSecDelegationNotFoundError,
    'the API answers 401 and the SDK explains',
  );
  const last = api.requests.at(-1);
  check(last?.status === 401 && /revoked/.test(last.error ?? ''), 'the API answered 401 (revoked)');
  ok(`the API answered 401 (${last?.error}); the SDK re-pulled and AuthSec said 404`);
  ok(`${revoked.name}: ${revoked.message}`);
  ok(`fix: ${revoked.hint}`);

  console.log(`\nAll ${step} steps did what they claim. No account, key or network was used.`);
}

main().catch((error: unknown) => {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
