/**
 * @mastra/client-js 1.47 against a real `weft serve` (the built CLI, on SQLite and on PostgreSQL),
 * with every answer compared to a real Mastra server's for the same workflows and calls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MastraClient } from '@mastra/client-js';
import { covers } from '../lib/compare.mjs';
import { DIFFERENCES } from '../lib/differences.mjs';
import { createDatabase } from '../lib/pg.mjs';
import { startMastra, startWeft, tempDir, waitFor } from '../lib/procs.mjs';
import { normalise, readAll, runScenario, statusOf } from '../lib/scenario.mjs';

let mastraAnswers;
before(async () => {
  const mastra = await startMastra();
  try {
    mastraAnswers = await runScenario(mastra.url);
  } finally {
    await mastra.stop();
  }
}, { timeout: 120_000 });

const STORES = [
  ['SQLite', async () => {
    const tmp = tempDir('weft-compat-');
    return { store: { kind: 'sqlite', path: `${tmp.dir}/weft.db` }, cleanup: async () => tmp.remove() };
  }],
  ['PostgreSQL', async () => {
    const db = await createDatabase();
    return { store: { kind: 'postgres', url: db.url }, cleanup: () => db.drop() };
  }],
];

for (const [name, makeStore] of STORES) {
  describe(`client-js against weft serve on ${name}`, { timeout: 180_000 }, () => {
    let weft;
    let cleanup;
    let answers;
    before(async () => {
      const s = await makeStore();
      cleanup = s.cleanup;
      weft = await startWeft({ store: s.store });
      answers = await runScenario(weft.url);
    });
    after(async () => {
      await weft?.stop();
      await cleanup?.();
    });

    it('answers every call of the scenario as Mastra does (documented differences aside)', () => {
      const mismatches = Object.keys(mastraAnswers).flatMap((k) => covers(mastraAnswers[k], answers[k], DIFFERENCES, k));
      assert.deepEqual(mismatches, []);
    });

    it('gives the results the workflows compute', () => {
      assert.deepEqual(answers.listWorkflows, ['approval', 'math', 'slow']);
      assert.equal(answers.startAsync.status, 'success');
      assert.deepEqual(answers.startAsync.result, { n: 6 });
      assert.deepEqual(answers.stream.map((c) => c.type), ['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish']);
      assert.deepEqual(answers.stream.at(-1).payload.finalWorkflowResult, { n: 12 });
      assert.deepEqual(answers.startAsyncSuspended.suspendPayload, { ask: { question: 'greet ann?' } });
      assert.deepEqual(answers.resumeAsync.result, { greeting: 'hello ann' });
      assert.equal(answers.streamSuspended.at(-1).payload.workflowStatus, 'suspended');
      assert.deepEqual(answers.resumeStream.at(-1).payload.finalWorkflowResult, { greeting: 'no' });
      assert.deepEqual(answers.start, { message: 'Workflow run started' });
      assert.deepEqual(answers.resume, { message: 'Workflow run resumed' });
      assert.deepEqual(answers.cancel, { message: 'Workflow run cancelled' });
      assert.deepEqual(answers.runByIdCanceled, { status: 'canceled' });
      assert.equal(answers.countsRunning.running, 1);
      assert.deepEqual(answers.delete, { message: 'Workflow run deleted' });
      assert.equal(answers.runByIdDeleted, 404);
      assert.equal(answers.detailsUnknown, 404);
      assert.equal(answers.invalidInput, 400);
      assert.equal(answers.runs.total, 2);
      assert.equal(answers.runsPaged.runs.length, 1);
      assert.deepEqual(answers.runByIdFields, { runId: '<id>', workflowName: 'approval', createdAt: '<date>', updatedAt: '<date>', status: 'success', result: { greeting: 'hello di' } });
      assert.deepEqual(answers.countsAfter.approval, { running: 0, suspended: 0 });
    });

    it('serves the workflow schemas as JSON Schema strings that client-js parses', () => {
      assert.deepEqual(answers.schema.inputSchema, { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false });
      assert.equal(typeof answers.details.steps.ask.resumeSchema, 'string');
      assert.equal(answers.details.stepGraph[0].step.canSuspend, true);
    });

    it('replays a finished run with observe(), from an offset too', async () => {
      const client = new MastraClient({ baseUrl: weft.url, retries: 0 });
      const run = await client.getWorkflow('math').createRun();
      const live = normalise(await readAll(await run.stream({ inputData: { n: 1 } })));
      const replay = normalise(await readAll(await run.observe()));
      assert.deepEqual(replay.map((c) => c.type), live.map((c) => c.type));
      assert.deepEqual(replay.at(-1), live.at(-1));
      const tail = await readAll(await run.observe({ offset: 3 }));
      assert.deepEqual(tail.map((c) => c.type), live.slice(3).map((c) => c.type));
    });

    it('follows a running run with observe() until it finishes', async () => {
      const client = new MastraClient({ baseUrl: weft.url, retries: 0 });
      const slow = client.getWorkflow('slow');
      const run = await slow.createRun();
      await run.start({ inputData: { ms: 300 } });
      const chunks = await readAll(await run.observe());
      assert.equal(chunks.at(-1).type, 'workflow-finish');
      assert.equal(chunks.at(-1).payload.workflowStatus, 'success');
    });

    it('refuses to stream a finished run again (409), like Mastra', async () => {
      const client = new MastraClient({ baseUrl: weft.url, retries: 0 });
      const run = await client.getWorkflow('math').createRun();
      await run.startAsync({ inputData: { n: 1 } });
      assert.equal(await statusOf(run.stream({ inputData: { n: 1 } })), 409);
    });

    it('keeps the resource id given to createRun for the run that starts', async () => {
      const client = new MastraClient({ baseUrl: weft.url, retries: 0 });
      const math = client.getWorkflow('math');
      const run = await math.createRun({ resourceId: 'user-7' });
      await run.start({ inputData: { n: 1 } });
      await waitFor('the run to finish', async () => (await math.runById(run.runId)).status === 'success');
      assert.equal((await math.runById(run.runId)).resourceId, 'user-7');
      assert.equal((await math.runs({ resourceId: 'user-7' })).total, 1);
    });
  });
}
