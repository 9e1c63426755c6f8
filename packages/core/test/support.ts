// Test support: a client wired to the local AuthSec server, with captured log lines and a movable clock.

import { inspect } from 'node:util';
import {
  AuthSecTestServer,
  type AuthSecTestServerOptions,
  type DelegatedAgentOptions,
} from '@authsec/testing';
import { expect } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import type { AuthSecClientOptions } from '../src/config.js';
import type { LogFields, Logger } from '../src/logger.js';

export interface CapturedLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every line it is given. */
export function captureLogger(): Logger & { lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = [];
  const at = (level: CapturedLine['level']) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`).join('\n'),
  };
}

/** A clock tests move by hand; starts at the real time so the server and client agree. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

export interface Setup {
  server: AuthSecTestServer;
  client: AuthSecClient;
  clientId: string;
  token: string;
  log: ReturnType<typeof captureLogger>;
  clock: ReturnType<typeof manualClock>;
  close(): Promise<void>;
}

/** Starts a server with one delegated agent and a client for it (logging at debug, captured). */
export async function setup(
  options: {
    server?: AuthSecTestServerOptions;
    agent?: DelegatedAgentOptions;
    client?: Partial<AuthSecClientOptions>;
    session?: boolean;
  } = {},
): Promise<Setup> {
  const clock = manualClock();
  const server = await AuthSecTestServer.start({ clock: clock.now, ...options.server });
  const { agent, delegation, session } = await server.createDelegatedAgent(options.agent);
  const log = captureLogger();
  const client = new AuthSecClient({
    baseUrl: server.url,
    clientId: agent.clientId,
    clock: clock.now,
    logger: log,
    logLevel: 'debug',
    env: {},
    ...(options.session && { sessionToken: session.token }),
    ...options.client,
  });
  return {
    server,
    client,
    clientId: agent.clientId,
    token: delegation.token,
    log,
    clock,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** Awaits a rejection and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

/** Asserts that no output of an error or the logs holds any of the secrets (or a JWT signature). */
export function expectNoSecrets(secrets: string[], ...things: unknown[]): void {
  const parts = secrets
    .flatMap((s) => (s.split('.').length === 3 ? [s, s.split('.')[2] as string] : [s]))
    .filter((s) => s.length > 8);
  for (const thing of things) {
    const shown =
      thing instanceof Error
        ? `${String(thing)}\n${inspect(thing, { depth: 10 })}\n${JSON.stringify(thing)}\n${thing.message}`
        : typeof thing === 'string'
          ? thing
          : `${inspect(thing, { depth: 10 })}\n${JSON.stringify(thing)}`;
    for (const secret of parts) expect(shown).not.toContain(secret);
  }
}
