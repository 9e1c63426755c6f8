// The cached call: getDelegationToken() on a warm client, against the floor of any async API (a bare
// await of a resolved promise). Report-only: it says what a cache hit costs, not a goal.

import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

export default {
  name: 'cached getDelegationToken()',
  async run(ctx) {
    const client = newClient(ctx.servers);
    await client.getDelegationToken();
    const resolved = Promise.resolve('token');
    const r = await pair({
      ours: () => client.getDelegationToken(),
      baseline: async () => await resolved,
      rounds: ctx.count(30, 3),
      batch: ctx.count(50_000, 1_000),
    });
    ctx.add({ name: 'cached getDelegationToken() vs await resolved', unit: 'µs', ...r });
    await client.close();
  },
};
