// The LangChain request tool: createAuthSecRequestTool() invoked like an agent would, against a
// hand-written tool() that takes the token from the same warm client, fetches with the bearer and
// returns the response text.

import { createAuthSecRequestTool } from '@authsec/langchain';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

export default {
  name: 'langchain request tool',
  async run(ctx) {
    const client = newClient(ctx.servers);
    await client.getDelegationToken();
    const url = `${ctx.servers.apiUrl}/api/docs`;
    const schema = z.object({});
    const ours = createAuthSecRequestTool({
      name: 'get_docs',
      description: 'List the docs.',
      schema,
      path: '/docs',
      scope: 'read:records',
      client,
    });
    const byHand = tool(
      async () => {
        const token = await client.getDelegationToken();
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) return JSON.stringify({ error: { status: res.status } });
        return res.text();
      },
      { name: 'get_docs', description: 'List the docs.', schema },
    );
    const r = await pair({
      ours: () => ours.invoke({}),
      baseline: () => byHand.invoke({}),
      rounds: ctx.count(30, 2),
      batch: ctx.count(100, 5),
    });
    ctx.add({
      name: 'createAuthSecRequestTool vs hand-written tool()',
      unit: 'µs',
      goal: 1.1,
      ...r,
    });
    await client.close();
  },
};
