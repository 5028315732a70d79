// The child-process side of the bench: `node engines/<engine>.mjs --scenario b [--smoke] [--size N]`
// runs one scenario against one engine in this fresh process and prints one result line
// (`@@BENCH_RESULT {json}`; the prefix keeps library log lines on stdout from confusing the parser).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SIZES } from './sizes.mjs';
import { supportOf } from './engines.mjs';
import { SCENARIO_FNS, closedLoop } from './scenarios.mjs';
import { STEPS } from './sizes.mjs';
import { now, sleep } from './stats.mjs';
import { hooks } from './hooks.mjs';

export const RESULT_PREFIX = '@@BENCH_RESULT ';
export const READY_PREFIX = '@@BENCH_READY ';

function emit(prefix, obj) {
  process.stdout.write(prefix + JSON.stringify(obj) + '\n');
}

function errorMessage(e) {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

/**
 * @param {{ name: string, file: string, prepareStore: (ctx) => Promise<string>, createAdapter: () => object }} engine
 */
export async function runEngine(engine) {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      size: { type: 'string' },
      phase: { type: 'string' },
      store: { type: 'string' },
    },
  });
  const scenario = values.scenario;
  const sizes = { ...SIZES[values.smoke ? 'smoke' : 'full'][scenario] };
  if (values.size) Object.assign(sizes, sizeOverride(scenario, Number(values.size)));
  const base = { engine: engine.name, scenario, smoke: values.smoke };
  try {
    const support = supportOf(engine.name, scenario);
    if (support !== true) {
      emit(RESULT_PREFIX, { ...base, ok: false, unsupported: true, error: support });
      return exit(0);
    }
    if (scenario === 'g' && values.phase) {
      await recoveryPhase(engine, values.phase, values.store, sizes);
      return; // load phase never returns (it is killed); recover phase exits itself
    }
    if (scenario === 'g') {
      const metrics = await recoveryParent(engine, values, sizes);
      emit(RESULT_PREFIX, { ...base, ok: true, sizes, ...metrics });
      return exit(0);
    }
    if (scenario === 'l') {
      emit(RESULT_PREFIX, { ...base, ok: true, sizes, ...(await importTime(engine, sizes)) });
      return exit(0);
    }
    if (scenario === 'k' && values.phase === 'worker') return await scaleWorker(engine, values.store, sizes);
    if (scenario === 'k') {
      emit(RESULT_PREFIX, { ...base, ok: true, sizes, ...(await scaleOut(engine, values, sizes)) });
      return exit(0);
    }
    const fn = SCENARIO_FNS[scenario];
    if (!fn) throw new Error(`unknown scenario ${scenario}`);
    const store = await engine.prepareStore({ scenario });
    const adapter = await engine.createAdapter();
    const t0 = now();
    await adapter.init({ scenario, store, phase: 'run' });
    const initMs = now() - t0;
    const out = await fn(adapter, sizes);
    await Promise.race([adapter.close(), sleep(10_000)]);
    // What the store holds after the engine closed: files (with their -wal) or the database's size.
    if (engine.measureStore) Object.assign(out, storeMetrics(scenario, out, await engine.measureStore(store)));
    if (engine.cleanupStore) await engine.cleanupStore(store).catch(() => {});
    emit(RESULT_PREFIX, { ...base, ok: true, sizes, initMs, ...out });
    return exit(0);
  } catch (e) {
    emit(RESULT_PREFIX, { ...base, ok: false, error: errorMessage(e), stack: e?.stack });
    return exit(1);
  }
}

/** Store size metrics: scenario b per step executed, scenario h per turn. */
function storeMetrics(scenario, out, bytes) {
  const m = { storeBytes: bytes, storeMB: bytes / 1e6 };
  if (scenario === 'b' && out.completedRuns) m.bytesPerStep = bytes / (out.completedRuns * 10);
  if (scenario === 'h' && out.turns) m.bytesPerTurn = bytes / out.turns;
  return m;
}

function exit(code) {
  // Some engines keep timers or pools alive after close(); the result is printed, so leave now.
  setImmediate(() => process.exit(code));
}

function sizeOverride(scenario, n) {
  switch (scenario) {
    case 'a':
      return { runs: n };
    case 'b':
      return { durationMs: n };
    case 'd':
      return { items: n };
    default:
      return { runs: n };
  }
}

// ---- scenario g: recovery after kill -9 -------------------------------------------------------

async function recoveryParent(engine, values, sizes) {
  const store = await engine.prepareStore({ scenario: 'g' });
  const common = [engine.file, '--scenario', 'g', '--store', store, '--size', String(sizes.runs)];
  if (values.smoke) common.push('--smoke');

  // 1. load: start the runs and report when every start was acknowledged, then get killed.
  const load = spawn(process.execPath, [...common, '--phase', 'load'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let loadErr = '';
  load.stderr.on('data', (d) => (loadErr = (loadErr + d).slice(-4000)));
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    load.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)));
        if (line.startsWith(RESULT_PREFIX)) reject(new Error(JSON.parse(line.slice(RESULT_PREFIX.length)).error));
      }
    });
    load.on('exit', (code) => reject(new Error(`load phase exited (${code}) before it was ready: ${loadErr.trim().split('\n').pop() ?? ''}`)));
  });
  await sleep(sizes.killAfterMs);
  const exited = new Promise((r) => load.on('exit', r));
  load.kill('SIGKILL');
  await exited;

  // 2. recover: a fresh process on the same store; time from its spawn until every run finished.
  const t0 = now();
  const rec = spawn(process.execPath, [...common, '--phase', 'recover'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let recErr = '';
  rec.stderr.on('data', (d) => (recErr = (recErr + d).slice(-4000)));
  const result = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      rec.kill('SIGKILL');
      reject(new Error(`recovery did not finish within ${sizes.recoverTimeoutMs} ms`));
    }, sizes.recoverTimeoutMs);
    rec.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith(RESULT_PREFIX)) {
          clearTimeout(timer);
          resolve({ wallMs: now() - t0, ...JSON.parse(line.slice(RESULT_PREFIX.length)) });
        }
      }
    });
    rec.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`recover phase exited (${code}) without a result: ${recErr.trim().split('\n').pop() ?? ''}`));
    });
  });
  if (!result.ok) throw new Error(`recover phase: ${result.error}`);
  if (engine.cleanupStore) await engine.cleanupStore(store).catch(() => {});
  return {
    runs: sizes.runs,
    startedBeforeKill: ready.started,
    finishedBeforeKillAtLeast: ready.finished,
    recoveredInFreshProcess: result.recoveredHere,
    recoverMs: result.wallMs,
    recoverInProcessMs: result.doneAtMs,
    recoverInitMs: result.initMs,
  };
}

async function recoveryPhase(engine, phase, store, sizes) {
  const adapter = await engine.createAdapter();
  if (phase === 'load') {
    await adapter.init({ scenario: 'g', store, phase: 'load' });
    for (let i = 0; i < sizes.runs; i++) await adapter.startSlow(sizes.stepDelayMs);
    emit(READY_PREFIX, { started: sizes.runs, finished: hooks.lastSteps });
    setInterval(() => {}, 1 << 30); // stay alive until killed
    return;
  }
  // recover
  const t0 = now();
  await adapter.init({ scenario: 'g', store, phase: 'recover' });
  const initMs = now() - t0;
  if (adapter.recover) await adapter.recover();
  for (;;) {
    const done = await adapter.countSucceeded('slow');
    if (done >= sizes.runs) break;
    await sleep(20);
  }
  const doneAtMs = performance.now(); // since this process started (includes module loading)
  emit(RESULT_PREFIX, { ok: true, initMs, doneAtMs, recoveredHere: hooks.lastSteps });
  exit(0);
}

// ---- scenario i: import time ------------------------------------------------------------------

/** The engine's entry module imported in fresh processes (nothing else loaded first); ms, median. */
async function importTime(engine, { repeats }) {
  let spec = engine.importSpecifier;
  if (process.env.WEFT_DIST && engine.name.startsWith('weft-')) spec = new URL(process.env.WEFT_DIST, `file://${process.cwd()}/`).href;
  const code = `const t = performance.now(); await import(${JSON.stringify(spec)}); process.stdout.write(String(performance.now() - t));`;
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      let err = '';
      child.stdout.on('data', (d) => (buf += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (c) => (c === 0 ? resolve(buf) : reject(new Error(`import of ${spec} failed: ${err.trim().split('\n').pop()}`))));
    });
    times.push(Number(out));
  }
  times.sort((a, b) => a - b);
  return { importSpecifier: spec.replace(/^file:.*\/dist\//, 'dist/'), importMs: times[Math.floor(times.length / 2)], importMinMs: times[0], repeats };
}

// ---- scenario k: b with several worker processes on one store -----------------------------------

async function scaleOut(engine, values, sizes) {
  const store = await engine.prepareStore({ scenario: 'k' });
  const out = {};
  for (const n of sizes.workers) {
    const args = [engine.file, '--scenario', 'k', '--phase', 'worker', '--store', store];
    if (values.smoke) args.push('--smoke');
    const kids = Array.from({ length: n }, () => spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
    const messages = kids.map((k) => {
      let err = '';
      k.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
      const queue = [];
      let wake = null;
      k.on('message', (m) => (queue.push(m), wake?.()));
      k.on('exit', (code) => (queue.push({ exited: code, err }), wake?.()));
      return async () => {
        while (!queue.length) await new Promise((r) => (wake = r));
        const m = queue.shift();
        if (m.exited !== undefined) throw new Error(`a worker exited (${m.exited}): ${m.err.trim().split('\n').pop() ?? ''}`);
        if (m.error) throw new Error(`a worker failed: ${m.error}`);
        return m;
      };
    });
    try {
      await Promise.all(messages.map((next) => next())); // every worker warmed up
      for (const k of kids) k.send('go');
      const results = await Promise.all(messages.map((next) => next()));
      const perWorker = results.map((r) => (r.completed * STEPS) / (r.elapsedMs / 1000));
      out[`workers${n}StepsPerSec`] = perWorker.reduce((a, b) => a + b, 0);
      out[`workers${n}PerWorker`] = perWorker.map((v) => Math.round(v));
    } finally {
      for (const k of kids) k.kill('SIGKILL');
    }
  }
  if (engine.cleanupStore) await engine.cleanupStore(store).catch(() => {});
  const one = out.workers1StepsPerSec;
  for (const n of sizes.workers) if (one) out[`workers${n}OverOne`] = out[`workers${n}StepsPerSec`] / one;
  return out;
}

async function scaleWorker(engine, store, sizes) {
  try {
    const adapter = await engine.createAdapter();
    await adapter.init({ scenario: 'b', store, phase: 'run' });
    await closedLoop(adapter, sizes.inFlight, sizes.warmupMs);
    process.send({ ready: true });
    await new Promise((r) => process.once('message', r));
    const { completed, elapsedMs } = await closedLoop(adapter, sizes.inFlight, sizes.durationMs);
    process.send({ completed, elapsedMs });
    await Promise.race([adapter.close(), sleep(5000)]);
  } catch (e) {
    process.send({ error: errorMessage(e) });
  }
  exit(0);
}
