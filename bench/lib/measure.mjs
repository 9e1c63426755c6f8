// Interleaved pairs: each round times a batch of the baseline and a batch of ours back to back (the
// order alternating), and the verdict is the median of the per-round ratios, with their min–max. A
// noisy neighbour on a busy machine then moves one round, not the verdict.

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeBatch(fn, batch) {
  const start = performance.now();
  for (let i = 0; i < batch; i++) await fn();
  return ((performance.now() - start) * 1000) / batch; // µs per call
}

/**
 * Measures `ours` against `baseline`, interleaved.
 * @param {object} options
 * @param {() => unknown} options.ours
 * @param {() => unknown} options.baseline
 * @param {number} options.rounds - at least 10 in a full run
 * @param {number} options.batch - calls per sample
 * @param {number} [options.warmup] - calls of each before the first round
 * @returns {Promise<{ ours: number, baseline: number, ratio: number, min: number, max: number }>} µs per call
 */
export async function pair({ ours, baseline, rounds, batch, warmup = batch }) {
  for (let i = 0; i < warmup; i++) {
    await baseline();
    await ours();
  }
  const oursUs = [];
  const baseUs = [];
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    let a;
    let b;
    if (round % 2) {
      a = await timeBatch(ours, batch);
      b = await timeBatch(baseline, batch);
    } else {
      b = await timeBatch(baseline, batch);
      a = await timeBatch(ours, batch);
    }
    oursUs.push(a);
    baseUs.push(b);
    ratios.push(a / b);
  }
  return {
    ours: median(oursUs),
    baseline: median(baseUs),
    ratio: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}
