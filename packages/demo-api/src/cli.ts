// The `authsec-demo-api` command: a local AuthSec server, the demo API and three delegated agents.

import { parseArgs } from 'node:util';
import { DEMO_AGENTS, type DemoAgentName, startDemoEnvironment } from './environment.js';

const HELP = `Usage: authsec-demo-api [options]

Starts a local AuthSec-compatible server and the demo API that trusts it, delegates tokens to a
reader, a billing and a writer agent, and prints the environment variables an agent needs.
Ctrl-C stops both.

Options:
  --port <n>           the demo API's port (default: a free one)
  --authsec-port <n>   the AuthSec server's port (default: a free one)
  --ttl <seconds>      the agents' token lifetime, at most 86400 (default 3600)
  -h, --help           show this help

Load the printed lines into the agent's environment with node --env-file=.env app.js,
tsx --env-file=.env app.ts, or export them in the shell.
`;

function portOf(value: string | undefined, flag: string): number {
  const port = value === undefined ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`${flag} must be a whole number from 0 to 65535`);
  }
  return port;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let port: number;
  let authsecPort: number;
  let ttlSeconds: number;
  try {
    const { values } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'authsec-port': { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    port = portOf(values.port, '--port');
    authsecPort = portOf(values['authsec-port'], '--authsec-port');
    ttlSeconds = values.ttl === undefined ? 3600 : Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86_400) {
      throw new UsageError('--ttl must be a whole number of seconds from 1 to 86400');
    }
  } catch (error) {
    process.stderr.write(`authsec-demo-api: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }

  // Listen for Ctrl-C before anything starts or prints: a signal that arrives while starting, or
  // right after the lines appear, still stops both servers cleanly. Keep the handlers for the
  // whole shutdown: Ctrl-C under `pnpm start` signals this process twice (the terminal's process
  // group, then pnpm forwarding it), and a second, unhandled signal would kill it mid-close.
  const stopped = new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
  const demo = await startDemoEnvironment({
    authsec: { port: authsecPort },
    api: {
      port,
      // An access log on stderr, so stdout stays paste-able. It never holds a token.
      onRequest: (r) =>
        process.stderr.write(
          `${r.method} ${r.path} → ${r.status}${r.error ? ` ${r.error}` : ''}${r.clientId ? ` (${r.clientId})` : ''}\n`,
        ),
    },
    ttlSeconds,
  });

  const agentLines = (Object.keys(DEMO_AGENTS) as DemoAgentName[]).flatMap((name, i) => {
    const { agent } = demo.agents[name];
    const line = `AUTHSEC_AGENT_CLIENT_ID=${agent.clientId}`;
    return [
      `# ${name} agent: ${DEMO_AGENTS[name].join(', ')}`,
      // Only one client id can be active in a .env: the first; swap the comments to switch.
      i === 0 ? line : `# ${line}`,
    ];
  });
  const lines = [
    `# AuthSec test server on ${demo.authsec.url}, demo API on ${demo.api.url}.`,
    '# Put these lines in .env and load it when starting the agent: node --env-file=.env app.js,',
    '# tsx --env-file=.env app.ts; or export them in the shell (export AUTHSEC_BASE_URL=…).',
    `AUTHSEC_BASE_URL=${demo.env.AUTHSEC_BASE_URL}`,
    `DOWNSTREAM_URL=${demo.env.DOWNSTREAM_URL}`,
    `AUTHSEC_WORKSPACE_ID=${demo.env.AUTHSEC_WORKSPACE_ID}`,
    ...agentLines,
    `# token lifetime: ${ttlSeconds} s. Routes: GET /docs, /customers/:id, /billing/customers/:id,`,
    '# /secure-vault/records, /secure-vault/records/page, /secure-vault/metrics; POST /secure-vault/records.',
    '# Ctrl-C stops both.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await stopped;
  await demo.close();
  process.stdout.write('# stopped\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`authsec-demo-api: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
