import { setDefaultRuntimeProvider, type WorkflowRuntime } from '../define/runtime.js';
import { memoryStore } from '../store/memory/memory-store.js';
import { DEFAULT_ENGINE_KEY, type WeftOptions } from './options.js';
import { Weft } from './weft.js';

let engine: { weft: Weft; runtime: WorkflowRuntime } | undefined;

/**
 * The process-wide in-memory engine used by workflows that were never registered with a Weft, as in
 * Mastra without storage. Sleeps stay in-process timers there, and its timers do not keep the
 * process alive; nothing it holds survives the process. This is the one documented singleton.
 */
function defaultEngine(): { weft: Weft; runtime: WorkflowRuntime } {
  if (!engine) {
    let runtime: WorkflowRuntime | undefined;
    const opts: WeftOptions = { store: memoryStore(), inProcessSleepMs: Infinity, worker: { concurrency: 100_000 } };
    (opts as { [DEFAULT_ENGINE_KEY]?: (rt: WorkflowRuntime) => void })[DEFAULT_ENGINE_KEY] = (rt) => (runtime = rt);
    const weft = new Weft(opts);
    engine = { weft, runtime: runtime! };
  }
  return engine;
}

setDefaultRuntimeProvider(() => defaultEngine().runtime);
