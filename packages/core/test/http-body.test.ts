// Proves the body cap on every framing: declared length, chunked, and compressed (a small length that inflates).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecResponseError } from '../src/errors.js';
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
