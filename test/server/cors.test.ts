import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft, memoryStore } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { startHarness, type Harness } from './harness.js';

const STUDIO = 'http://studio.test:4111';

const preflight = (h: Harness, origin: string, path = '/api/weft/workflows/add/runs') =>
  fetch(`${h.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });

describe('corsOrigins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ corsOrigins: [STUDIO, 'https://ops.example.com/'] });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers the preflight of an allowed origin with the methods and headers it may use', async () => {
    const res = await preflight(h, STUDIO);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(STUDIO);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/\bDELETE\b/);
    const allowed = res.headers.get('access-control-allow-headers')?.split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'last-event-id']));
    expect(res.headers.get('vary')).toMatch(/origin/i);
    // Mastra Studio fetches with credentials: 'include'; browsers need this (and the exact origin) for it.
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed).toEqual(expect.arrayContaining(['x-mastra-client-type', 'x-mastra-dev-playground']));
  });

  it('lets an allowed origin start runs and read them, echoing the origin', async () => {
    const start = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 2 } }, headers: { origin: STUDIO, 'sec-fetch-site': 'cross-site' } });
    expect(start.status).toBe(200);
    expect(start.headers.get('access-control-allow-origin')).toBe(STUDIO);
    expect(start.headers.get('vary')).toMatch(/origin/i);
    const list = await h.api('/runs', { headers: { origin: 'https://ops.example.com', 'sec-fetch-site': 'cross-site' } });
    expect(list.status).toBe(200);
    expect(list.body.runs.map((r: { runId: string }) => r.runId)).toContain(start.body.runId);
    expect(list.headers.get('access-control-allow-origin')).toBe('https://ops.example.com');
  });

  it('keeps refusing every other origin, preflight included, without CORS headers', async () => {
    for (const origin of ['http://evil.example', 'http://studio.test:4112', 'https://studio.test:4111', 'null']) {
      const pre = await preflight(h, origin);
      expect(pre.status, origin).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const post = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 1 } }, headers: { origin } });
      expect(post.status, origin).toBe(403);
      expect(post.body.error.code).toBe('FORBIDDEN_ORIGIN');
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('says Vary: Origin on every API answer, since they depend on it', async () => {
    expect((await h.api('/workflows')).headers.get('vary')).toMatch(/origin/i);
  });
});

describe('corsOrigins with a token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ corsOrigins: [STUDIO], token: 'tok' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers the preflight without the token (browsers never send it there) but requires it for the request', async () => {
    expect((await preflight(h, STUDIO)).status).toBe(204);
    const before = (await h.store.listRuns({})).total;
    const anonymous = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 1 } }, headers: { origin: STUDIO } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
    // The page can read why it was refused.
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(STUDIO);
    expect((await h.store.listRuns({})).total).toBe(before);
    const authed = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } }, headers: { origin: STUDIO, authorization: 'Bearer tok' } });
    expect(authed.status).toBe(200);
  });
});

describe('without corsOrigins', () => {
  it('refuses every cross-origin preflight', async () => {
    const h = await startHarness();
    try {
      const res = await preflight(h, STUDIO);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect((await h.api('/workflows')).headers.get('vary')).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('rejects anything but exact origins', async () => {
    const weft = new Weft({ store: memoryStore() });
    for (const bad of ['*', 'null', 'https://*.example.com', 'https://example.com/path', 'example.com', 'ftp://example.com', 'https://user@example.com']) {
      expect(() => createApp(weft, { corsOrigins: [bad] }), bad).toThrow(/corsOrigins/);
    }
    expect(createApp(weft, { corsOrigins: ['HTTPS://Example.com:443/'] }).options.corsOrigins).toEqual(['https://example.com']);
    await weft.stop();
  });
});
