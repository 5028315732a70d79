import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft, memoryStore } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { startHarness, until, type Harness } from './harness.js';
import { rawRequest } from './raw-request.js';

// What a web page the operator happens to visit can make a browser send to a loopback server with no
// token: simple requests (no preflight) with no or a text/plain content type, and requests carrying a
// foreign Origin, Sec-Fetch-Site or (after DNS rebinding) a foreign Host.

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await startHarness();
  port = h.server.port;
});
afterAll(async () => {
  await h.close();
});

const runCount = async () => (await h.store.listRuns({})).total;

async function runningSlowRun(): Promise<string> {
  const { body } = await h.api('/workflows/slow/runs', { method: 'POST', json: { inputData: { ms: 30_000 } } });
  await until(() => h.store.loadRun(body.runId), (r) => r?.status === 'running');
  return body.runId;
}

describe('content type of state-changing requests', () => {
  it('refuses a start whose body has no content-type (fetch no-cors with a Blob) with 415, storing nothing', async () => {
    const before = await runCount();
    const res = await fetch(`${h.url}/api/weft/workflows/add/runs`, { method: 'POST', body: new Blob([JSON.stringify({ inputData: { n: 1 } })]) });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await runCount()).toBe(before);
  });

  it('refuses an empty cancel without content-type or as text/plain (an HTML form), leaving the run running', async () => {
    const runId = await runningSlowRun();
    const none = await rawRequest(`${h.url}/api/weft/workflows/slow/runs/${runId}/cancel`, { method: 'POST' });
    expect(none.status).toBe(415);
    expect(none.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const form = await rawRequest(`${h.url}/api/weft/workflows/slow/runs/${runId}/cancel`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' });
    expect(form.status).toBe(415);
    expect((await h.store.loadRun(runId))?.status).toBe('running');
    const ok = await rawRequest(`${h.url}/api/weft/workflows/slow/runs/${runId}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(ok.status).toBe(200);
    expect((await h.store.loadRun(runId))?.status).toBe('canceled');
  });

  it('refuses DELETE without content-type, and accepts it with application/json', async () => {
    const { body } = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
    const bare = await rawRequest(`${h.url}/api/weft/workflows/add/runs/${body.runId}`, { method: 'DELETE' });
    expect(bare.status).toBe(415);
    expect(await h.store.loadRun(body.runId)).not.toBeNull();
    const json = await rawRequest(`${h.url}/api/weft/workflows/add/runs/${body.runId}`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(json.body).toEqual({ runId: body.runId, deleted: true });
  });

  it('no longer accepts application/*+json variants or text/json', async () => {
    for (const type of ['application/vnd.api+json', 'text/json', 'application/jsonx']) {
      const res = await h.api('/workflows/add/runs', { method: 'POST', body: '{"inputData":{"n":1}}', headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
    }
  });
});

describe('Origin and Sec-Fetch-Site on /api', () => {
  it('refuses a POST from another origin with 403 FORBIDDEN_ORIGIN, storing nothing', async () => {
    const before = await runCount();
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port + 1}`, 'null']) {
      const res = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 1 } }, headers: { origin } });
      expect(res.status, origin).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN_ORIGIN');
    }
    expect(await runCount()).toBe(before);
  });

  it('refuses reads from another origin, with or without an Origin header', async () => {
    const foreign = await h.api('/runs', { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN_ORIGIN');
    expect(foreign.body).not.toHaveProperty('runs');
    for (const site of ['cross-site', 'same-site']) {
      const res = await h.api('/runs', { headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors' } });
      expect(res.status, site).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN_ORIGIN');
    }
  });

  it('serves its own origin (by the Host the request came to), navigations and non-browser clients', async () => {
    const own = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } }, headers: { origin: h.url, 'sec-fetch-site': 'same-origin' } });
    expect(own.status).toBe(200);
    const viaLocalhost = await rawRequest(`${h.url}/api/weft/runs`, { headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` } });
    expect(viaLocalhost.status).toBe(200);
    expect((await h.api('/runs', { headers: { 'sec-fetch-site': 'none' } })).status).toBe(200);
    expect((await h.api('/runs')).status).toBe(200);
  });

  it('does not apply to the dashboard page, which a link from another site may open', async () => {
    const res = await fetch(`${h.url}/`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } });
    expect(res.status).toBe(200);
  });
});

describe('Host on a loopback bind (DNS rebinding)', () => {
  it('answers 421 HOST_NOT_ALLOWED to a foreign Host, on the API and the dashboard, storing nothing', async () => {
    const before = await runCount();
    const host = `attacker.example:${port}`;
    const start = await rawRequest(`${h.url}/api/weft/workflows/add/runs`, {
      method: 'POST',
      headers: { host, origin: `http://${host}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputData: { n: 1 } }),
    });
    expect(start.status).toBe(421);
    expect(start.body.error.code).toBe('HOST_NOT_ALLOWED');
    const list = await rawRequest(`${h.url}/api/weft/runs`, { headers: { host } });
    expect(list.status).toBe(421);
    expect(list.body).not.toHaveProperty('runs');
    expect((await rawRequest(`${h.url}/`, { headers: { host } })).status).toBe(421);
    for (const other of ['attacker.example', '10.0.0.1:80', `localhost.attacker.example:${port}`, '127.0.0.1.nip.io', '[::2]']) {
      expect((await rawRequest(`${h.url}/api/weft/runs`, { headers: { host: other } })).status, other).toBe(421);
    }
    // Userinfo in Host is refused before weft sees it (Hono's Node adapter answers 400).
    expect((await rawRequest(`${h.url}/api/weft/runs`, { headers: { host: 'localhost@attacker.example' } })).status).toBe(400);
    expect(await runCount()).toBe(before);
  });

  it('answers to localhost, 127.0.0.0/8 and [::1], with any port', async () => {
    for (const host of [`localhost:${port}`, 'LOCALHOST', `127.0.0.1:${port}`, '127.3.2.1:1', `[::1]:${port}`]) {
      expect((await rawRequest(`${h.url}/api/weft/runs`, { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe('allowedHosts', () => {
  let a: Harness;
  beforeAll(async () => {
    a = await startHarness({ allowedHosts: ['weft.test', 'Other.Test:8080'] });
  });
  afterAll(async () => {
    await a.close();
  });

  it('adds host names (any port, or one port) and keeps refusing the rest', async () => {
    expect((await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: `weft.test:${a.server.port}` } })).status).toBe(200);
    expect((await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: 'weft.test' } })).status).toBe(200);
    expect((await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: 'other.test:8080' } })).status).toBe(200);
    expect((await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: 'other.test:8081' } })).status).toBe(421);
    expect((await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: 'attacker.example' } })).status).toBe(421);
    // Its own origin under that name is same-origin.
    const res = await rawRequest(`${a.url}/api/weft/runs`, { headers: { host: 'weft.test', origin: 'http://weft.test' } });
    expect(res.status).toBe(200);
  });

  it('follows allowedHosts on a non-loopback bind (token required there), and any Host without it', async () => {
    const open = await startHarness({ host: '0.0.0.0', token: 't' });
    const checked = await startHarness({ host: '0.0.0.0', token: 't', allowedHosts: ['weft.test'] });
    try {
      const auth = { authorization: 'Bearer t' };
      const at = (hh: Harness) => `http://127.0.0.1:${hh.server.port}/api/weft/runs`;
      expect((await rawRequest(at(open), { headers: { ...auth, host: 'anything.example' } })).status).toBe(200);
      expect((await rawRequest(at(open), { headers: { host: 'anything.example' } })).status).toBe(401);
      expect((await rawRequest(at(checked), { headers: { ...auth, host: 'anything.example' } })).status).toBe(421);
      expect((await rawRequest(at(checked), { headers: { ...auth, host: 'weft.test' } })).status).toBe(200);
    } finally {
      await open.close();
      await checked.close();
    }
  });

  it('rejects malformed entries', async () => {
    const weft = new Weft({ store: memoryStore() });
    for (const bad of ['http://weft.test', 'a b', 'weft.test:99999', '']) {
      expect(() => createApp(weft, { allowedHosts: [bad] }), bad).toThrow(/allowedHosts/);
    }
    await weft.stop();
  });
});

describe('API response headers', () => {
  it('sends nosniff and no-store on every /api answer: data, errors, refusals and event streams', async () => {
    const { body } = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
    const answers = [
      await h.api('/workflows'),
      await h.api('/runs'),
      await h.api('/nope'),
      await h.api('/runs/ghost'),
      await h.api('/runs', { headers: { origin: 'http://evil.example' } }),
      await h.api('/workflows/add/runs', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }),
    ];
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options'), String(res.status)).toBe('nosniff');
      expect(res.headers.get('cache-control'), String(res.status)).toBe('no-store');
    }
    const sse = await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events`);
    expect(sse.headers.get('x-content-type-options')).toBe('nosniff');
    expect(sse.headers.get('cache-control')).toBe('no-store');
    await sse.text();
    const host = await rawRequest(`${h.url}/api/weft/runs`, { headers: { host: 'attacker.example' } });
    expect(host.headers['x-content-type-options']).toBe('nosniff');
  });
});
