// The `authsec-testing` command: a local AuthSec-compatible server with one agent already delegated.

import { parseArgs } from 'node:util';
import { AuthSecTestServer } from './authsec-server.js';
import { isUuid } from './encoding.js';
import { isLoopbackHost } from './loopback.js';
import { DEFAULT_MAX_RECORDED_REQUESTS, validateMaxRecordedRequests } from './request-log.js';
import { SERVER_GENERATIONS, type ServerGeneration } from './settings.js';

const HELP = `Usage: authsec-testing [options]

Starts a local AuthSec-compatible server with one AI agent already delegated, and prints the
environment variables an agent needs. Ctrl-C stops it.

Options:
  --port <n>              port to listen on (default: a free one)
  --host <addr>           address to bind (default 127.0.0.1; loopback only)
  --allow-non-loopback    allow --host to be a non-loopback address
  --generation <g>        ${SERVER_GENERATIONS.join(' | ')} (default legacy: no session needed)
  --session               same as --generation session
  --owner-only            same as --generation owner-only
  --permissions <list>    comma-separated allowed actions (default read:records,read:metrics,billing:read)
  --audience <list>       comma-separated token audience (default authsec-api)
  --ttl <seconds>         token lifetime, at most 86400 (default 3600)
  --client-id <uuid>      the agent's client id (default random)
  --workspace-id <uuid>   the workspace id (default random)
  --fraction-digits <n>   write expires_at with exactly n (0-9) fraction digits; 9 gives
                          nanoseconds (default: as the service does, up to 6, trailing zeros trimmed)
  --max-recorded-requests <n>
                          request records kept in memory (default ${DEFAULT_MAX_RECORDED_REQUESTS};
                          also AUTHSEC_TESTING_MAX_RECORDED_REQUESTS)
  -h, --help              show this help

Load the printed lines into the agent's environment with node --env-file=.env app.js,
tsx --env-file=.env app.ts, or export them in the shell.
`;

// Number('') is 0 and Number(' 7 ') is 7: accept digits only, so a typo is not read as a limit.
function wholeNumber(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

function list(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`authsec-testing: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values } = args;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const generation = (
    values['owner-only']
      ? 'owner-only'
      : values.session
        ? 'session'
        : (values.generation ?? 'legacy')
  ) as ServerGeneration;
  if (!SERVER_GENERATIONS.includes(generation)) {
    process.stderr.write(
      `authsec-testing: --generation must be one of ${SERVER_GENERATIONS.join(', ')}\n`,
    );
    return 2;
  }
  const ttlSeconds = values.ttl === undefined ? 3600 : Number(values.ttl);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86_400) {
    process.stderr.write(
      'authsec-testing: --ttl must be a whole number of seconds from 1 to 86400\n',
    );
    return 2;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write('authsec-testing: --port must be 0–65535\n');
    return 2;
  }
  const fractionDigits =
    values['fraction-digits'] === undefined ? undefined : Number(values['fraction-digits']);
  if (
    fractionDigits !== undefined &&
    (!Number.isInteger(fractionDigits) || fractionDigits < 0 || fractionDigits > 9)
  ) {
    process.stderr.write('authsec-testing: --fraction-digits must be a whole number from 0 to 9\n');
    return 2;
  }
  const limitFlag = values['max-recorded-requests'];
  const limitEnv = process.env.AUTHSEC_TESTING_MAX_RECORDED_REQUESTS;
  let maxRecordedRequests = DEFAULT_MAX_RECORDED_REQUESTS;
  try {
    if (limitFlag !== undefined) {
      maxRecordedRequests = validateMaxRecordedRequests(
        wholeNumber(limitFlag),
        '--max-recorded-requests',
      );
    } else if (limitEnv !== undefined && limitEnv.trim() !== '') {
      maxRecordedRequests = validateMaxRecordedRequests(
        wholeNumber(limitEnv),
        'AUTHSEC_TESTING_MAX_RECORDED_REQUESTS',
      );
    }
  } catch (error) {
    process.stderr.write(`authsec-testing: ${(error as Error).message}\n`);
    return 2;
  }
  for (const flag of ['client-id', 'workspace-id'] as const) {
    const value = values[flag];
    if (value !== undefined && !isUuid(value)) {
      process.stderr.write(
        `authsec-testing: --${flag} must be a UUID such as 6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11\n`,
      );
      return 2;
    }
  }
  if (values.host !== undefined && !isLoopbackHost(values.host) && values['allow-non-loopback']) {
    process.stderr.write(
      `authsec-testing: WARNING: listening on ${values.host}: anyone who can reach it can pull ` +
        'tokens and act as an admin. Use this only on a network you trust.\n',
    );
  }

  const server = await AuthSecTestServer.start({
    generation,
    port,
    ...(values.host !== undefined && { host: values.host }),
    ...(values['allow-non-loopback'] && { allowNonLoopbackHost: true }),
    ...(values['workspace-id'] !== undefined && { workspaceId: values['workspace-id'] }),
    ...(fractionDigits !== undefined && { expiresAt: { fractionDigits } }),
    maxRecordedRequests,
  });
  const permissions = list(values.permissions, ['read:records', 'read:metrics', 'billing:read']);
  const { agent, env } = await server.createDelegatedAgent({
    permissions,
    audience: list(values.audience, ['authsec-api']),
    ttlSeconds,
    ...(values['client-id'] !== undefined && { clientId: values['client-id'] }),
  });
  const admin = await server.createSession({ admin: true, userId: 'local-admin' });

  const lines = [
    `# AuthSec test server (${generation} generation) on ${server.url}; Ctrl-C stops it.`,
    '# Put these lines in .env and load it when starting the agent: node --env-file=.env app.js,',
    '# tsx --env-file=.env app.ts; or export them in the shell (export AUTHSEC_BASE_URL=…).',
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    `AUTHSEC_WORKSPACE_ID=${agent.workspaceId}`,
    `# permissions: ${permissions.join(', ') || '(none)'}`,
    `# token lifetime: ${ttlSeconds} s; bundle: ${server.bundleUrl()}`,
    `# request log: keeps the latest ${maxRecordedRequests} requests (--max-recorded-requests)`,
    `# admin session for POST /authsec/uflow/admin/agents/${agent.clientId}/revoke-token:`,
    `#   Authorization: Bearer ${admin.token}`,
  ];
  // Listen before printing: whoever reads the lines may signal at once.
  const stopped = new Promise<void>((resolve) => {
    // Keep the handlers for the whole shutdown: Ctrl-C under `pnpm start` signals this process
    // twice (the terminal's process group, then pnpm forwarding it), and a second, unhandled
    // signal would kill it mid-close.
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
  process.stdout.write(`${lines.join('\n')}\n`);

  await stopped;
  await server.close();
  process.stdout.write('# stopped\n');
  return 0;
}

function parse() {
  return parseArgs({
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-non-loopback': { type: 'boolean' },
      generation: { type: 'string' },
      session: { type: 'boolean' },
      'owner-only': { type: 'boolean' },
      permissions: { type: 'string' },
      audience: { type: 'string' },
      ttl: { type: 'string' },
      'client-id': { type: 'string' },
      'workspace-id': { type: 'string' },
      'fraction-digits': { type: 'string' },
      'max-recorded-requests': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`authsec-testing: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
