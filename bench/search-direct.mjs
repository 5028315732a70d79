// Search latency at scale, measured on the store directly (docs/performance.md, "Search"): seeds N
// labelled runs with Store.createRuns (or opens a file seeded by bench scenario s), then times the
// listings of scenario s. The engine path (scenario s) also pays for executing every run; this one
// measures the index alone, at sizes the engine path takes too long to seed on a busy machine.
//   node bench/search-direct.mjs --store sqlite|postgres [--runs 1000000] [--file path] [--queries 50]
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { postgresStore, sqliteStore } from '../dist/index.js';

const { values } = parseArgs({ options: { store: { type: 'string' }, runs: { type: 'string' }, file: { type: 'string' }, queries: { type: 'string' } } });
const N = Number(values.runs ?? 1_000_000);
const Q = Number(values.queries ?? 50);
const CUSTOMERS = 10_000;
const TAGS = 100;
const label = (...parts) => JSON.stringify(parts);
const url = process.env.WEFT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `weft_search_direct_${process.pid}`;
const path = values.file ?? join(tmpdir(), `weft-search-direct-${process.pid}.db`);
const store = values.store === 'postgres' ? postgresStore({ connectionString: url, schema }) : sqliteStore({ path });
await store.open();

if (!values.file) {
  const t0 = performance.now();
  const base = Date.now() - N;
  for (let b = 0; b < N; b += 1000) {
    const runs = [];
    for (let i = b; i < Math.min(N, b + 1000); i++) {
      const labels = [label('m', 'customerId', `c-${i % CUSTOMERS}`), label('m', 'plan', i % 2 === 1 ? 'pro' : 'free'), label('t', `t-${i % TAGS}`)];
      // Every 100th run failed, the rest succeeded: created settled, as finished runs are listed.
      runs.push({ runId: `run-${i}`, workflowId: 'tagged', status: 'pending', resourceId: null, input: `{"n":${i}}`, state: '{}', requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: null, leaseExpiresAt: null, now: base + i, labels: JSON.stringify(labels) });
    }
    await store.createRuns(runs);
  }
  console.log(`seeded ${N} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (values.store === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`UPDATE "${schema}".runs SET status = CASE WHEN right(id, 2) = '99' THEN 'failed' ELSE 'success' END`);
    await c.query(`VACUUM ANALYZE "${schema}".runs`);
    await c.query(`VACUUM ANALYZE "${schema}".run_labels`);
    await c.end();
  }
}

const queries = {
  customerPage: { workflowId: 'tagged', labels: [label('m', 'customerId', 'c-7')] },
  customerStatusPage: { workflowId: 'tagged', labels: [label('m', 'customerId', 'c-7')], status: values.store === 'postgres' ? 'success' : 'pending' },
  tagPage: { workflowId: 'tagged', labels: [label('t', 't-7')] },
  tagNoMatchPage: { workflowId: 'tagged', labels: [label('t', 't-7'), label('m', 'plan', 'free')] },
  tagAnyWorkflowPage: { labels: [label('t', 't-7')] },
};
const total = (await store.listRuns({ perPage: 1 })).total;
console.log(`store: ${values.store}, runs stored: ${total}`);
for (const [name, f] of Object.entries(queries)) {
  const first = await store.listRuns({ ...f, perPage: 20 });
  const lat = [];
  for (let i = 0; i < Q; i++) {
    const t = performance.now();
    await store.listRuns({ ...f, perPage: 20 });
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
  console.log(`${name.padEnd(20)} rows ${String(first.runs.length).padStart(2)} total ${String(first.total).padStart(7)}  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
}
await store.close();
if (values.store === 'postgres') {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
} else if (!values.file) rmSync(path, { force: true });
