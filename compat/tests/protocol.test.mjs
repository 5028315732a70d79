/**
 * The edges of weft's Mastra protocol against a real `weft serve` with a token and a CORS origin:
 * client-js with `headers: { Authorization }`, Studio's preflights, error bodies, the routes that
 * wait for engine work (501 NOT_IMPLEMENTED), and weft's own API and client beside Mastra's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MastraClient } from '@mastra/client-js';
import { startWeft, tempDir, ROOT } from '../lib/procs.mjs';
import { statusOf } from '../lib/scenario.mjs';

const TOKEN = 'compat-token';
const STUDIO = 'http://localhost:3999';

describe('Mastra protocol edges', { timeout: 120_000 }, () => {
  let weft;
  let tmp;
  let client;
  before(async () => {
    tmp = tempDir('weft-compat-');
    weft = await startWeft({ store: { kind: 'sqlite', path: `${tmp.dir}/weft.db` }, token: TOKEN, corsOrigins: [STUDIO] });
    client = new MastraClient({ baseUrl: weft.url, retries: 0, headers: { Authorization: `Bearer ${TOKEN}` } });
  });
  after(async () => {
    await weft?.stop();
    tmp?.remove();
  });

  it('requires the token from client-js, and accepts it in headers', async () => {
    const anonymous = new MastraClient({ baseUrl: weft.url, retries: 0 });
    assert.equal(await statusOf(anonymous.listWorkflows()), 401);
    const res = await fetch(`${weft.url}/api/workflows`);
    assert.deepEqual(await res.json(), { error: 'this server requires a bearer token (Authorization: Bearer <token>)', code: 'UNAUTHORIZED' });
    assert.deepEqual(Object.keys(await client.listWorkflows()).sort(), ['approval', 'math', 'slow']);
    const run = await client.getWorkflow('math').createRun();
    assert.deepEqual((await run.startAsync({ inputData: { n: 1 } })).result, { n: 4 });
  });

  it("answers Studio's preflights (its headers, credentials) without the token", async () => {
    for (const [method, path] of [['GET', '/api/workflows'], ['POST', '/api/workflows/math/stream?runId=x'], ['DELETE', '/api/workflows/math/runs/x']]) {
      const res = await fetch(`${weft.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: STUDIO, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,x-mastra-client-type,x-mastra-dev-playground' },
      });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), STUDIO);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
      const allowed = res.headers.get('access-control-allow-headers').split(/\s*,\s*/);
      for (const h of ['authorization', 'content-type', 'x-mastra-client-type', 'x-mastra-dev-playground']) assert.ok(allowed.includes(h), h);
    }
    const evil = await fetch(`${weft.url}/api/workflows`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(evil.status, 403);
  });

  it('answers errors in Mastra\'s shape with a stable code', async () => {
    const res = await fetch(`${weft.url}/api/workflows/nope`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.code, 'WORKFLOW_NOT_FOUND');
    assert.equal(typeof body.error, 'string');
    const bad = await fetch(`${weft.url}/api/workflows/math/start-async`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"inputData":{"n":"x"}}' });
    assert.equal(bad.status, 400);
    const issues = await bad.json();
    assert.equal(issues.code, 'VALIDATION_FAILED');
    assert.equal(issues.issues[0].path, 'n');
    const form = await fetch(`${weft.url}/api/workflows/math/create-run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(form.status, 415);
    const agents = await fetch(`${weft.url}/api/agents/a1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(agents.status, 404);
    assert.equal((await agents.json()).code, 'NOT_FOUND');
  });

  it('answers the Studio start-up routes of features weft does not have with empty lists', async () => {
    const get = async (p) => (await fetch(`${weft.url}/api${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    assert.deepEqual(await get('/agents'), {});
    assert.deepEqual(await get('/tools'), {});
    assert.deepEqual(await get('/auth/capabilities'), { enabled: false, login: null });
    assert.deepEqual((await get('/mcp/v0/servers')).servers, []);
  });

  it("keeps weft's own API and typed client working beside Mastra's, under /api/weft", async () => {
    const { createClient } = await import(`${ROOT}/dist/client/index.js`);
    const weftClient = createClient({ baseUrl: weft.url, token: TOKEN });
    assert.deepEqual((await weftClient.listWorkflows()).map((w) => w.key).sort(), ['approval', 'math', 'slow']);
    const result = await (await weftClient.getWorkflow('math').createRun()).start({ inputData: { n: 2 } });
    assert.deepEqual(result.result, { n: 6 });
    // A run started through one API is visible through the other.
    assert.equal((await client.getWorkflow('math').runById(result.runId)).status, 'success');
  });

  describe('routes waiting for engine work answer 501 NOT_IMPLEMENTED after validating', () => {
    let runId;
    before(async () => {
      const run = await client.getWorkflow('math').createRun();
      runId = (await run.startAsync({ inputData: { n: 1 } })).runId;
    });
    const post = async (path, body) => {
      const res = await fetch(`${weft.url}/api/workflows/math/${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };

    for (const [path, body, method] of [
      ['restart', {}, 'run.restart()'],
      ['restart-async', {}, 'run.restart()'],
      ['time-travel', { step: 'double', inputData: { n: 10 } }, 'run.timeTravel()'],
      ['time-travel-async', { step: 'double', inputData: { n: 10 } }, 'run.timeTravel()'],
      ['time-travel-stream', { step: 'double', inputData: { n: 10 } }, 'run.timeTravel()'],
    ]) {
      it(`${path}: 404 for an unknown run, 400 for a bad body, then 501 naming ${method}`, async () => {
        assert.equal((await post(`${path}?runId=no-such-run`, body)).status, 404);
        if (path.startsWith('time-travel')) assert.equal((await post(`${path}?runId=${runId}`, {})).status, 400);
        const res = await post(`${path}?runId=${runId}`, body);
        assert.equal(res.status, 501);
        assert.equal(res.body.code, 'NOT_IMPLEMENTED');
        assert.ok(res.body.error.includes(method), res.body.error);
      });
    }

    it("client-js's restart and time-travel methods get the 501 too", async () => {
      const run = await client.getWorkflow('math').createRun({ runId });
      assert.equal(await statusOf(run.restart({})), 501);
      assert.equal(await statusOf(run.restartAsync()), 501);
      const tt = { step: 'double', inputData: { n: 10 } };
      assert.equal(await statusOf(run.timeTravel(tt)), 501);
      assert.equal(await statusOf(run.timeTravelAsync(tt)), 501);
      assert.equal(await statusOf(run.timeTravelStream(tt)), 501);
    });

    it('restart-all-active-workflow-runs(-async): 501 naming workflow.restartAllActiveWorkflowRuns()', async () => {
      for (const path of ['restart-all-active-workflow-runs', 'restart-all-active-workflow-runs-async']) {
        const res = await post(path, {});
        assert.equal(res.status, 501);
        assert.ok(res.body.error.includes('workflow.restartAllActiveWorkflowRuns()'));
      }
    });

    it('perStep: true (Studio\'s "step by step") and forEachIndex: 501; perStep: false runs normally', async () => {
      const run = await client.getWorkflow('math').createRun();
      assert.equal(await statusOf(run.startAsync({ inputData: { n: 1 }, perStep: true })), 501);
      assert.equal((await run.startAsync({ inputData: { n: 1 }, perStep: false })).status, 'success');
      const ap = await client.getWorkflow('approval').createRun();
      await ap.startAsync({ inputData: { name: 'x' } });
      assert.equal(await statusOf(ap.resumeAsync({ step: 'ask', resumeData: { approved: true }, forEachIndex: 0 })), 501);
    });

    // Enable these when the engine has run.restart(), run.timeTravel(), restartAllActiveWorkflowRuns()
    // and perStep (Mastra parity, in progress): the routes already call them by those names.
    it.todo('restart-async re-runs an active run from its last step and returns the WorkflowResult');
    it.todo('time-travel-async re-runs math from "double" with inputData { n: 10 } and returns result { n: 20 }');
    it.todo('time-travel-stream streams the re-run from "double" and ends with workflow-finish success');
    it.todo('restart-all-active-workflow-runs restarts every active run of the workflow');
    it.todo('start with perStep: true runs one step and suspends before the next; Studio "step by step" works');
  });
});
