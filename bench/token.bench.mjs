// Token benchmarks: each case is reported as a ratio of its median latency to a baseline run in the
// same process, so results compare across machines. Runs offline against the local AuthSec server.

import { AuthSecClient } from '@authsec/core';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import ky from 'ky';
import { Bench } from 'tinybench';

const server = await AuthSecTestServer.start();
const { agent, delegation } = await server.createDelegatedAgent({ permissions: ['read:records'] });
const silent = { baseUrl: server.url, clientId: agent.clientId, logLevel: 'silent', env: {} };

const warm = new AuthSecClient(silent);
await warm.getDelegationToken();
const token = delegation.token;

// Invalidated before every call, so each call is a real pull (validation and checks included).
const cold = new AuthSecClient(silent);

const pullUrl = server.pullUrl(agent.clientId);
async function plainFetchPull() {
  const res = await fetch(pullUrl, {
    headers: { accept: 'application/json', 'x-client-id': agent.clientId },
  });
  const body = await res.json();
  if (typeof body.token !== 'string') throw new Error('no token');
  return body.token;
}

function report(title, bench, baseline) {
  const base = bench.getTask(baseline)?.result;
  if (base?.state !== 'completed') throw new Error(`baseline ${baseline} did not complete`);
  console.log(`\n${title} (baseline: ${baseline})`);
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed')
      throw new Error(`${task.name} failed: ${r.error?.message ?? r.state}`);
    const p50 = r.latency.p50;
    console.log(
      `  ${task.name.padEnd(46)} p50 ${(p50 * 1000).toFixed(2).padStart(9)} µs   ratio ${(p50 / base.latency.p50).toFixed(2).padStart(7)}x   ±${r.latency.rme.toFixed(1)}%`,
    );
  }
}

const hits = new Bench({ name: 'cache hit', time: 500, warmup: true, throws: true });
hits
  .add('baseline: async () => token', async () => token)
  .add('client.getDelegationToken() (warm cache)', () => warm.getDelegationToken())
  .add('client.getDelegationTokenInfo() (warm cache)', () => warm.getDelegationTokenInfo());
await hits.run();
report('Cache hit: what a warm call costs', hits, 'baseline: async () => token');

const pulls = new Bench({ name: 'pull', time: 1500, warmup: true, throws: true });
pulls
  .add('baseline: plain fetch + JSON.parse', plainFetchPull)
  .add('cold client.getDelegationToken() (ky, checks)', () => {
    cold.invalidate();
    return cold.getDelegationToken();
  });
await pulls.run();
report('Cold pull over loopback HTTP', pulls, 'baseline: plain fetch + JSON.parse');

// The authorized-request path: is ky worth it over plain fetch? (The SDK uses plain fetch here.)
const api = await DownstreamServer.start({
  routes: { 'GET /api/docs': { body: { docs: [1, 2, 3] } } },
});
const requester = new AuthSecClient({ ...silent, downstreamUrl: `${api.url}/api` });
await requester.getDelegationToken();
const docsUrl = `${api.url}/api/docs`;
const auth = { authorization: `Bearer ${token}`, accept: 'application/json' };
const kyClient = ky.create({ retry: 2, timeout: 10_000 });
const requests = new Bench({ name: 'request', time: 1500, warmup: true, throws: true });
requests
  .add('baseline: fetch + bearer + res.json()', async () =>
    (await fetch(docsUrl, { headers: auth })).json(),
  )
  .add('ky.get + bearer + .json() (retry 2, timeout)', () =>
    kyClient.get(docsUrl, { headers: auth }).json(),
  )
  .add('client.requestJson() (origin check, retries)', () => requester.requestJson('/docs'));
await requests.run();
report('Authorized request over loopback HTTP', requests, 'baseline: fetch + bearer + res.json()');
api.clearRequests();

await requester.close();
await api.close();
await warm.close();
await cold.close();
await server.close();
