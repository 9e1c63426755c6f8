// "AuthSec is down": a loopback URL where nothing listens, so a connection is refused at once.

import { createServer } from 'node:net';
import { assertBindable, originOf } from './loopback.js';

/**
 * Finds a loopback URL where nothing listens: binds a free port, then closes it, so a request there
 * is refused (`ECONNREFUSED`) at once instead of hanging. Another process could take the port
 * later, as with any free port; the window is small on a test machine.
 * @param host - the loopback address to use (default `127.0.0.1`)
 * @returns `http://<host>:<port>`, without a trailing slash
 * @throws Error when `host` is not loopback
 * @example
 * ```ts
 * const client = new AuthSecClient({ baseUrl: await closedPortUrl(), clientId });
 * await client.getDelegationToken(); // AuthSecNetworkError naming ECONNREFUSED
 * ```
 */
export async function closedPortUrl(host = '127.0.0.1'): Promise<string> {
  assertBindable(host, false, 'closedPortUrl');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return originOf(host, port);
}
