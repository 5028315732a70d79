// Scenario j (weft's declared flow control) has no counterpart to compare on the peers: Mastra's
// rateLimit/throttle/debounce exist only on its Inngest engine, and DBOS's queue rate limits are not
// per-key debounce; their adapters do not implement it.
const MASTRA_J = 'unsupported: Mastra has rate limits and debounce only on its Inngest engine';
const DBOS_J = 'unsupported: not implemented in the DBOS adapter (DBOS queues rate-limit, but have no per-key debounce)';

// Static facts about each engine, read by the orchestrator without loading the engine.
// `supports[s]` is true, or a string saying why the scenario is not run on that engine.
export const ENGINES = [
  { name: 'weft-memory', peer: false, durable: false, supports: { g: 'unsupported: in-memory store does not survive kill -9', k: 'unsupported: scale-out is measured on weft-postgres only' } },
  { name: 'weft-sqlite', peer: false, durable: true, supports: { k: 'unsupported: scale-out is measured on weft-postgres only' } },
  { name: 'weft-postgres', peer: false, durable: true, supports: {} },
  { name: 'mastra-memory', peer: true, durable: false, supports: { g: 'unsupported: in-memory store does not survive kill -9', j: MASTRA_J, s: 'unsupported: no indexed run metadata or tags to filter on', i: 'unsupported: Mastra 1.x removed waitForEvent', k: 'unsupported: scale-out is measured on weft-postgres only' } },
  { name: 'mastra-libsql', peer: true, durable: true, supports: { j: MASTRA_J, s: 'unsupported: no indexed run metadata or tags to filter on', i: 'unsupported: Mastra 1.x removed waitForEvent', k: 'unsupported: scale-out is measured on weft-postgres only' } },
  { name: 'dbos', peer: true, durable: true, supports: { h: 'not run: the benchmark has no DBOS version of the agent loop', j: DBOS_J, s: 'unsupported: no indexed run metadata or tags to filter on', k: 'unsupported: scale-out is measured on weft-postgres only' } },
];

export const SCENARIOS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 's'];

export const SCENARIO_TITLES = {
  a: '10-step sequential workflow, one run at a time',
  b: '10-step workflow, 100 runs in flight',
  c: 'startAsync burst',
  d: 'foreach, concurrency 50',
  e: 'sleeping runs: process memory',
  f: 'listWorkflowRuns over many finished runs',
  g: 'recovery after kill -9',
  h: 'agent loop: 600 turns, +1 KB per turn',
  i: 'events: one event matched among many waiting runs',
  j: '10-step workflows with a keyed rate limit (queue) or debounce, 100 runs in flight over 10,000 keys',
  k: 'b with 1, 2, 4 worker processes on one PostgreSQL',
  l: 'import time of the library',
  s: 'search: listings filtered by tags and searchable metadata over many runs',
};

export function supportOf(engine, scenario) {
  const e = ENGINES.find((x) => x.name === engine);
  if (!e) return `unknown engine ${engine}`;
  return e.supports[scenario] ?? true;
}
