#!/usr/bin/env node
// weft-only measurement of two things the dashboard and `weft runs ... --status` lean on, on a real
// SQLite file: (1) a listing page deep into many runs, by offset (`page`) and by cursor; (2) a bulk
// cancel's throughput over thousands of suspended runs. Needs `npm run build` first.
//
//   node bench/bulk-and-listing.mjs [--runs 100000] [--bulk 5000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100000' }, bulk: { type: 'string', default: '5000' } } });
const RUNS = Number(values.runs);
const BULK = Number(values.bulk);
const lib = await import(new URL('../dist/index.js', import.meta.url));
const { z } = await import('zod');
const { Weft, createStep, createWorkflow, sqliteStore } = lib;

const ask = createStep({
  id: 'ask',
  inputSchema: z.object({ n: z.number() }),
  outputSchema: z.object({ ok: z.boolean() }),
  resumeSchema: z.object({ ok: z.boolean() }),
  execute: async ({ resumeData, suspend }) => (resumeData ? { ok: resumeData.ok } : suspend({})),
});
const hold = createWorkflow({ id: 'hold', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ ok: z.boolean() }) }).then(ask).commit();

const dir = mkdtempSync(join(tmpdir(), 'weft-bulk-bench-'));
const store = sqliteStore({ path: join(dir, 'weft.db') });
const weft = new Weft({ store, workflows: { hold } });
await weft.start();

// Seed: RUNS pending runs straight through the store (no execution), then BULK suspended ones.
const t0 = performance.now();
for (let i = 0; i < RUNS; i += 1000) {
  await Promise.all(Array.from({ length: Math.min(1000, RUNS - i) }, (_, j) => store.createRun({ runId: `seed-${String(i + j).padStart(8, '0')}`, workflowId: 'other', status: 'pending', resourceId: null, input: '{}', state: '{}', requestContext: null, tracing: null, owner: null, leaseExpiresAt: null, priority: 0, concurrencyKey: null, options: null, now: Date.now() - RUNS + i + j })));
}
const seedMs = performance.now() - t0;

const time = async (fn, n = 20) => {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
  }
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(n / 2)].toFixed(2), p99: xs[n - 1].toFixed(2) };
};
const deepPage = Math.floor(RUNS / 25) - 2;
const byOffset = await time(() => weft.listRuns({ workflowId: 'other', perPage: 25, page: deepPage }));
const near = await weft.listRuns({ workflowId: 'other', perPage: 25, page: deepPage - 1 });
const byCursor = await time(() => weft.listRuns({ workflowId: 'other', perPage: 25, cursor: near.nextCursor }));
const firstPage = await time(() => weft.listRuns({ workflowId: 'other', perPage: 25 }));
const prefix = await time(() => weft.listRuns({ runIdPrefix: `seed-000${String(Math.floor(RUNS / 2)).slice(0, 2)}`, perPage: 25 }));

const wf = weft.getWorkflow('hold');
for (let i = 0; i < BULK; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, BULK - i) }, async (_, j) => (await wf.createRun()).startAsync({ inputData: { n: i + j } })));
}
while ((await weft.listRuns({ workflowId: 'hold', status: 'suspended' })).total < BULK) await new Promise((r) => setTimeout(r, 50));
const b0 = performance.now();
const res = await weft.bulk({ action: 'cancel', filter: { workflowId: 'hold' } }).done;
const bulkMs = performance.now() - b0;

console.log(JSON.stringify({
  store: 'sqlite (file)',
  runs: RUNS,
  seedMs: Math.round(seedMs),
  listFirstPageMs: firstPage,
  [`listPage${deepPage}ByOffsetMs`]: byOffset,
  [`listPage${deepPage}ByCursorMs`]: byCursor,
  listByIdPrefixMs: prefix,
  bulkCancel: { runs: res.succeeded, ms: Math.round(bulkMs), runsPerSec: Math.round((res.succeeded / bulkMs) * 1000) },
}, null, 2));
await weft.stop();
rmSync(dir, { recursive: true, force: true });
