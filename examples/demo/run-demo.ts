// The offline demo's story: a local AuthSec server and protected API, an agent's token from pull to revocation.

import {
  AuthSecClient,
  AuthSecDelegationNotFoundError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  isAuthSecError,
  type LogFormat,
  type LogLevel,
} from '@authsec/core';
import { type DemoEnvironmentOptions, startDemoEnvironment } from '@authsec/demo-api';

/** Options for {@link runDemo}. */
export interface RunDemoOptions {
  /** Where the demo's own lines go. @default console.log */
  print?: (line: string) => void;
  /** The SDK's log level; its `[AuthSec SDK]` transcript goes to the console. @default 'info' */
  logLevel?: LogLevel | undefined;
  /** The format of the SDK's transcript. @default 'pretty' */
  logFormat?: LogFormat | undefined;
  /** Options of the local servers; the demo API asks AuthSec about revocation on every request unless told otherwise. */
  environment?: DemoEnvironmentOptions;
}

/** A step whose outcome was not the one it announced. */
export class DemoStepError extends Error {
  constructor(step: number, claim: string) {
    super(`Step ${step} did not do what it claims: ${claim}`);
    this.name = 'DemoStepError';
  }
}

const PERMISSIONS = ['read:records', 'read:customers'];
const ADMIN_PATH = '/authsec/uflow/admin/agents';

/**
 * Runs the demo: every step checks its own claim and throws {@link DemoStepError} when it did not hold.
 * @param options - where lines go, the SDK's log level, the local servers' options
 * @returns the number of steps, all of which did what they claim
 * @throws DemoStepError for the first step whose claim did not hold
 */
export async function runDemo(options: RunDemoOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  let step = 0;
  const say = (text: string) => print(`\n[${++step}] ${text}`);
  const ok = (text: string) => print(`    ✓ ${text}`);
  function check(condition: boolean, claim: string): asserts condition {
    if (!condition) throw new DemoStepError(step, claim);
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
        `${claim} (got ${isAuthSecError(error) ? error.code : error instanceof Error ? error.name : 'a non-error'})`,
      );
      return error;
    }
    check(false, `${claim} (it succeeded)`);
  }

  print(
    'AuthSec demo: offline, a local AuthSec-compatible server and a protected API on 127.0.0.1',
  );
  // By default the demo API asks AuthSec about revocation on every request, so the last step shows it at once.
  const environment = options.environment ?? {};
  await using demo = await startDemoEnvironment({
    ...environment,
    api: { revocationCacheSeconds: 0, ...environment.api },
  });
  const { authsec, api } = demo;
  // A function, not a property read: TypeScript would otherwise narrow the count between steps.
  const pulls = () => authsec.pulls;

  say('Two local servers are up.');
  ok(`AuthSec (compatible test server): ${authsec.url}`);
  ok(`Protected API (verifies every bearer with @authsec/core): ${api.url}`);

  say(`An admin registers an AI agent and delegates ${PERMISSIONS.join(', ')} for 1 hour.`);
  // Registering the agent and its trust delegation are dashboard steps; delegating and revoking
  // go through AuthSec's admin endpoints with an admin's session, as the dashboard does.
  const agent = authsec.createAgent({ name: 'Demo research agent', agentType: 'demo' });
  authsec.createPolicy({
    clientId: agent.clientId,
    permissions: PERMISSIONS,
    maxDurationSeconds: 3600,
  });
  const admin = await authsec.createSession({ admin: true, userId: 'demo-admin' });
  const adminCall = (action: 'delegate-token' | 'revoke-token', body: unknown) =>
    fetch(`${authsec.url}${ADMIN_PATH}/${agent.clientId}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const delegated = await adminCall('delegate-token', {
    agent_type: 'demo',
    audience: ['authsec-api'],
    ttl_seconds: 3600,
  });
  await delegated.body?.cancel();
  check(delegated.status === 201, `AuthSec accepted the delegation (got ${delegated.status})`);
  ok(`agent client id ${agent.clientId}; AuthSec holds its one active token`);

  say('The agent pulls its delegation token (the SDK logs its transcript at info).');
  await using client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: api.url,
    logLevel: options.logLevel ?? 'info',
    logFormat: options.logFormat ?? 'pretty',
    // Nothing from the environment: the demo is offline whatever the shell holds.
    env: {},
  });
  const info = await client.getDelegationTokenInfo();
  check(
    info.mode === 'live' && pulls().length === 1 && pulls()[0]?.status === 200,
    'one live pull, answered 200',
  );
  check(
    info.permissions.join(' ') === PERMISSIONS.join(' '),
    'the token carries exactly the delegated permissions',
  );
  const minutes = Math.round((info.expiresAt.getTime() - Date.now()) / 60_000);
  ok(
    `a ${info.mode} token (jti ${info.jti}) for ${info.permissions.join(', ')}, expiring in ${minutes} min`,
  );

  say('A second call is served from the cache.');
  const again = await client.getDelegationToken();
  check(again === info.token && pulls().length === 1, 'the same token, no second pull');
  ok(`same token; AuthSec saw ${pulls().length} pull`);

  say("An authorized request within the token's scope: GET /secure-vault/records");
  const { records } = await client.requestJson<{ records: Array<{ clearance: string }> }>(
    '/secure-vault/records',
  );
  check(
    Array.isArray(records) && records.length > 0 && api.requests.at(-1)?.status === 200,
    'the API answered 200 with records',
  );
  ok(
    `200 with ${records.length} records (clearances: ${[...new Set(records.map((r) => r.clearance))].join(', ')})`,
  );

  say("A request outside the token's scope: GET /billing/customers/42");
  const raw = await client.fetch('/billing/customers/42');
  await raw.body?.cancel();
  const challenge = raw.headers.get('www-authenticate') ?? '';
  check(
    raw.status === 403 &&
      /error="insufficient_scope"/.test(challenge) &&
      /scope="billing:read"/.test(challenge),
    'the API answered 403 naming billing:read in WWW-Authenticate',
  );
  ok(`the API: 403, WWW-Authenticate: ${challenge}`);
  const denied = await expectFailure(
    client.request('/billing/customers/42'),
    AuthSecPermissionError,
    'the SDK throws AuthSecPermissionError',
  );
  check(
    denied.status === 403 && denied.requiredScope === 'billing:read',
    'requiredScope billing:read',
  );
  ok(`the SDK: ${denied.name} (${denied.code}), requiredScope "${denied.requiredScope}"`);

  say('A request to an origin the token may not go to: https://evil.example/steal');
  const sentBefore = api.requests.length;
  const authsecBefore = authsec.requests.length;
  const refused = await expectFailure(
    client.fetch('https://evil.example/steal'),
    AuthSecOriginNotAllowedError,
    'refused locally with AuthSecOriginNotAllowedError',
  );
  check(
    api.requests.length === sentBefore && authsec.requests.length === authsecBefore,
    'nothing was sent',
  );
  ok(`${refused.name}: refused before a byte was sent (allowed: ${api.url})`);

  say('The admin revokes the delegation; the agent calls the API again.');
  const revokedByAdmin = await adminCall('revoke-token', {});
  await revokedByAdmin.body?.cancel();
  check(revokedByAdmin.status === 200, `AuthSec revoked the token (got ${revokedByAdmin.status})`);
  const apiBefore = api.requests.length;
  const revoked = await expectFailure(
    client.request('/secure-vault/records'),
    AuthSecDelegationNotFoundError,
    'the SDK throws AuthSecDelegationNotFoundError',
  );
  const answered = api.requests.slice(apiBefore);
  check(
    answered.length === 1 &&
      answered[0]?.status === 401 &&
      answered[0].error === 'invalid_token (revoked)',
    'the API answered one 401 (revoked), and the SDK did not retry with the rejected token',
  );
  check(
    pulls().length === 2 && pulls()[1]?.status === 404,
    'the SDK re-pulled once and AuthSec answered 404',
  );
  ok(`the API answered 401 (${answered[0].error}); the SDK re-pulled and AuthSec said 404`);
  ok(`${revoked.name} (${revoked.code}): ${revoked.message}`);
  ok(`fix: ${revoked.hint}`);

  print(`\nAll ${step} steps did what they claim. No account, key or network was used.`);
  return step;
}
