// The cold pull: a client with an emptied cache fetching a new token (request, response checks,
// claim decoding) against the least a careful user writes: fetch the pull URL, read .json(), check
// the token is a string.

import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

export default {
  name: 'cold pull',
  async run(ctx) {
    const { pullUrl, clientId } = ctx.servers;
    const client = newClient(ctx.servers);
    const r = await pair({
      ours: () => {
        client.invalidate();
        return client.getDelegationToken();
      },
      baseline: async () => {
        const res = await fetch(pullUrl, {
          headers: { accept: 'application/json', 'x-client-id': clientId },
        });
        if (!res.ok) throw new Error(`pull answered ${res.status}`);
        const body = await res.json();
        if (typeof body.token !== 'string') throw new Error('no token');
        return body.token;
      },
      rounds: ctx.count(30, 2),
      batch: ctx.count(40, 3),
      warmup: ctx.count(20, 1),
    });
    ctx.add({ name: 'cold pull vs fetch + json()', unit: 'µs', goal: 1.3, ...r });
    await client.close();
  },
};
