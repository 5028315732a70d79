// Static facts about each engine, read by the orchestrator without loading the engine.
// `supports[s]` is true, or a string saying why the scenario is not run on that engine.
export const ENGINES = [
  { name: 'weft-memory', peer: false, durable: false, supports: { g: 'unsupported: in-memory store does not survive kill -9' } },
  { name: 'weft-sqlite', peer: false, durable: true, supports: {} },
  { name: 'weft-postgres', peer: false, durable: true, supports: {} },
  { name: 'mastra-memory', peer: true, durable: false, supports: { g: 'unsupported: in-memory store does not survive kill -9' } },
  { name: 'mastra-libsql', peer: true, durable: true, supports: {} },
  { name: 'dbos', peer: true, durable: true, supports: { h: 'not run: the benchmark has no DBOS version of the agent loop' } },
];

export const SCENARIOS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

export const SCENARIO_TITLES = {
  a: '10-step sequential workflow, one run at a time',
  b: '10-step workflow, 100 runs in flight',
  c: 'startAsync burst',
  d: 'foreach, concurrency 50',
  e: 'sleeping runs: process memory',
  f: 'listWorkflowRuns over many finished runs',
  g: 'recovery after kill -9',
  h: 'agent loop: 600 turns, +1 KB per turn',
};

export function supportOf(engine, scenario) {
  const e = ENGINES.find((x) => x.name === engine);
  if (!e) return `unknown engine ${engine}`;
  return e.supports[scenario] ?? true;
}
