import { setDefaultRuntimeProvider } from '../define/runtime.js';
import { memoryStore } from '../store/memory/memory-store.js';
import { Weft } from './weft.js';

let engine: Weft | undefined;

/**
 * The process-wide in-memory engine used by workflows that were never registered with a Weft, as in
 * Mastra without storage. Sleeps stay in-process timers there, and its timers do not keep the
 * process alive; nothing it holds survives the process. This is the one documented singleton.
 */
export function defaultEngine(): Weft {
  engine ??= new Weft({ store: memoryStore(), inProcessSleepMs: Infinity, worker: { concurrency: 100_000 } });
  return engine;
}

setDefaultRuntimeProvider(defaultEngine);
