// Which hosts count as loopback: the only ones that may be reached over plain http.

/**
 * True for `localhost`, 127.0.0.0/8 and `[::1]`, as URL hostnames write them (the URL parser
 * already turns `127.1` or `127.0.0.1.` into `127.0.0.1`). Only the exact name `localhost` counts:
 * `localhost.` (with the root dot) and subdomains of `localhost` are DNS names that Node resolves
 * through DNS, which may answer with any address.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost') return true;
  if (host === '[::1]' || host === '::1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}
