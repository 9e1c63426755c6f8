// Clients the cases share: built from the server child's URLs with public options only.

import { AuthSecClient } from '@authsec/core';

/** A silent client for the bench's agent, its downstream API at `<api>/api`. */
export function newClient(servers, extra = {}) {
  return new AuthSecClient({
    baseUrl: servers.authsecUrl,
    clientId: servers.clientId,
    downstreamUrl: `${servers.apiUrl}/api`,
    logLevel: 'silent',
    env: {},
    ...extra,
  });
}
