// The authorized request: client.requestJson() and client.fetch() on a warm client against fetch with
// the Authorization header set by hand (the token from the same warm client) and res.json().

import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

export default {
  name: 'authorized request',
  async run(ctx) {
    const client = newClient(ctx.servers);
    const url = `${ctx.servers.apiUrl}/api/docs`;
    await client.getDelegationToken();
    const byHand = async () => {
      const token = await client.getDelegationToken();
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`API answered ${res.status}`);
      return res.json();
    };
    const rounds = ctx.count(30, 2);
    const batch = ctx.count(100, 5);
    const requestJson = await pair({
      ours: () => client.requestJson('/docs'),
      baseline: byHand,
      rounds,
      batch,
    });
    ctx.add({
      name: 'requestJson() vs fetch + bearer by hand',
      unit: 'µs',
      goal: 1.15,
      ...requestJson,
    });
    const clientFetch = await pair({
      ours: async () => {
        const res = await client.fetch(url, { headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`API answered ${res.status}`);
        return res.json();
      },
      baseline: byHand,
      rounds,
      batch,
    });
    ctx.add({
      name: 'client.fetch() vs fetch + bearer by hand',
      unit: 'µs',
      goal: 1.11,
      ...clientFetch,
    });
    await client.close();
  },
};
