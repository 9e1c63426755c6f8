// Every example and the demo, run as `pnpm demo` runs them, at debug in both log formats: nothing secret in what they print.

import { readdirSync } from 'node:fs';
import { AuthSecTestServer, type DelegatedAgent } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleRun, runExample } from '../support/run-example.js';
import { expectNoLeak, SecretSet } from '../support/secrets.js';

const FORMATS = ['pretty', 'json'] as const;
type Format = (typeof FORMATS)[number];
// A cold start of LlamaIndex or LangChain, or a fleet of forked workers, on a busy 2-core machine.
const RUN_TIMEOUT_MS = 180_000;

// The examples that start their own servers, with the flags that turn on the SDK's debug transcript.
const SELF_CONTAINED: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['demo', []],
  ['llamaindex-rag', []],
  ['langchain-agent', []],
  ['autogen-agent', []],
  // Fewer workers and callers than the default: the same secrets in play, a shorter run.
  ['fleet', ['--workers', '3', '--callers', '10']],
];

describe('coverage', () => {
  it('runs every example under examples/ (a new one must be added here)', () => {
    const examples = readdirSync(new URL('../../../examples/', import.meta.url), {
      withFileTypes: true,
    })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect([...SELF_CONTAINED.map(([name]) => name), 'smoke'].sort()).toEqual(examples);
  });
});

/** The SDK's transcript was on: `[AuthSec SDK]` lines, or JSON entries with a level and an event. */
function expectTranscript(run: ExampleRun, format: Format): void {
  const output = `${run.stdout}\n${run.stderr}`;
  if (format === 'pretty') {
    expect(output).toMatch(/\[AuthSec SDK\] \[Init\] AuthSec client initialised\./);
    return;
  }
  const entries = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level?: unknown; event?: unknown });
  expect(entries.some((entry) => entry.level === 'info' && entry.event === 'client.init')).toBe(
    true,
  );
  expect(output).not.toMatch(/\[AuthSec SDK\]/);
}

function expectSuccess(run: ExampleRun, name: string): void {
  // The output is checked for leaks before it is shown, so a failure here cannot print a secret.
  expectNoLeak(`examples/${name} (its output)`, `${run.stdout}\n${run.stderr}`, run.secrets);
  expect(run.signal, name).toBeNull();
  expect(run.status, `${name} exited ${run.status}:\n${run.stdout}\n${run.stderr}`).toBe(0);
}

describe.concurrent('examples that start their own servers, at debug: no secret in their output', () => {
  for (const [name, extraArgs] of SELF_CONTAINED) {
    for (const format of FORMATS) {
      it(`examples/${name} --log-level debug --log-format ${format} prints no token, session credential, store key or private key`, async () => {
        const run = await runExample(name, {
          args: ['--log-level', 'debug', '--log-format', format, ...extraArgs],
          timeoutMs: RUN_TIMEOUT_MS,
        });
        expectSuccess(run, name);
        expectTranscript(run, format);
        // The check is only as good as the secrets it knows: the run pulled tokens (a bearer
        // that a server handed out earlier is counted once, as the answer that carried it).
        expect(run.secrets.count('response-jwt')).toBeGreaterThan(0);
        // The demo's admin sends a session credential that no server ever answered with.
        if (name === 'demo') expect(run.secrets.count('bearer')).toBeGreaterThan(0);
        if (name === 'fleet') expect(run.secrets.count('AUTHSEC_STORE_KEY')).toBe(1);
      });
    }
  }
});

describe.concurrent('examples/smoke against a session-requiring AuthSec server the test runs', () => {
  let server: AuthSecTestServer;
  let delegated: DelegatedAgent;

  beforeAll(async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    delegated = await server.createDelegatedAgent({
      permissions: ['read:records', 'billing:read'],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const format of FORMATS) {
    it(`AUTHSEC_LOG_LEVEL=debug AUTHSEC_LOG_FORMAT=${format}: the token and AUTHSEC_SESSION_TOKEN never print`, async () => {
      const run = await runExample('smoke', {
        env: { ...delegated.env, AUTHSEC_LOG_LEVEL: 'debug', AUTHSEC_LOG_FORMAT: format },
        timeoutMs: RUN_TIMEOUT_MS,
      });
      const secrets = new SecretSet()
        .add('delegation token', server.delegation(delegated.agent.clientId)?.token)
        .add('session credential', delegated.session.token);
      for (const secret of run.secrets) secrets.add(secret.kind, secret.value);
      expect(secrets.count('delegation token')).toBe(1);
      expect(secrets.count('session credential')).toBe(1);
      expectSuccess({ ...run, secrets }, 'smoke');
      expectTranscript(run, format);
      expect(run.stdout).toContain('using your configuration');
      // The session credential was sent: the server requires it on every pull.
      expect(server.pulls.length).toBeGreaterThan(0);
    });
  }
});
