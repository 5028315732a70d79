import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { until, type Harness } from '../server/harness.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

// What a web page the operator visits can do to a weft server on loopback without a token, in a real
// Chromium: a page of another origin (another port, another name) sending simple requests, and a
// DNS-rebinding page, i.e. a page whose origin is http://attacker.example:<weft's port> after the name
// was re-pointed at 127.0.0.1, for which weft's API is same-origin.

const ATTACKER = 'attacker.example';

/**
 * Workflows of their own for the second server: a workflow object runs on the last Weft it was
 * registered with, so two servers in one process must not share the fixtures.
 */
function ownWorkflows() {
  const num = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const wait = createStep({
    id: 'wait',
    inputSchema: z.object({ ms: z.number() }),
    outputSchema: z.object({}),
    execute: ({ inputData, abortSignal }) =>
      new Promise((resolve) => {
        const t = setTimeout(() => resolve({}), inputData.ms);
        abortSignal.addEventListener('abort', () => (clearTimeout(t), resolve({})));
      }),
  });
  return {
    add: createWorkflow({ id: 'add', inputSchema: num, outputSchema: num }).then(inc).commit(),
    slow: createWorkflow({ id: 'slow', inputSchema: z.object({ ms: z.number() }), outputSchema: z.object({}) }).then(wait).commit(),
  };
}

let attackerServer: Server;
let attackerPort: number;

beforeAll(async () => {
  attackerServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>not weft</title><h1>cute cats</h1>');
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerPort = (attackerServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => attackerServer?.close(resolve));
});

const victim = useHarness(); // no CORS origins
const open = useHarness(() => ({ workflows: ownWorkflows(), corsOrigins: [`http://127.0.0.1:${attackerPort}`] })); // the attacker server's 127.0.0.1 origin
// The resolver rule makes attacker.example resolve to 127.0.0.1, as a rebinding DNS server would.
// Each test's page is in a browser context of its own.
const web = useBrowser({ extraFlags: [`--host-resolver-rules=MAP ${ATTACKER} 127.0.0.1`] });

async function pageAt(url: string): Promise<Page> {
  await web.page.goto(url);
  return web.page;
}

/**
 * A page whose origin is `http://attacker.example:<port>` with `port` weft's, as after the attacker's
 * DNS answer for attacker.example changed to 127.0.0.1: every request the page makes goes to weft, and
 * is same-origin. The page is opened at that address (so weft answers the document request too:
 * today a 421, before the fix the dashboard); the attack then runs as a script of that origin.
 * (Loading the document from elsewhere would make Chromium's Private Network Access checks step in,
 * which only some browsers have; weft must not rely on them.)
 */
async function rebindingPage(port: number): Promise<Page> {
  await web.page.goto(`http://${ATTACKER}:${port}/`);
  expect(await web.page.evaluate(() => location.origin)).toBe(`http://${ATTACKER}:${port}`);
  return web.page;
}

const runCount = async (h: Harness) => (await h.store.listRuns({})).total;

async function runningSlowRun(h: Harness): Promise<string> {
  const { body } = await h.api('/workflows/slow/runs', { method: 'POST', json: { inputData: { ms: 60_000 } } });
  await until(() => h.store.loadRun(body.runId), (r) => r?.status === 'running');
  return body.runId;
}

/** `fetch` from inside the page; resolves once the server has answered (or the browser refused). */
function pageFetch(page: Page, url: string, init: { method?: string; mode?: RequestMode; body?: string; blob?: string; json?: boolean }) {
  return page.evaluate(
    async ({ url, init }) => {
      const headers: Record<string, string> = init.json ? { 'content-type': 'application/json' } : {};
      const body = init.blob !== undefined ? new Blob([init.blob]) : init.body;
      try {
        const res = await fetch(url, { method: init.method ?? 'GET', mode: init.mode ?? 'cors', headers, ...(body !== undefined ? { body } : {}) });
        return { ok: true as const, type: res.type, status: res.status, text: res.type === 'opaque' ? '' : await res.text() };
      } catch (err) {
        return { ok: false as const, error: String(err) };
      }
    },
    { url, init },
  );
}

/** Submits an empty `<form method=POST enctype=text/plain>` into a hidden frame and waits for weft's answer. */
async function submitEmptyForm(page: Page, action: string): Promise<number> {
  const answered = page.waitForResponse((r) => r.url() === action);
  await page.evaluate((action) => {
    const frame = document.createElement('iframe');
    frame.name = 'sink';
    document.body.append(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'text/plain';
    form.action = action;
    form.target = 'sink';
    document.body.append(form);
    form.submit();
  }, action);
  return (await answered).status();
}

describe.each([
  ['another port on 127.0.0.1', () => `http://127.0.0.1:${attackerPort}/`],
  ['another site (a name resolving to 127.0.0.1, another port)', () => `http://${ATTACKER}:${attackerPort}/`],
])('a page on %s', (_name, pageUrl) => {
  it('cannot start a run with a no-cors fetch of a Blob (no content-type)', async () => {
    const page = await pageAt(pageUrl());
    const before = await runCount(victim);
    const res = await pageFetch(page, `${victim.url}/api/weft/workflows/add/runs`, { method: 'POST', mode: 'no-cors', blob: JSON.stringify({ inputData: { n: 1 } }) });
    expect(res).toMatchObject({ ok: true, type: 'opaque' }); // the request went out; the answer is hidden
    expect(await runCount(victim)).toBe(before);
  });

  it('cannot cancel a run with an empty text/plain form', async () => {
    const runId = await runningSlowRun(victim);
    const page = await pageAt(pageUrl());
    const status = await submitEmptyForm(page, `${victim.url}/api/weft/workflows/slow/runs/${runId}/cancel`);
    expect(status).toBeGreaterThanOrEqual(400);
    expect((await victim.store.loadRun(runId))?.status).toBe('running');
  });

  it('cannot read /api/weft/runs', async () => {
    await victim.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
    const page = await pageAt(pageUrl());
    const res = await pageFetch(page, `${victim.url}/api/weft/runs`, {});
    expect(res.ok).toBe(false); // no CORS header: the browser refuses to hand the body over
    const json = await pageFetch(page, `${victim.url}/api/weft/workflows/add/runs`, { method: 'POST', body: '{"inputData":{"n":1}}', json: true });
    expect(json.ok).toBe(false); // the preflight was refused
  });
});

describe('a DNS-rebinding page (origin http://attacker.example:<weft port>)', () => {
  it('cannot read /api/weft/runs even though it is same-origin', async () => {
    await victim.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
    const page = await rebindingPage(victim.server.port);
    const res = await pageFetch(page, '/api/weft/runs', {});
    expect(res.ok && res.status).toBe(421);
    expect(res.ok && res.text).not.toContain('runId');
    expect(res.ok && JSON.parse(res.text).error.code).toBe('HOST_NOT_ALLOWED');
  });

  it('cannot start or cancel runs with same-origin JSON requests', async () => {
    const runId = await runningSlowRun(victim);
    const before = await runCount(victim);
    const page = await rebindingPage(victim.server.port);
    const start = await pageFetch(page, '/api/weft/workflows/add/runs', { method: 'POST', body: '{"inputData":{"n":1}}', json: true });
    expect(start.ok && start.status).toBe(421);
    const cancel = await pageFetch(page, `/api/weft/workflows/slow/runs/${runId}/cancel`, { method: 'POST', body: '{}', json: true });
    expect(cancel.ok && cancel.status).toBe(421);
    expect(await runCount(victim)).toBe(before);
    expect((await victim.store.loadRun(runId))?.status).toBe('running');
  });
});

describe('a page of an origin in corsOrigins', () => {
  it('can start, read and cancel runs', async () => {
    const page = await pageAt(`http://127.0.0.1:${attackerPort}/`);
    const start = await pageFetch(page, `${open.url}/api/weft/workflows/slow/runs`, { method: 'POST', body: '{"inputData":{"ms":60000}}', json: true });
    expect(start.ok && start.status).toBe(202);
    const { runId } = JSON.parse(start.ok ? start.text : '{}') as { runId: string };
    await until(() => open.store.loadRun(runId), (r) => r?.status === 'running');
    const list = await pageFetch(page, `${open.url}/api/weft/runs`, {});
    expect(list.ok && list.status).toBe(200);
    expect(list.ok && list.text).toContain(runId);
    const cancel = await pageFetch(page, `${open.url}/api/weft/workflows/slow/runs/${runId}/cancel`, { method: 'POST', json: true });
    expect(cancel.ok && cancel.status).toBe(200);
    expect((await open.store.loadRun(runId))?.status).toBe('canceled');
  });

  it('is the only one: a page of another origin still cannot start runs on that server', async () => {
    const page = await pageAt(`http://${ATTACKER}:${attackerPort}/`);
    const before = await runCount(open);
    const res = await pageFetch(page, `${open.url}/api/weft/workflows/add/runs`, { method: 'POST', body: '{"inputData":{"n":1}}', json: true });
    expect(res.ok).toBe(false);
    const blob = await pageFetch(page, `${open.url}/api/weft/workflows/add/runs`, { method: 'POST', mode: 'no-cors', blob: '{"inputData":{"n":1}}' });
    expect(blob.ok).toBe(true);
    expect(await runCount(open)).toBe(before);
  });
});
