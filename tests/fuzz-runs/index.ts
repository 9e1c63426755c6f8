// How many runs each property test of the packages makes (AUTHSEC_FUZZ_RUNS, never fewer than 200), and its time limits.

const MIN_RUNS = 200;
const asked = Number(globalThis.process?.env.AUTHSEC_FUZZ_RUNS);

/** Runs per property: `AUTHSEC_FUZZ_RUNS` when it asks for more, else 200. */
export const FUZZ_RUNS = Number.isInteger(asked) && asked > MIN_RUNS ? asked : MIN_RUNS;

/**
 * A property's time limit, for its `describe`: 200 runs take 1–3 s on an idle machine; a busy
 * 2-core one is several times slower, and more runs take longer in proportion.
 */
export const FUZZ_TIMEOUT_MS = 60_000 * (FUZZ_RUNS / MIN_RUNS);

/**
 * fast-check's parameters for every property: the runs; one run that takes longer than 10 s (one
 * local HTTP exchange or RSA signature, on a busy machine) fails with its input, which is how a hang
 * shows; and, as a safety net only, the whole property stops as a failure just before its time limit.
 */
export const FUZZ_PARAMS = {
  numRuns: FUZZ_RUNS,
  timeout: 10_000,
  interruptAfterTimeLimit: FUZZ_TIMEOUT_MS - 5_000,
  markInterruptAsFailure: true,
} as const;
