// Heap per authorized request: 20,000 requestJson() calls on one client, the heap measured after a
// full GC before and after. Anything retained per request shows up as growth; the goal is under
// 1 MB for the whole run (0 bytes per request, within GC noise).

import { newClient } from '../lib/clients.mjs';

async function settledHeap() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export default {
  name: 'heap',
  async run(ctx) {
    if (typeof globalThis.gc !== 'function') {
      throw new Error('the heap case needs `node --expose-gc` (the bench script passes it)');
    }
    const requests = ctx.count(20_000, 300);
    const client = newClient(ctx.servers);
    for (let i = 0; i < ctx.count(2_000, 50); i++) await client.requestJson('/docs');
    await ctx.clear();
    const before = await settledHeap();
    for (let i = 0; i < requests; i++) await client.requestJson('/docs');
    const after = await settledHeap();
    const growthMb = (after - before) / 2 ** 20;
    ctx.add({
      name: `heap growth over ${requests} requestJson() (after GC)`,
      unit: 'MB',
      ours: growthMb,
      goal: '< 1 MB',
      met: growthMb < 1,
    });
    await client.close();
  },
};
