// One of several client processes starting runs of the 'limits' set at the same time (DRIVER_ID tells
// them apart). Prints `sent <json>` with what each start returned, then exits.
import { existsSync } from 'node:fs';
import { pollUntil } from '../support/child-wait.mjs';

export async function drive(weft, say) {
  const me = Number(process.env.DRIVER_ID);
  // All drivers begin together: the test creates the go file once every one of them is ready.
  await pollUntil(() => existsSync(`${process.env.LEDGER_DIR}/go`), 10);
  const rounds = Number(process.env.ROUNDS ?? 1);
  const out = { throttled: [], rated: [], debounced: [], single: [], batched: [], idem: [] };
  const start = async (id, input, opts = {}) => {
    const run = await weft.getWorkflow(id).createRun({ runId: `${id}-${me}-${input.n}` });
    const { runId } = await run.startAsync({ inputData: input, ...opts });
    out[id].push({ n: input.n, runId });
  };
  for (let r = 0; r < rounds; r++) {
    // n is unique across drivers and rounds, so every start can be traced to the run that carried it.
    const base = me * 100_000 + r * 1000;
    const jobs = [];
    // 8 keys, 5 starts each per driver, sent first and well within the 5 s quiet period: one run per key.
    for (let i = 0; i < 40; i++) jobs.push(start('debounced', { k: `d${r}-${i % 8}`, n: base + i }));
    // 4 customers x 6 throttled runs per driver: 24 per customer over 4 drivers, 5 per second each.
    for (let i = 0; i < 24; i++) jobs.push(start('throttled', { k: `c${i % 4}`, n: base + i }));
    // 30 starts per driver against one key limited to 10 per 2 s: most are skipped.
    for (let i = 0; i < 30; i++) jobs.push(start('rated', { k: 'all', n: base + i }));
    // 20 starts per driver on 2 keys: at most one live run per key.
    for (let i = 0; i < 20; i++) jobs.push(start('single', { k: `s${i % 2}`, n: base + i }));
    // 25 items per driver into batches of at most 10.
    for (let i = 0; i < 25; i++) jobs.push(start('batched', { k: 'b', n: base + i }));
    // The same 20 idempotency keys from every driver: 20 runs in all.
    for (let i = 0; i < 20; i++) jobs.push(start('idem', { k: 'i', n: base + i }, { idempotencyKey: `order-${r}-${i}` }));
    await Promise.all(jobs);
  }
  say(`sent ${JSON.stringify(out)}`);
}
