import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => {});
  h = undefined;
});

describe('health endpoints', () => {
  it('answer without a token: live while the process serves, ready while the store answers', async () => {
    h = await startHarness({ token: 'secret' });
    for (const path of ['/api/health', '/api/health/live', '/api/health/ready']) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
    // The rest of the API still wants the token.
    expect((await fetch(`${h.url}/api/weft/runs`)).status).toBe(401);
  });

  it('ready turns 503 once the engine is stopped, while live still answers', async () => {
    h = await startHarness();
    await h.weft.stop();
    const ready = await fetch(`${h.url}/api/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable' });
    expect((await fetch(`${h.url}/api/health`)).status).toBe(200);
  });
});
