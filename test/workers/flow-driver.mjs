// Starts 500 runs of 'limited' over 10 customers, then waits until all are terminal.
import { pollUntil } from '../support/child-wait.mjs';

export async function drive(weft, say) {
  const wf = weft.getWorkflow('limited');
  const total = 500;
  for (let i = 0; i < total; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const n = i + j;
        const run = await wf.createRun({ runId: `f-${n}` });
        await run.startAsync({ inputData: { customer: `c${n % 10}`, n } });
      }),
    );
  }
  say('created');
  await pollUntil(async () => (await weft.listRuns({ status: ['success', 'failed', 'canceled'], perPage: 1 })).total >= total, 100);
  say('done');
}
