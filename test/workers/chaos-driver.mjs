// Driver for the chaos test, run in a pure client process (worker: false): starts TOTAL runs of the
// chaos workflows in bursts, resumes suspended runs from this process, and returns when every run is
// terminal. Prints `created <n>` and `done`.
import { CHAOS_ORDER } from './workflows.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function drive(weft, say) {
  const total = Number(process.env.TOTAL ?? 2000);
  const spreadMs = Number(process.env.SPREAD_MS ?? 12_000);
  const burst = 40;
  const started = Date.now();
  let next = 0;
  let lastResume = 0;
  for (;;) {
    if (next < total) {
      const due = Math.min(total, Math.ceil(((Date.now() - started) / spreadMs) * total) + burst);
      const batch = [];
      for (; next < due; next++) {
        const i = next;
        const wf = weft.getWorkflow(CHAOS_ORDER[i % CHAOS_ORDER.length]);
        batch.push(wf.createRun({ runId: `r-${i}` }).then((run) => run.startAsync({ inputData: { n: i } })));
      }
      await Promise.all(batch);
      if (next >= total) say(`created ${total}`);
    }
    if (Date.now() - lastResume > 200) {
      lastResume = Date.now();
      const sus = weft.getWorkflow('sus');
      const { runs } = await sus.listWorkflowRuns({ status: 'suspended', perPage: 500 });
      await Promise.all(
        runs.map(async (r) => {
          const run = await sus.createRun({ runId: r.runId });
          await run.resumeAsync({ step: 'approve', resumeData: { ok: true } }).catch(() => {});
        }),
      );
      if (next >= total) {
        const { total: finished } = await weft.listRuns({ status: ['success', 'failed', 'canceled'], perPage: 1 });
        if (finished >= total) break;
      }
    }
    await sleep(50);
  }
  say('done');
}
