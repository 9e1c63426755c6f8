// The child process holding the local AuthSec-compatible server and the downstream API, so that
// their work never shares the bench's event loop. Sends its URLs and agent once it listens; stops
// when the parent disconnects.

import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';

const RECORDS = Number(process.env.BENCH_RECORDS) || 10_000;
const records = Array.from({ length: RECORDS }, (_, i) => ({
  id: `rec-${String(i).padStart(5, '0')}`,
  title: `Record ${i}`,
  content: `Quarterly figures for unit ${i % 97}: revenue ${(i * 37) % 1000}, churn ${i % 13}%.`,
  owner: `team-${i % 7}`,
  clearance: ['public', 'internal', 'confidential'][i % 3],
}));
const recordsBody = JSON.stringify({ records });

const authsec = await AuthSecTestServer.start();
const { agent } = await authsec.createDelegatedAgent({
  permissions: ['read:records'],
  audience: ['records-api'],
});
const api = await DownstreamServer.start({
  routes: {
    'GET /api/docs': { body: { docs: [1, 2, 3] } },
    'GET /api/records': () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: recordsBody,
    }),
  },
});

process.send({
  authsecUrl: authsec.url,
  pullUrl: authsec.pullUrl(agent.clientId),
  bundleUrl: authsec.bundleUrl(),
  workspaceId: authsec.workspaceId,
  clientId: agent.clientId,
  apiUrl: api.url,
  records: RECORDS,
});

// Pull counts for the stampede: `{ type: 'pulls' }` answers how many pulls the server has seen.
process.on('message', (message) => {
  if (message?.type === 'pulls') process.send({ type: 'pulls', count: authsec.pulls.length });
  if (message?.type === 'clear') {
    authsec.clearRequests();
    api.clearRequests();
    process.send({ type: 'clear' });
  }
});

process.on('disconnect', async () => {
  await api.close();
  await authsec.close();
  process.exit(0);
});
