// Engine-independent scenario drivers. Each takes an initialised adapter (see engines/*.mjs) and the
// scenario's sizes, and returns the metrics to report.
import { STEPS, RESOURCES, FAIL_EVERY } from './sizes.mjs';
import { summarize, now, sleep, memoryMB } from './stats.mjs';
import { hooks } from './hooks.mjs';

const US = 1000;
/** Floor inserts timed after each run of scenario a (a run is about 11 commits). */
const FLOOR_SAMPLES_PER_RUN = 3;

async function scenarioA(ad, { warmupRuns, runs }) {
  for (let i = 0; i < warmupRuns; i++) await ad.runChain();
  // On PostgreSQL engines: autocommit inserts on the same server between the runs (the commit floor,
  // sampled under the same conditions as the runs; see lib/pg-floor.mjs).
  const floor = ad.openInsertFloor ? await ad.openInsertFloor() : null;
  const lat = new Float64Array(runs);
  try {
    for (let i = 0; i < runs; i++) {
      const t = now();
      await ad.runChain();
      lat[i] = now() - t;
      await floor?.sample(FLOOR_SAMPLES_PER_RUN);
    }
  } finally {
    await floor?.close();
  }
  const r = summarize(lat);
  const f = floor?.summary() ?? {};
  const stepP50Us = (r.p50 / STEPS) * US;
  return {
    runs,
    runP50Ms: r.p50,
    runP99Ms: r.p99,
    stepP50Us,
    stepP99Us: (r.p99 / STEPS) * US,
    ...f,
    stepOverInsert: f.insertP50Us ? stepP50Us / f.insertP50Us : undefined,
  };
}

/** Keeps `inFlight` runs outstanding until `durationMs` has passed; returns completed runs and latencies. */
export async function closedLoop(ad, inFlight, durationMs) {
  const lat = [];
  let completed = 0;
  const t0 = now();
  const deadline = t0 + durationMs;
  let lastEnd = t0;
  async function lane() {
    while (now() < deadline) {
      const t = now();
      await ad.runChain();
      lastEnd = now();
      lat.push(lastEnd - t);
      completed++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { completed, elapsedMs: lastEnd - t0, lat };
}

async function scenarioB(ad, { inFlight, warmupMs, durationMs }) {
  await closedLoop(ad, inFlight, warmupMs);
  const { completed, elapsedMs, lat } = await closedLoop(ad, inFlight, durationMs);
  const r = summarize(lat);
  return {
    inFlight,
    // A result, not a size: `runs` is what the ratio table compares to flag engines run at other sizes.
    completedRuns: completed,
    elapsedMs,
    stepsPerSec: (completed * STEPS) / (elapsedMs / 1000),
    runsPerSec: completed / (elapsedMs / 1000),
    runP50Ms: r.p50,
    runP99Ms: r.p99,
  };
}

async function waitCount(countFn, target, timeoutMs, pollMs = 10) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const n = await countFn();
    if (n >= target) return n;
    if (now() > deadline) throw new Error(`only ${n} of ${target} runs finished within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

async function scenarioC(ad, { runs, finishTimeoutMs }) {
  // warm up the start path and the engine (not counted)
  const warm = Math.min(100, runs);
  const base = hooks.lastSteps;
  for (let i = 0; i < warm; i++) await ad.startChain();
  await hooks.reached(base + warm);
  await waitCount(() => ad.countSucceeded('chain'), warm, finishTimeoutMs);

  const ack = new Float64Array(runs);
  const t0 = now();
  for (let i = 0; i < runs; i++) {
    const t = now();
    await ad.startChain();
    ack[i] = now() - t;
  }
  const ackAllMs = now() - t0;
  const timeout = sleep(finishTimeoutMs).then(() => {
    throw new Error(`runs not finished within ${finishTimeoutMs} ms (${hooks.lastSteps - base - warm}/${runs})`);
  });
  await Promise.race([hooks.reached(base + warm + runs), timeout]);
  await waitCount(() => ad.countSucceeded('chain'), warm + runs, finishTimeoutMs, 2);
  const allFinishedMs = now() - t0;
  const r = summarize(ack);
  return {
    runs,
    ackP50Ms: r.p50,
    ackP99Ms: r.p99,
    ackAllMs,
    allFinishedMs,
    stepsPerSec: (runs * STEPS) / (allFinishedMs / 1000),
  };
}

async function scenarioD(ad, { items, concurrency, repeats }) {
  const input = Array.from({ length: items }, (_, i) => ({ n: i }));
  await ad.runForeach(input.slice(0, Math.min(items, 50)), concurrency); // warm up
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t = now();
    const out = await ad.runForeach(input, concurrency);
    times.push(now() - t);
    if (!Array.isArray(out) || out.length !== items || out[items - 1]?.n !== items) {
      throw new Error(`foreach returned a wrong result (${JSON.stringify(out)?.slice(0, 120)})`);
    }
  }
  const best = Math.min(...times);
  return {
    items,
    concurrency,
    repeats,
    runMs: summarize(times).p50,
    bestRunMs: best,
    itemsPerSec: items / (best / 1000),
    emulated: ad.foreachNote,
  };
}

async function scenarioE(ad, { runs, startBudgetMs, settleMs, oneByOneSample }) {
  globalThis.gc?.();
  const before = memoryMB();
  const t0 = now();
  let started = 0;
  const deadline = t0 + startBudgetMs;
  if (ad.startSleepers) {
    // A bulk start API (weft: workflow.startMany), in chunks of 10,000 items.
    while (started < runs && now() < deadline) started += await ad.startSleepers(Math.min(10_000, runs - started));
  } else {
    while (started < runs && now() < deadline) {
      await ad.startSleeper();
      started++;
    }
  }
  const startMs = now() - t0;
  let waiting;
  if (ad.countWaiting) {
    try {
      waiting = await waitCount(() => ad.countWaiting(), started, 60_000, 50);
    } catch (e) {
      waiting = `not all waiting: ${e.message}`;
    }
  }
  await sleep(500);
  globalThis.gc?.();
  await sleep(100);
  const afterStart = memoryMB();
  // The runs sleep for an hour. Right after the start burst the process still holds what V8 grew its
  // young generation to during the burst; that is returned once allocation stays low for a few
  // seconds. Every engine gets the same settling time, and both readings are reported.
  await sleep(settleMs);
  globalThis.gc?.();
  await sleep(100);
  const after = memoryMB();
  // Beside a bulk start, the one-by-one rate (awaited startAsync calls) on a sample, after the readings.
  let oneByOne = {};
  if (ad.startSleepers && oneByOneSample) {
    const t1 = now();
    for (let i = 0; i < oneByOneSample; i++) await ad.startSleeper();
    const ms = now() - t1;
    oneByOne = { oneByOneSample, oneByOneRunsPerSec: oneByOneSample / (ms / 1000), oneByOneProjectedMs: (runs / oneByOneSample) * ms };
  }
  return {
    ...oneByOne,
    bulk: Boolean(ad.startSleepers),
    startRunsPerSec: started / (startMs / 1000),
    requested: runs,
    runs: started,
    note: started < runs ? `stopped after ${started} runs: start budget of ${startBudgetMs} ms used up` : undefined,
    startMs,
    confirmedWaiting: waiting,
    rssAfterStartMB: afterStart.rssMB,
    rssMB: after.rssMB,
    heapUsedMB: after.heapUsedMB,
    rssDeltaMB: after.rssMB - before.rssMB,
    heapDeltaMB: after.heapUsedMB - before.heapUsedMB,
    bytesPerRun: ((after.rssMB - before.rssMB) * 2 ** 20) / Math.max(1, started),
  };
}

async function scenarioF(ad, sizes) {
  const target = ad.peer ? sizes.peerRuns : sizes.runs;
  const budget = ad.peer ? sizes.peerSeedBudgetMs : sizes.seedBudgetMs;
  const inFlight = 256;
  const t0 = now();
  const deadline = t0 + budget;
  let next = 0;
  async function lane() {
    while (next < target && now() < deadline) {
      const i = next++;
      await ad.seedOne(i, `user-${i % RESOURCES}`, i % FAIL_EVERY === FAIL_EVERY - 1);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seeded = next;
  const ackMs = now() - t0;
  await waitCount(() => ad.countFinished('one'), seeded, Math.max(60_000, budget), 200);
  const seedMs = now() - t0;

  const queries = {
    firstPage: () => ad.listRuns({}),
    statusPage: () => ad.listRuns({ status: 'failed' }),
    resourcePage: () => ad.listRuns({ resourceId: 'user-7' }),
  };
  const out = {
    requested: sizes.runs,
    runs: seeded,
    note: seeded < sizes.runs ? `seeded ${seeded} runs, not ${sizes.runs} (${ad.peer ? 'peer size/budget' : 'budget'})` : undefined,
    seedMs,
    seedAckMs: ackMs,
    seedRunsPerSec: seeded / (seedMs / 1000),
  };
  for (const [name, q] of Object.entries(queries)) {
    if (!ad.listSupports || ad.listSupports(name) === true) {
      const first = await q(); // warm
      const lat = [];
      for (let i = 0; i < sizes.queries; i++) {
        const t = now();
        await q();
        lat.push(now() - t);
      }
      const r = summarize(lat);
      out[`${name}P50Ms`] = r.p50;
      out[`${name}P99Ms`] = r.p99;
      out[`${name}Rows`] = first.rows;
      out[`${name}Total`] = first.total;
    } else {
      out[`${name}P50Ms`] = ad.listSupports(name);
    }
  }
  return out;
}

// Event matching: `runs` runs wait for an event on distinct keys (weft: parked in the store, held by no
// process; DBOS: workflows blocked in DBOS.recv, addressed by a workflow id carrying the key); then
// `sends` events, one at a time, each to a random waiting key. Reported: how long a send
// takes (stored, matched against the waits through their index, delivered: one transaction), p50/p99,
// and that every addressed run went on to succeed.
async function scenarioI(ad, { runs, sends, startBudgetMs, finishTimeoutMs }) {
  const t0 = now();
  let started = 0;
  const deadline = t0 + startBudgetMs;
  while (started < runs && now() < deadline) {
    await ad.startWaiter(`k${started}`);
    started++;
  }
  await waitCount(() => ad.countWaiters(), started, finishTimeoutMs, 200);
  const seedMs = now() - t0;
  const keys = new Set();
  while (keys.size < Math.min(sends, started)) keys.add(`k${Math.floor(Math.random() * started)}`);
  const samples = [];
  for (const key of keys) {
    const t = now();
    const delivered = await ad.sendEvent(key);
    samples.push(now() - t);
    if (delivered !== 1) throw new Error(`the event for ${key} reached ${delivered} runs, not 1`);
  }
  await waitCount(() => ad.countWaitersDone(), keys.size, finishTimeoutMs, 20);
  const s = summarize(samples);
  return {
    runs: started,
    note: started < runs ? `stopped after ${started} runs: start budget of ${startBudgetMs} ms used up` : undefined,
    emulated: ad.sendNote,
    seedMs,
    sends: s.n,
    sendP50Ms: s.p50,
    sendP99Ms: s.p99,
    sendMaxMs: s.max,
  };
}

/**
 * Scenario s (weft only): runs of a workflow with `searchable: ['customerId', 'plan']`, each with a
 * customer (one of CUSTOMERS), a plan and a tag (one of TAGS), seeded through startAsync as in f; then
 * the latency of a 20-row page filtered by a customer (100 runs at 1M), a customer and a status, a
 * tag (10,000 runs at 1M: its total is counted), and a tag with a plan no run of that tag has (the
 * worst case: every run of the tag is checked and none matches).
 */
async function scenarioS(ad, sizes) {
  const inFlight = 256;
  const t0 = now();
  const deadline = t0 + sizes.seedBudgetMs;
  let next = 0;
  async function lane() {
    while (next < sizes.runs && now() < deadline) await ad.seedTagged(next++);
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seeded = next;
  await waitCount(() => ad.countFinished('tagged'), seeded, Math.max(60_000, sizes.seedBudgetMs), 200);
  const seedMs = now() - t0;
  const queries = {
    customerPage: () => ad.searchRuns({ metadata: { customerId: 'c-7' } }),
    customerStatusPage: () => ad.searchRuns({ metadata: { customerId: 'c-7' }, status: 'success' }),
    tagPage: () => ad.searchRuns({ tags: ['t-7'] }),
    tagNoMatchPage: () => ad.searchRuns({ tags: ['t-7'], metadata: { plan: 'free' } }),
  };
  const out = { requested: sizes.runs, runs: seeded, seedMs, seedRunsPerSec: seeded / (seedMs / 1000) };
  for (const [name, q] of Object.entries(queries)) {
    const first = await q(); // warm
    const lat = [];
    for (let i = 0; i < sizes.queries; i++) {
      const t = now();
      await q();
      lat.push(now() - t);
    }
    const r = summarize(lat);
    out[`${name}P50Ms`] = r.p50;
    out[`${name}P99Ms`] = r.p99;
    out[`${name}Rows`] = first.rows;
    out[`${name}Total`] = first.total;
  }
  return out;
}

/**
 * Like b, with flow control on: half the lanes run a chain with a per-key rate limit that queues
 * (limit 1,000/s per key: it never binds, so this measures what admission and the throttled claim
 * cost), the other half a chain debounced per key (each start its own burst: the run waits
 * `debounceMs`). Keys cycle through `keys` distinct values.
 */
async function scenarioJ(ad, { inFlight, warmupMs, durationMs, keys, debounceMs }) {
  let next = 0;
  const loop = async (ms) => {
    const lat = [];
    let completed = 0;
    const t0 = now();
    const deadline = t0 + ms;
    let lastEnd = t0;
    const lane = async (i) => {
      while (now() < deadline) {
        const t = now();
        await ad.runFlow(i % 2 === 0 ? 'rated' : 'debounced', `k${next++ % keys}`);
        lastEnd = now();
        lat.push(lastEnd - t);
        completed++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, i) => lane(i)));
    return { completed, elapsedMs: lastEnd - t0, lat };
  };
  await loop(warmupMs);
  const { completed, elapsedMs, lat } = await loop(durationMs);
  const r = summarize(lat);
  return {
    inFlight,
    keys,
    debounceMs,
    completedRuns: completed,
    elapsedMs,
    runsPerSec: completed / (elapsedMs / 1000),
    stepsPerSec: (completed * STEPS) / (elapsedMs / 1000),
    runP50Ms: r.p50,
    runP99Ms: r.p99,
  };
}

// One agent loop of `turns` turns, each appending a ~1 KB message to the conversation it returns. The
// store's size is measured by the harness after the engine closed (storeBytes).
async function scenarioH(ad, { turns }) {
  const t = now();
  const out = await ad.runChat(turns);
  const runMs = now() - t;
  if (!Array.isArray(out?.messages) || out.messages.length !== turns || out.messages[turns - 1]?.turn !== turns - 1) {
    throw new Error(`the chat loop returned a wrong result (${JSON.stringify(out)?.slice(0, 120)})`);
  }
  return { turns, runMs, msPerTurn: runMs / turns, finalJsonBytes: Buffer.byteLength(JSON.stringify(out)) };
}

export const SCENARIO_FNS = { a: scenarioA, b: scenarioB, c: scenarioC, d: scenarioD, e: scenarioE, f: scenarioF, h: scenarioH, i: scenarioI, j: scenarioJ, s: scenarioS };
