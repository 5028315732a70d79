import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, weft } from './helpers.js';

/**
 * `weft check --workflows <module>` on a real SQLite file: runs left suspended by the old code, checked
 * against modules as a user would write them (plain JavaScript against the built package).
 */
let dir: string;
let db: string;
const weftUrl = () => pathToFileURL(join(dirname(CLI), '..', 'index.js')).href;

/** A module with the plan → <approve> (suspends) → execute workflow, step ids as given. */
function writeModule(name: string, plan: string, approve: string, version: number): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `import { createStep, createWorkflow } from ${JSON.stringify(weftUrl())};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const step = (id, suspend) => createStep({ id, inputSchema: any, outputSchema: any, resumeSchema: any,
  execute: async ({ inputData, resumeData, suspend: pause }) => (suspend && resumeData === undefined ? pause({}) : { ...inputData, [id]: ${version} }) });
export const workflows = {
  deploy: createWorkflow({ id: 'deploy', version: ${version}, inputSchema: any, outputSchema: any })
    .then(step(${JSON.stringify(plan)})).then(step(${JSON.stringify(approve)}, true)).then(step('execute')).commit(),
};
`,
  );
  return path;
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-check-'));
  db = join(dir, 'weft.db');
  const v1 = writeModule('v1.mjs', 'plan', 'approve-plan', 1);
  // The old code leaves two runs suspended at approve-plan, and one finished run (never checked).
  const { Weft, sqliteStore } = (await import(weftUrl())) as typeof import('../../src/index.js');
  const { workflows } = (await import(pathToFileURL(v1).href)) as { workflows: Record<string, import('../../src/index.js').AnyWorkflow> };
  const engine = new Weft({ workflows, store: sqliteStore({ path: db }) });
  for (const plan of ['a', 'b', 'c']) {
    const run = await workflows.deploy!.createRun({ runId: `run-${plan}` });
    const r = await run.start({ inputData: { plan } });
    expect(r.status).toBe('suspended');
    if (plan === 'c') expect((await run.resume({ resumeData: {} })).status).toBe('success');
  }
  await engine.stop();
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('weft check', { timeout: 60_000 }, () => {
  it('passes (exit 0) when the new code keeps the graph: other step code, another version number', async () => {
    const same = writeModule('same.mjs', 'plan', 'approve-plan', 3);
    const r = await weft(['check', '--workflows', same, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checked 2 unfinished runs of 1 workflow');
    expect(r.stdout).toContain('all 2 continue');
    expect(r.stdout).toContain('every unfinished run can continue on this code');
  });

  it('fails (exit 1) naming each run and the first divergent path when steps were renamed', async () => {
    const renamed = writeModule('v2.mjs', 'make-plan', 'approve', 2);
    const r = await weft(['check', '--workflows', renamed, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0 continue, 2 break');
    expect(r.stdout).toMatch(/run-a\s+suspended\s+breaks at "plan" \(renamed\)/);
    expect(r.stdout).toMatch(/run-b\s+suspended\s+breaks at "plan" \(renamed\)/);
    expect(r.stdout).toContain('2 runs would break on this code');

    const json = await weft(['check', '--workflows', renamed, '--db', db, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: false, runs: 2, continues: 0, diverges: 2, unregistered: 0 });
    expect(report.problems).toEqual([
      expect.objectContaining({ runId: 'run-a', workflowId: 'deploy', verdict: 'diverges', path: 'plan', reason: 'renamed' }),
      expect.objectContaining({ runId: 'run-b', workflowId: 'deploy', verdict: 'diverges', path: 'plan', reason: 'renamed' }),
    ]);
    expect(report.module.workflows).toEqual([{ workflowId: 'deploy', version: '2', fingerprint: expect.stringMatching(/^2:[0-9a-f]{16}$/) }]);
  });

  it('--workflow limits the check; a workflow the module lacks is reported', async () => {
    const other = join(dir, 'other.mjs');
    writeFileSync(
      other,
      `import { createStep, createWorkflow } from ${JSON.stringify(weftUrl())};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
export const workflows = { other: createWorkflow({ id: 'other', inputSchema: any, outputSchema: any }).then(createStep({ id: 's', inputSchema: any, outputSchema: any, execute: async () => 1 })).commit() };
`,
    );
    const lacking = await weft(['check', '--workflows', other, '--db', db]);
    expect(lacking.code).toBe(1);
    expect(lacking.stdout).toContain('not in this module: 2 runs would wait for a worker that has it');
    const limited = await weft(['check', '--workflows', other, '--db', db, '--workflow', 'other', '--json']);
    expect(limited.code).toBe(0);
    expect(JSON.parse(limited.stdout)).toMatchObject({ ok: true, runs: 0 });
  });

  it('weft runs export writes histories that replayRuns (weft/testing) walks through the current code', async () => {
    const file = join(dir, 'runs.json');
    const r = await weft(['runs', 'export', '--db', db, '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('exported 2 runs');
    const histories = JSON.parse(readFileSync(file, 'utf8'));
    expect(histories.map((h: { run: { runId: string } }) => h.run.runId)).toEqual(['run-a', 'run-b']);
    expect(histories[0].journal.map((row: { path: string; status: string }) => `${row.path}:${row.status}`)).toEqual(['plan:success', 'approve-plan:suspended']);
    const finished = JSON.parse((await weft(['runs', 'export', '--db', db, '--status', 'success'])).stdout);
    expect(finished.map((h: { run: { runId: string } }) => h.run.runId)).toEqual(['run-c']);

    const { replayRuns } = (await import(pathToFileURL(join(dirname(CLI), '..', 'testing', 'index.js')).href)) as typeof import('../../src/testing/index.js');
    const load = async (name: string) => ((await import(pathToFileURL(join(dir, name)).href)) as { workflows: Record<string, import('../../src/index.js').AnyWorkflow> }).workflows;
    const ok = await replayRuns({ histories: [...histories, ...finished], workflows: await load('same.mjs') });
    expect(ok).toMatchObject({ ok: true, runs: 3, continues: 3 });
    const err = await replayRuns({ histories, workflows: await load('v2.mjs') }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string; problems: unknown[] },
    );
    expect(err?.code).toBe('REPLAY_DIVERGED');
    expect(err?.message).toContain('2 runs would not continue on this code');
    expect(err?.message).toContain('"plan" is not in the workflow any more');
    expect(err?.problems).toHaveLength(2);
  });

  it('needs --workflows (usage error, exit 2)', async () => {
    const r = await weft(['check', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('check needs --workflows <module>');
  });
});
