// The stampede: 1,000 callers ask a cold client for a token at once. Ours shares one pull; the
// baseline is the naive cache people write first (check, await fetch, store), which pulls once per
// caller. The figure is the pulls the AuthSec server saw; the goal is 1.

import { newClient } from '../lib/clients.mjs';

export default {
  name: 'stampede',
  async run(ctx) {
    const callers = ctx.count(1_000, 50);
    const { pullUrl, clientId } = ctx.servers;

    await ctx.clear();
    const client = newClient(ctx.servers);
    await Promise.all(Array.from({ length: callers }, () => client.getDelegationToken()));
    const ours = await ctx.pulls();
    await client.close();

    await ctx.clear();
    let cached;
    const naive = async () => {
      if (cached) return cached;
      const res = await fetch(pullUrl, {
        headers: { accept: 'application/json', 'x-client-id': clientId },
      });
      const body = await res.json();
      cached = body.token;
      return cached;
    };
    await Promise.all(Array.from({ length: callers }, naive));
    const baseline = await ctx.pulls();

    ctx.add({
      name: `stampede: ${callers} callers, pulls (ours vs naive cache)`,
      unit: 'pulls',
      ours,
      baseline,
      ratio: ours / baseline,
      goal: '1 pull',
      met: ours === 1,
    });
  },
};
