import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { startHarness, type Harness } from '../server/harness.js';
import { ensureBuilt, weft } from '../cli/helpers.js';

/** The CLI for search and reruns (issue 18.8, 18.9), as shipped (dist/), against a real server. */

const N = z.object({ n: z.number() });
const state = { fail: true };
const ship = createWorkflow({ id: 'ship', inputSchema: N, outputSchema: N, searchable: ['region'] })
  .then(createStep({ id: 'pack', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) }))
  .then(
    createStep({
      id: 'label',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        if (state.fail) throw new Error('printer jammed');
        return { n: inputData.n * 10 };
      },
    }),
  )
  .commit();

let h: Harness;
beforeAll(async () => {
  ensureBuilt();
  h = await startHarness({ workflows: { ship } });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('weft runs: search and reruns', { timeout: 60_000 }, () => {
  it('lists runs by tag and by searchable metadata', async () => {
    for (const [n, region, tags] of [
      [1, 'eu', ['rush']],
      [2, 'us', []],
      [3, 'eu', []],
    ] as const) {
      await h.weft.getWorkflow('ship').createRun().then((r) => r.start({ inputData: { n }, metadata: { region }, tags: [...tags] }));
    }
    const eu = await weft(['runs', 'list', '--url', h.url, '--workflow', 'ship', '--meta', 'region=eu', '--json']);
    expect(eu.code, eu.stderr).toBe(0);
    expect(JSON.parse(eu.stdout).total).toBe(2);
    const rush = await weft(['runs', 'list', '--url', h.url, '--tag', 'rush', '--meta', 'region=eu']);
    expect(rush.stdout).toMatch(/runs 1-1 of 1/);
    const bad = await weft(['runs', 'list', '--url', h.url, '--meta', 'region']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--meta takes key=value');
  });

  it('reruns a failed run from a step, waits for it, and shows the links', async () => {
    state.fail = true;
    const source = await h.weft.getWorkflow('ship').createRun();
    expect((await source.start({ inputData: { n: 4 } })).status).toBe('failed');
    state.fail = false;
    const r = await weft(['runs', 'rerun', source.runId, '--step', 'label', '--wait', '--url', h.url, '--run-id', 'cli-rerun-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('success {"n":50}');
    const withInput = await weft(['runs', 'rerun', source.runId, '--step', 'label', '--input', '{"n":7}', '--url', h.url, '--json']);
    expect(JSON.parse(withInput.stdout)).toMatchObject({ rerunOf: source.runId, fromPath: 'label' });
    const links = await weft(['runs', 'links', source.runId, '--url', h.url]);
    expect(links.stdout).toContain('not a rerun');
    expect(links.stdout).toContain('cli-rerun-1');
    const back = await weft(['runs', 'links', 'cli-rerun-1', '--url', h.url]);
    expect(back.stdout).toContain(`rerun of ${source.runId} from step label`);
    const missing = await weft(['runs', 'rerun', source.runId, '--url', h.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs a run id and a step');
  });
});
