/**
 * One scenario of @mastra/client-js calls, run unchanged against weft and against a real Mastra
 * server. It returns what each call answered, normalised (ids, timestamps and dates replaced by
 * placeholders), so the two servers' answers can be compared field by field. It waits for runs to
 * reach a state by polling the server, never by sleeping.
 */
import { MastraClient } from '@mastra/client-js';
import { waitFor } from './procs.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function normalise(v) {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  if (typeof v === 'string' && UUID.test(v)) return '<id>';
  if (typeof v === 'string' && ISO.test(v)) return '<date>';
  if (typeof v === 'number' && v > 1e12) return '<ts>';
  return v;
}

export async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

/** The HTTP status of a failed client-js call (MastraClientError carries it). */
export async function statusOf(promise) {
  try {
    await promise;
    return 200;
  } catch (err) {
    return err.status ?? `error: ${err.message}`;
  }
}

export async function runScenario(baseUrl, clientOptions = {}) {
  const client = new MastraClient({ baseUrl, retries: 0, ...clientOptions });
  const out = {};
  const statusIs = (wf, runId, status) => waitFor(`run ${runId} ${status}`, async () => (await wf.runById(runId)).status === status);

  out.listWorkflows = Object.keys(await client.listWorkflows()).sort();
  out.details = await client.getWorkflow('approval').details();
  out.schema = await client.getWorkflow('math').getSchema();
  out.countsBefore = await client.listWorkflowRunCounts();

  const math = client.getWorkflow('math');
  const r1 = await math.createRun();
  out.createRunId = typeof r1.runId;
  out.startAsync = await r1.startAsync({ inputData: { n: 2 } });
  const r2 = await math.createRun();
  out.stream = await readAll(await r2.stream({ inputData: { n: 5 } }));

  const approval = client.getWorkflow('approval');
  const r3 = await approval.createRun();
  out.startAsyncSuspended = await r3.startAsync({ inputData: { name: 'ann' } });
  out.runByIdSuspended = await approval.runById(r3.runId);
  out.resumeAsync = await r3.resumeAsync({ step: 'ask', resumeData: { approved: true } });

  const r4 = await approval.createRun();
  out.streamSuspended = await readAll(await r4.stream({ inputData: { name: 'bob' } }));
  out.resumeStream = await readAll(await r4.resumeStream({ step: 'ask', resumeData: { approved: false } }));

  const r5 = await approval.createRun();
  out.start = await r5.start({ inputData: { name: 'cy' } });
  await statusIs(approval, r5.runId, 'suspended');
  out.resumeNoWait = normalise(await r5.resumeNoWait({ step: 'ask', resumeData: { approved: true } }));
  await statusIs(approval, r5.runId, 'success');

  const r6 = await approval.createRun();
  await r6.startAsync({ inputData: { name: 'di' } });
  out.resume = await r6.resume({ step: 'ask', resumeData: { approved: true } });
  await statusIs(approval, r6.runId, 'success');
  out.runById = await approval.runById(r6.runId);
  out.runByIdFields = await approval.runById(r6.runId, { fields: ['result'] });
  out.runByIdNoNested = await approval.runById(r6.runId, { withNestedWorkflows: false });

  const slow = client.getWorkflow('slow');
  const r7 = await slow.createRun();
  out.startSlow = await r7.start({ inputData: { ms: 30_000 } });
  await waitFor('the wait step to start', async () => (await slow.runById(r7.runId)).steps?.wait?.status === 'running');
  out.countsRunning = (await client.listWorkflowRunCounts()).slow;
  out.cancel = await r7.cancel();
  await statusIs(slow, r7.runId, 'canceled');
  out.runByIdCanceled = { status: (await slow.runById(r7.runId)).status };

  out.runs = await math.runs();
  out.runsPaged = await math.runs({ page: 0, perPage: 1 });
  out.runsLimit = await math.runs({ limit: 1, offset: 1 });
  out.runsSuccess = (await approval.runs({ status: 'success' })).total;
  out.runsSuspended = (await approval.runs({ status: 'suspended' })).total;

  out.delete = await math.deleteRunById(r1.runId);
  out.runByIdDeleted = await statusOf(math.runById(r1.runId));
  out.detailsUnknown = await statusOf(client.getWorkflow('nope').details());
  out.invalidInput = await statusOf((async () => (await math.createRun()).startAsync({ inputData: { n: 'x' } }))());
  out.resumeUnknownRun = await statusOf((async () => (await approval.createRun({ runId: 'no-such-run' })).resumeAsync({ step: 'ask', resumeData: {} }))());
  out.countsAfter = await client.listWorkflowRunCounts();
  return normalise(out);
}
