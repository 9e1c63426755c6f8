// Token verification on a resource server: verifyDelegationToken() (RS256, workspace, audience,
// claims) against jose's jwtVerify() with a remote JWKS set on the same bundle URL and the same
// audience. Both cache the key set after the first call.

import { verifyDelegationToken } from '@authsec/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

export default {
  name: 'verify',
  async run(ctx) {
    const { authsecUrl, bundleUrl, workspaceId } = ctx.servers;
    const client = newClient(ctx.servers);
    const token = await client.getDelegationToken();
    const jwks = createRemoteJWKSet(new URL(bundleUrl));
    const options = { baseUrl: authsecUrl, workspaceId, audience: 'records-api', env: {} };
    const r = await pair({
      ours: () => verifyDelegationToken(token, options),
      baseline: () => jwtVerify(token, jwks, { algorithms: ['RS256'], audience: 'records-api' }),
      rounds: ctx.count(30, 2),
      batch: ctx.count(300, 5),
      warmup: ctx.count(100, 2),
    });
    ctx.add({ name: 'verifyDelegationToken() vs jose jwtVerify()', unit: 'µs', goal: 1.05, ...r });
    await client.close();
  },
};
