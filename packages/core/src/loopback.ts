// Which hosts count as loopback: the only ones that may be reached over plain http.

/**
 * True for `localhost`, 127.0.0.0/8 and `[::1]`, as URL hostnames write them. Subdomains of
 * `localhost` do not count: Node resolves them through DNS, which may answer with any address.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost') return true;
  if (host === '[::1]' || host === '::1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}
