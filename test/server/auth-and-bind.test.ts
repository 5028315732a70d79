import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft, memoryStore } from '../../src/index.js';
import { createApp, serve } from '../../src/server/index.js';
import { startHarness, type Harness } from './harness.js';

describe('bearer token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ token: 's3cret' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('401s API requests without a token or with a wrong one, storing nothing', async () => {
    const before = (await h.store.listRuns({})).total;
    const missing = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 1 } } });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHORIZED');
    const wrong = await h.api('/workflows', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const basic = await h.api('/workflows', { headers: { authorization: 'Basic czNjcmV0' } });
    expect(basic.status).toBe(401);
    expect((await h.store.listRuns({})).total).toBe(before);
  });

  it('accepts the right token', async () => {
    const res = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } }, headers: { authorization: 'Bearer s3cret' } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('success');
  });

  it('serves the dashboard shell without a token (it holds no data)', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address without a token', async () => {
    const weft = new Weft({ store: memoryStore() });
    await expect(serve(weft, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'TOKEN_REQUIRED' });
    expect(() => createApp(weft, { host: '192.168.1.10' })).toThrow(/token/);
    await weft.stop();
  });

  it('binds 127.0.0.1 by default, and another address when a token is set', async () => {
    const weft = new Weft({ store: memoryStore() });
    const local = await serve(weft, { port: 0 });
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const open = await serve(weft, { port: 0, host: '0.0.0.0', token: 't' });
    expect(open.host).toBe('0.0.0.0');
    await local.close();
    await open.close();
    await weft.stop();
  });

  it('rejects bad options', () => {
    const weft = new Weft({ store: memoryStore() });
    expect(() => createApp(weft, { port: 70_000 })).toThrow(/port/);
    expect(() => createApp(weft, { maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
  });
});

describe('dashboard assets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves the HTML shell with a strict CSP, and a script that parses', async () => {
    const page = await fetch(`${h.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/assets/dashboard.js');
    const js = await fetch(`${h.url}/assets/dashboard.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    const source = await js.text();
    expect(() => new Function(source)).not.toThrow();
    expect(source).not.toContain('innerHTML');
    const css = await fetch(`${h.url}/assets/dashboard.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
