#!/usr/bin/env node
// weft-only benchmark of `weft check` (issue 16's target: 100,000 unfinished runs checked in under
// 10 s on SQLite). Seeds a SQLite file with N suspended runs of a plan → approve (suspends) → execute
// workflow, each with its journal, through the store API, then times weft.check() in three cases:
//
//   same       the deployed code is the definition the runs started on: no journal is read
//   compatible another version with the same steps: every journal is read in bulk and fitted
//   renamed    the new code renamed the first step: every run diverges and is listed
//
//   node bench/check.mjs [--runs 100000] [--page 2000]      (after `npm run build`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100000' }, page: { type: 'string', default: '2000' } } });
const N = Number(values.runs);
const PAGE = Number(values.page);
const dist = process.env.WEFT_DIST ?? new URL('../dist/', import.meta.url).href;
const { Weft, createStep, createWorkflow, sqliteStore } = await import(`${dist}index.js`);
const { fingerprintOf } = await import(`${dist}engine/fingerprint.js`);

const any = { '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value }) } };
const step = (id, suspend = false) =>
  createStep({ id, inputSchema: any, outputSchema: any, resumeSchema: any, execute: async ({ inputData, resumeData, suspend: pause }) => (suspend && !resumeData ? pause({}) : inputData) });
const deploy = (version, plan) =>
  createWorkflow({ id: 'deploy', version, inputSchema: any, outputSchema: any }).then(step(plan)).then(step('approve-plan', true)).then(step('execute')).commit();

const v1 = deploy(1, 'plan');
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-check-'));
const path = join(dir, 'weft.db');

async function seed() {
  const store = sqliteStore({ path });
  await store.open();
  const fingerprint = fingerprintOf(v1);
  const t0 = performance.now();
  const BATCH = 1000;
  for (let i = 0; i < N; i += BATCH) {
    const now = Date.now();
    const runs = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      runs.push({ runId: `run-${String(j).padStart(7, '0')}`, workflowId: 'deploy', status: 'running', resourceId: null, input: '{"n":1}', state: '{}',
        requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: 'seed', leaseExpiresAt: now + 60_000, now, fingerprint });
    }
    await store.createRuns(runs);
    const ops = [];
    for (const r of runs) {
      const row = (path, status, output) => ({ runId: r.runId, path, kind: 'step', status, attempt: 1, input: '{"n":1}', output, error: null, meta: status === 'suspended' ? '{"suspendPayload":{}}' : null, startedAt: now, endedAt: status === 'success' ? now : null });
      ops.push({ type: 'journal', epoch: 1, entry: row('plan', 'success', '{"n":1}') });
      ops.push({ type: 'journal', epoch: 1, entry: row('approve-plan', 'suspended', null) });
      ops.push({ type: 'run', runId: r.runId, epoch: 1, patch: { status: 'suspended', release: true }, now });
    }
    await store.write(ops);
  }
  await store.close();
  return (performance.now() - t0) / 1000;
}

async function timeCheck(name, wf) {
  const weft = new Weft({ workflows: { deploy: wf }, store: sqliteStore({ path }), worker: false });
  await weft.start();
  const t0 = performance.now();
  const report = await weft.check({ pageSize: PAGE });
  const s = (performance.now() - t0) / 1000;
  await weft.stop();
  const line = { case: name, runs: report.runs, continues: report.continues, diverges: report.diverges, seconds: Number(s.toFixed(3)), runsPerSec: Math.round(report.runs / s) };
  console.log(JSON.stringify(line));
  if (report.runs !== N) throw new Error(`${name}: checked ${report.runs} runs, seeded ${N}`);
  return line;
}

try {
  const seeded = await seed();
  console.log(JSON.stringify({ seeded: N, seconds: Number(seeded.toFixed(1)) }));
  const results = [await timeCheck('same', v1), await timeCheck('compatible', deploy(2, 'plan')), await timeCheck('renamed', deploy(3, 'make-plan'))];
  const worst = Math.max(...results.map((r) => r.seconds));
  console.log(`worst case: ${worst} s for ${N} unfinished runs (target: under 10 s for 100,000)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
