// Proves the body cap on every framing: declared length, chunked, and compressed (a small length that inflates).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecAbortedError, AuthSecConfigError, AuthSecResponseError } from '../src/errors.js';
import { readText } from '../src/http-body.js';
import { rejection } from './support.js';

let server: Server | undefined;
let client: AuthSecClient | undefined;
afterEach(async () => {
  await client?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A raw HTTP server answering every request with `body` and the given headers. */
async function serve(body: Buffer, headers: Record<string, string>): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    // Written in pieces, so a chunked answer really arrives as several chunks.
    const piece = 16 * 1024;
    for (let at = 0; at < body.length; at += piece) res.write(body.subarray(at, at + piece));
    res.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new AuthSecClient({
    mode: 'mock',
    downstreamUrl: `http://127.0.0.1:${port}`,
    logLevel: 'silent',
    env: {},
  });
  return `http://127.0.0.1:${port}`;
}

const big = Buffer.from(JSON.stringify({ data: 'x'.repeat(300 * 1024) }));
const small = Buffer.from(JSON.stringify({ data: 'ok' }));

describe('the body cap of requestJson()', () => {
  it('refuses a chunked body (no Content-Length) once it passes the cap', async () => {
    await serve(big, {});
    const error = await rejection(
      (client as AuthSecClient).requestJson('/x', { maxResponseBytes: 64 * 1024 }),
    );
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error.message).toMatch(/larger than 65536 bytes/);
  });

  it('refuses a gzip body whose small Content-Length inflates past the cap', async () => {
    const packed = gzipSync(big);
    expect(packed.length).toBeLessThan(64 * 1024);
    await serve(packed, { 'content-encoding': 'gzip', 'content-length': String(packed.length) });
    const error = await rejection(
      (client as AuthSecClient).requestJson('/x', { maxResponseBytes: 64 * 1024 }),
    );
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error.message).toMatch(/larger than 65536 bytes/);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    await serve(big, { 'content-length': String(big.length) });
    const error = await rejection(
      (client as AuthSecClient).requestJson('/x', { maxResponseBytes: 64 * 1024 }),
    );
    expect(error).toBeInstanceOf(AuthSecResponseError);
  });

  it.each([
    ['a declared length', (b: Buffer) => ({ 'content-length': String(b.length) })],
    ['chunked', () => ({})],
    ['gzip', (b: Buffer) => ({ 'content-encoding': 'gzip', 'content-length': String(b.length) })],
  ])('reads a body under the cap sent with %s', async (name, headersOf) => {
    const body = name === 'gzip' ? gzipSync(small) : small;
    await serve(body, headersOf(body));
    expect(await client?.requestJson('/x', { maxResponseBytes: 64 * 1024 })).toEqual({
      data: 'ok',
    });
  });
});

describe('readText(), the capped body reader adapters share', () => {
  const framings = [
    ['a declared length', (b: Buffer) => ({ 'content-length': String(b.length) })],
    ['chunked', () => ({})],
    ['gzip', (b: Buffer) => ({ 'content-encoding': 'gzip', 'content-length': String(b.length) })],
  ] as const;

  it.each(framings)('reads a whole body under the cap sent with %s', async (name, headersOf) => {
    const body = name === 'gzip' ? gzipSync(small) : small;
    const url = await serve(body, headersOf(body));
    const response = await fetch(`${url}/x`);
    expect(await readText(response, { maxBytes: 64 * 1024 })).toBe(small.toString());
  });

  it.each(framings)(
    'refuses a body over the cap sent with %s, naming the request and the given fix',
    async (name, headersOf) => {
      const body = name === 'gzip' ? gzipSync(big) : big;
      const url = await serve(body, headersOf(body));
      const response = await fetch(`${url}/x?secret=1`);
      const error = await rejection(
        readText(response, { maxBytes: 1000, method: 'GET', path: '/x', hint: 'Page it.' }),
      );
      expect(error).toBeInstanceOf(AuthSecResponseError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_BAD_RESPONSE', hint: 'Page it.' });
      expect(error.message).toBe("The API's answer to GET /x is larger than 1000 bytes.");
      expect(JSON.stringify(error)).not.toContain('secret');
    },
  );

  it.each(framings)(
    'with truncate, keeps exactly the first maxBytes of a larger body sent with %s',
    async (name, headersOf) => {
      const body = name === 'gzip' ? gzipSync(big) : big;
      const url = await serve(body, headersOf(body));
      const result = await readText(await fetch(`${url}/x`), { maxBytes: 40_000, truncate: true });
      expect(result).toEqual({ text: big.subarray(0, 40_000).toString(), truncated: true });
    },
  );

  it('with truncate, says a body that fits is whole', async () => {
    const url = await serve(small, {});
    const result = await readText(await fetch(`${url}/x`), { maxBytes: 64, truncate: true });
    expect(result).toEqual({ text: small.toString(), truncated: false });
  });

  it('stops on its signal with AuthSecAbortedError', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/x`);
    const controller = new AbortController();
    const read = rejection(readText(response, { maxBytes: 1000, signal: controller.signal }));
    controller.abort();
    expect(await read).toBeInstanceOf(AuthSecAbortedError);
    server.closeAllConnections();
  });

  it.each([-1, 1.5, Number.NaN])(
    'refuses maxBytes %s with AuthSecConfigError',
    async (maxBytes) => {
      const error = await rejection(readText(new Response('x'), { maxBytes }));
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect(error.message).toMatch(/maxBytes must be a whole number/);
    },
  );
});
