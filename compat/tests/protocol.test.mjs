/**
 * The edges of weft's Mastra protocol against a real `weft serve` with a token and a CORS origin:
 * client-js with `headers: { Authorization }`, Studio's preflights, error bodies, the routes that
 * wait for engine work (501 NOT_IMPLEMENTED), and weft's own API and client beside Mastra's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MastraClient } from '@mastra/client-js';
import { startWeft, tempDir, ROOT } from '../lib/procs.mjs';
import { readAll, statusOf } from '../lib/scenario.mjs';

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

  describe('restart, time travel and perStep, through the routes client-js calls', () => {
    let runId;
    before(async () => {
      const run = await client.getWorkflow('math').createRun();
      runId = (await run.startAsync({ inputData: { n: 1 } })).runId;
    });
    const post = async (path, body) => {
      const res = await fetch(`${weft.url}/api/workflows/math/${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };

    for (const [path, body] of [
      ['restart', {}],
      ['restart-async', {}],
      ['time-travel', { step: 'double', inputData: { n: 10 } }],
      ['time-travel-async', { step: 'double', inputData: { n: 10 } }],
      ['time-travel-stream', { step: 'double', inputData: { n: 10 } }],
    ]) {
      it(`${path}: 404 for an unknown run${path.startsWith('time-travel') ? ', 400 without a step' : ''}`, async () => {
        assert.equal((await post(`${path}?runId=no-such-run`, body)).status, 404);
        if (path.startsWith('time-travel')) assert.equal((await post(`${path}?runId=${runId}`, {})).status, 400);
      });
    }

    it('restart of a finished run is a conflict (409): only an active run can be restarted', async () => {
      const run = await client.getWorkflow('math').createRun({ runId });
      assert.equal(await statusOf(run.restartAsync()), 409);
    });

    it('time-travel-async re-runs math from "double" with a new input and returns the result', async () => {
      const run = await client.getWorkflow('math').createRun({ runId });
      const result = await run.timeTravelAsync({ step: 'double', inputData: { n: 10 } });
      assert.equal(result.status, 'success');
      assert.deepEqual(result.result, { n: 20 });
      const view = await client.getWorkflow('math').runById(runId);
      assert.equal(view.status, 'success');
    });

    it('time-travel-stream streams the re-run and ends with workflow-finish success', async () => {
      const run = await client.getWorkflow('math').createRun({ runId });
      const chunks = await readAll(await run.timeTravelStream({ step: 'double', inputData: { n: 21 } }));
      assert.equal(chunks.at(-1).type, 'workflow-finish');
      assert.equal(chunks.at(-1).payload.workflowStatus, 'success');
      assert.ok(chunks.some((c) => c.type === 'workflow-step-result' && c.payload.id === 'double'));
    });

    it('restart-all-active-workflow-runs answers once the runs nobody carries were restarted', async () => {
      for (const path of ['restart-all-active-workflow-runs', 'restart-all-active-workflow-runs-async']) {
        const res = await post(path, {});
        assert.equal(res.status, 200);
      }
    });

    it('perStep: true runs one step and pauses; a resume goes on (Studio\'s "step by step")', async () => {
      const run = await client.getWorkflow('math').createRun();
      const first = await run.startAsync({ inputData: { n: 1 }, perStep: true });
      assert.equal(first.status, 'paused');
      assert.deepEqual(first.steps['add-one'].output, { n: 2 });
      assert.equal(first.steps.double, undefined);
      const rest = await run.resumeAsync({});
      assert.equal(rest.status, 'success');
      assert.deepEqual(rest.result, { n: 4 });
    });

    it('forEachIndex: 501 until the engine resumes one foreach iteration', async () => {
      const ap = await client.getWorkflow('approval').createRun();
      await ap.startAsync({ inputData: { name: 'x' } });
      assert.equal(await statusOf(ap.resumeAsync({ step: 'ask', resumeData: { approved: true }, forEachIndex: 0 })), 501);
    });
  });
});
