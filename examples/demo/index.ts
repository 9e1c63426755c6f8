// The offline demo: start a local AuthSec-compatible server, delegate a token, pull it once, stop.

import { AuthSecTestServer } from '@authsec/testing';

const PERMISSIONS = ['read:records', 'billing:read'];

function shorten(token: string): string {
  return `${token.slice(0, 16)}… (${token.length} chars, shortened)`;
}

function minutesUntil(iso: string): string {
  const minutes = Math.round((Date.parse(iso) - Date.now()) / 60_000);
  return Number.isFinite(minutes) ? `in ${minutes} min` : 'unknown';
}

async function main(): Promise<void> {
  console.log('AuthSec demo: offline, against a local AuthSec-compatible server on 127.0.0.1\n');
  await using server = await AuthSecTestServer.start();
  console.log(`1. Local AuthSec server started at ${server.url}`);

  const { agent } = await server.createDelegatedAgent({
    permissions: PERMISSIONS,
    ttlSeconds: 3600,
  });
  console.log(`2. An admin registered AI agent ${agent.clientId}`);
  console.log(`   and delegated a token for ${PERMISSIONS.join(', ')} (lifetime 1 h)`);

  // The pull an agent makes, with plain fetch: GET {baseUrl}/authsec/uflow/sdk/delegation-token
  const url = new URL('/authsec/uflow/sdk/delegation-token', server.url);
  url.searchParams.set('client_id', agent.clientId);
  const res = await fetch(url, {
    headers: { accept: 'application/json', 'x-client-id': agent.clientId },
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok || typeof body.token !== 'string') {
    throw new Error(`The pull failed with HTTP ${res.status}: ${String(body.error ?? 'no token')}`);
  }
  console.log('3. The agent pulled its delegation token:');
  console.log(`   GET ${url.pathname}?client_id=<agent> → HTTP ${res.status}`);
  console.log(`   token        ${shorten(body.token)}`);
  console.log(`   spiffe_id    ${String(body.spiffe_id)}`);
  console.log(`   permissions  ${(body.permissions as string[] | null)?.join(', ') ?? '(none)'}`);
  console.log(`   audience     ${(body.audience as string[] | null)?.join(', ') ?? '(none)'}`);
  console.log(
    `   expires_at   ${String(body.expires_at)} (${minutesUntil(String(body.expires_at))})`,
  );

  await server.close();
  console.log('4. Local server stopped.\n');
  console.log(
    'Next: `pnpm --filter @authsec/testing start` runs the same server for your own agent.',
  );
}

main().catch((error: unknown) => {
  console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
