// Loopback checks shared by both servers: they bind to loopback unless told otherwise.

import { isIP } from 'node:net';

/**
 * Tells whether a host name or address is loopback: `localhost`, 127.0.0.0/8 or `::1`.
 * @param host - a host name or IP address, IPv6 with or without brackets
 * @returns true for a loopback host
 * @example
 * ```ts
 * isLoopbackHost('[::1]'); // true
 * isLoopbackHost('0.0.0.0'); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Throws unless `host` is loopback or the caller opted in to another address. */
export function assertBindable(
  host: string,
  allowNonLoopbackHost: boolean | undefined,
  who: string,
): void {
  if (!isLoopbackHost(host) && allowNonLoopbackHost !== true) {
    throw new Error(
      `${who} refuses to listen on '${host}': it serves test credentials and binds to loopback only. ` +
        'Pass allowNonLoopbackHost: true (CLI: --allow-non-loopback) if you really mean it.',
    );
  }
}

/** The `http://host:port` origin of a listening server, IPv6 bracketed. */
export function originOf(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return `http://${isIP(bare) === 6 ? `[${bare}]` : bare}:${port}`;
}
