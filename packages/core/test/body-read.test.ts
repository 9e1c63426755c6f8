// Every body read fails with a typed AuthSec error, and the attempt's time limit covers the body.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
  AuthSecNetworkError,
  AuthSecTimeoutError,
} from '../src/errors.js';
import { rejection } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A raw HTTP server on 127.0.0.1, for answers the recording server cannot give (stalls, cuts). */
async function serve(handler: Handler): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Headers and the first bytes of a JSON body, then nothing more. */
const stall: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"data":"');
};

/** Headers and the first bytes of a JSON body, then the connection is cut. */
const cut: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"data":"', () => res.socket?.destroy());
};

function mockClient(url: string, options: { timeoutMs?: number; totalTimeoutMs?: number } = {}) {
  const client = new AuthSecClient({
    mode: 'mock',
    downstreamUrl: url,
    logLevel: 'silent',
    env: {},
    ...options,
  });
  closers.push(() => client.close());
  return client;
}

describe('requestJson(): a failed body read is a typed AuthSec error', () => {
  it('a body that stops arriving: AuthSecTimeoutError after timeoutMs', async () => {
    // The attempt's limit (1 s), not the 30 s budget, ends it: the bound is far from both.
    const client = mockClient(await serve(stall), { timeoutMs: 1_000, totalTimeoutMs: 30_000 });
    const started = Date.now();
    const error = await rejection(client.requestJson('/slow', { retry: false }));
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect(error.message).toMatch(/did not finish sending its answer to GET \/slow/);
    expect((error as AuthSecTimeoutError).timeoutMs).toBe(1_000);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('the caller aborts while the body arrives: AuthSecAbortedError', async () => {
    const client = mockClient(await serve(stall));
    const controller = new AbortController();
    const pending = rejection(client.requestJson('/slow', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toBeInstanceOf(AuthSecAbortedError);
  });

  it('close() while the body arrives: AuthSecClosedError', async () => {
    const client = mockClient(await serve(stall));
    const pending = rejection(client.requestJson('/slow'));
    setTimeout(() => void client.close(), 200);
    expect(await pending).toBeInstanceOf(AuthSecClosedError);
  });

  it('a connection cut mid-body: AuthSecNetworkError naming the API, not the raw error', async () => {
    const client = mockClient(await serve(cut));
    const error = await rejection(client.requestJson('/cut'));
    expect(error).toBeInstanceOf(AuthSecNetworkError);
    expect(error.message).toMatch(/failed while reading the answer to GET \/cut/);
  });
});

describe('the pull: timeoutMs covers the body, and a trickling attempt is retried', () => {
  it('an attempt whose body trickles past timeoutMs is retried within totalTimeoutMs', async () => {
    const authsec = await AuthSecTestServer.start();
    closers.push(() => authsec.close());
    const { agent } = await authsec.createDelegatedAgent();
    let pulls = 0;
    // In front of AuthSec: the first pull trickles one byte every 50 ms; later ones pass through.
    const proxy = await serve((req, res) => {
      pulls += 1;
      if (pulls === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
        const timer = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (name !== 'host' && typeof value === 'string') headers.set(name, value);
      fetch(`${authsec.url}${req.url}`, { headers }).then(
        async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(await answer.text());
        },
        () => res.destroy(),
      );
    });
    const client = new AuthSecClient({
      baseUrl: proxy,
      clientId: agent.clientId,
      // One trickling attempt would take 200 s: only the 1 s attempt limit leaves room for a retry.
      timeoutMs: 1_000,
      totalTimeoutMs: 20_000,
      logLevel: 'silent',
      env: {},
    });
    closers.push(() => client.close());
    const started = Date.now();
    const token = await client.getDelegationToken();
    expect(token.split('.')).toHaveLength(3);
    expect(pulls).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
