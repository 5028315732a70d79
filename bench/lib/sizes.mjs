// Scenario sizes. `full` is what `npm run bench` uses; `smoke` keeps the whole matrix under ~2 minutes
// so CI can check that the harness still works (the numbers from a smoke run mean little).
export const SIZES = {
  full: {
    a: { warmupRuns: 200, runs: 2000 },
    b: { inFlight: 100, warmupMs: 1000, durationMs: 10_000 },
    c: { runs: 10_000, finishTimeoutMs: 600_000 },
    d: { items: 1000, concurrency: 50, repeats: 3 },
    e: { runs: 100_000, startBudgetMs: 300_000, settleMs: 15_000, oneByOneSample: 5000 },
    f: { runs: 1_000_000, peerRuns: 20_000, seedBudgetMs: 900_000, peerSeedBudgetMs: 120_000, queries: 50 },
    g: { runs: 1000, stepDelayMs: 20, killAfterMs: 50, recoverTimeoutMs: 600_000 },
    h: { turns: 600 },
    i: { runs: 100_000, sends: 200, startBudgetMs: 900_000, finishTimeoutMs: 900_000 },
    l: { repeats: 7 },
    k: { workers: [1, 2, 4], inFlight: 100, warmupMs: 1000, durationMs: 10_000 },
    s: { runs: 1_000_000, seedBudgetMs: 1_800_000, queries: 50 },
    j: { inFlight: 100, warmupMs: 1000, durationMs: 10_000, keys: 10_000, debounceMs: 10 },
  },
  smoke: {
    a: { warmupRuns: 5, runs: 20 },
    b: { inFlight: 100, warmupMs: 200, durationMs: 2000 },
    c: { runs: 200, finishTimeoutMs: 30_000 },
    d: { items: 50, concurrency: 50, repeats: 1 },
    e: { runs: 1000, startBudgetMs: 20_000, settleMs: 1000, oneByOneSample: 100 },
    f: { runs: 5000, peerRuns: 1000, seedBudgetMs: 30_000, peerSeedBudgetMs: 10_000, queries: 5 },
    g: { runs: 50, stepDelayMs: 20, killAfterMs: 50, recoverTimeoutMs: 30_000 },
    h: { turns: 60 },
    i: { runs: 500, sends: 20, startBudgetMs: 30_000, finishTimeoutMs: 30_000 },
    l: { repeats: 2 },
    k: { workers: [1, 2], inFlight: 50, warmupMs: 200, durationMs: 1000 },
    s: { runs: 5000, seedBudgetMs: 60_000, queries: 5 },
    j: { inFlight: 100, warmupMs: 200, durationMs: 2000, keys: 10_000, debounceMs: 10 },
  },
};

export const STEPS = 10; // steps of the chain workflow (scenarios a, b, c, g)
export const RESOURCES = 1000; // scenario f spreads its runs over this many resource ids
export const FAIL_EVERY = 100; // scenario f: every 100th run fails, so a status filter has something to find
export const CUSTOMERS = 10_000; // scenario s: runs carry metadata.customerId from this many customers
export const TAGS = 100; // scenario s: and one tag of this many
