// How many runs each property test makes: AUTHSEC_FUZZ_RUNS, never fewer than 200.

const MIN_RUNS = 200;
const asked = Number(globalThis.process?.env.AUTHSEC_FUZZ_RUNS);

/** Runs per property: `AUTHSEC_FUZZ_RUNS` when it asks for more, else 200. */
export const FUZZ_RUNS = Number.isInteger(asked) && asked > MIN_RUNS ? asked : MIN_RUNS;
