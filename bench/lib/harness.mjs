// The child-process side of the bench: `node engines/<engine>.mjs --scenario b [--smoke] [--size N]`
// runs one scenario against one engine in this fresh process and prints one result line
// (`@@BENCH_RESULT {json}`; the prefix keeps library log lines on stdout from confusing the parser).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SIZES } from './sizes.mjs';
import { supportOf } from './engines.mjs';
import { SCENARIO_FNS } from './scenarios.mjs';
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
