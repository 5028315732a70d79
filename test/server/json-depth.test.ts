import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { MAX_JSON_DEPTH } from '../../src/domain/limits.js';
import { jsonTextExceedsDepth } from '../../src/server/json-depth.js';
import { startHarness, type Harness } from './harness.js';

// A body nested ~4,100 levels deep used to be accepted and stored; recursive serialisers then ran out of
// stack reading it back. The HTTP edge now refuses anything deeper than MAX_JSON_DEPTH before parsing.

const echo = createStep({ id: 'echo', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
const ask = createStep({
  id: 'ask',
  inputSchema: z.any(),
  outputSchema: z.any(),
  resumeSchema: z.any(),
  execute: async ({ resumeData, suspend }) => (resumeData === undefined ? suspend({}) : resumeData),
});
const workflows = {
  loose: createWorkflow({ id: 'loose', inputSchema: z.any(), outputSchema: z.any() }).then(echo).commit(),
  gate: createWorkflow({ id: 'gate', inputSchema: z.any(), outputSchema: z.any() }).then(ask).commit(),
};

/** `levels` nested arrays around `inner`: `[[...inner...]]`. */
const nest = (levels: number, inner = '') => '['.repeat(levels) + inner + ']'.repeat(levels);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workflows });
});
afterAll(async () => {
  await h.close();
});

const runCount = async () => (await h.store.listRuns({})).total;
const post = (path: string, body: string) => h.api(path, { method: 'POST', body });

describe('JSON nesting depth of request bodies', () => {
  it('refuses a start body nested 4,100 levels deep with 400 PAYLOAD_TOO_DEEP, storing nothing', async () => {
    const before = await runCount();
    const res = await post('/workflows/loose/runs', `{"inputData": ${nest(4100)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_DEEP');
    expect(res.body.error.message).toContain(String(MAX_JSON_DEPTH));
    expect(await runCount()).toBe(before);
  });

  it('accepts exactly MAX_JSON_DEPTH levels (the body object counts as one) and refuses one more', async () => {
    expect(MAX_JSON_DEPTH).toBe(256);
    const ok = await post('/workflows/loose/runs?wait=true', `{"inputData": ${nest(MAX_JSON_DEPTH - 1, '1')}}`);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('success');
    // The stored run reads back.
    expect((await h.api(`/workflows/loose/runs/${ok.body.runId}`)).status).toBe(200);
    const over = await post('/workflows/loose/runs', `{"inputData": ${nest(MAX_JSON_DEPTH, '1')}}`);
    expect(over.body.error.code).toBe('PAYLOAD_TOO_DEEP');
  });

  it('counts objects and arrays alike, and ignores brackets inside strings', async () => {
    const objects = '{"a":'.repeat(MAX_JSON_DEPTH) + '1' + '}'.repeat(MAX_JSON_DEPTH);
    expect((await post('/workflows/loose/runs', `{"inputData": ${objects}}`)).body.error.code).toBe('PAYLOAD_TOO_DEEP');
    const text = JSON.stringify({ inputData: { s: '[{'.repeat(5000), t: 'a\\"[[[' } });
    const res = await post('/workflows/loose/runs?wait=true', text);
    expect(res.status).toBe(200);
    expect(res.body.result.s).toHaveLength(10_000);
  });

  it('applies to resume bodies too', async () => {
    const started = await post('/workflows/gate/runs?wait=true', '{"inputData": {}}');
    expect(started.body.status).toBe('suspended');
    const res = await post(`/workflows/gate/runs/${started.body.runId}/resume`, `{"resumeData": ${nest(4100)}}`);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_DEEP');
    expect((await h.store.loadRun(started.body.runId))?.status).toBe('suspended');
  });
});

describe('jsonTextExceedsDepth', () => {
  it('follows string escapes', () => {
    expect(jsonTextExceedsDepth('["\\"[[[", 1]', 1)).toBe(false);
    expect(jsonTextExceedsDepth('["\\\\", [1]]', 1)).toBe(true);
    expect(jsonTextExceedsDepth('{"k[": {"[": []}}', 3)).toBe(false);
    expect(jsonTextExceedsDepth('{"k[": {"[": []}}', 2)).toBe(true);
    expect(jsonTextExceedsDepth('1', 0)).toBe(false);
  });
});
