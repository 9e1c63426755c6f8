// The fleet: 8 processes with 50 concurrent callers each, sharing one token through a Redis store
// (@authsec/redis) against the same fleet without a shared store. The figure is the pulls AuthSec
// saw per refresh (goal 1, where 8 processes on their own make 8). Then what a call served from the
// Redis store costs next to one served from memory (report). The measurement, with its own
// AuthSec test server, redis-server and worker processes, is packages/redis/scripts/measure-fleet.mjs.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NAME = 'fleet: pulls per refresh';
// The bench does not depend on @authsec/redis (turbo builds only the bench's own dependencies
// first), so its build may be missing: say so in the table rather than fail the run.
const REDIS_BUILD = new URL('../../packages/redis/dist/index.js', import.meta.url);

/** Why the fleet cannot be measured here, if it cannot. */
function missing() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error !== undefined) {
    return 'redis-server is not installed (apt-get install redis-server)';
  }
  if (!existsSync(REDIS_BUILD)) return '@authsec/redis is not built (pnpm build)';
  return undefined;
}

export default {
  name: 'fleet',
  async run(ctx) {
    const processes = ctx.count(8, 2);
    const callers = ctx.count(50, 5);
    const label = `${processes} processes × ${callers} callers`;
    const why = missing();
    if (why !== undefined) {
      // A report-only row that says so, rather than a failed run on a machine without Redis.
      ctx.add({ name: `${NAME}: not measured, ${why}`, unit: 'pulls', ours: 0, met: null });
      return;
    }
    const { measureFleet } = await import('../../packages/redis/scripts/measure-fleet.mjs');
    const refreshes = ctx.count(3, 2);
    const shared = await measureFleet({
      processes,
      callers,
      shared: true,
      refreshes,
      rounds: ctx.count(15, 3),
      storeBatch: ctx.count(200, 20),
      memoryBatch: ctx.count(20_000, 1_000),
    });
    const alone = await measureFleet({ processes, callers, shared: false, refreshes });

    ctx.add({
      name: `${NAME}, ${label}: sharing Redis vs without a shared store`,
      unit: 'pulls',
      ours: shared.pullsPerRefresh,
      baseline: alone.pullsPerRefresh,
      ratio: shared.pullsPerRefresh / alone.pullsPerRefresh,
      goal: '1 pull',
      met: shared.pullsPerRefresh === 1,
    });
    ctx.add({
      name: 'fleet: token served from the Redis store vs from memory',
      unit: 'µs',
      ours: shared.storeHitNs / 1000,
      baseline: shared.memoryHitNs / 1000,
      ratio: shared.storeHitNs / shared.memoryHitNs,
    });
  },
};
