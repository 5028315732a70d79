import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, Weft, type AnyWorkflow, type WeftOptions } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { useStoreKinds } from '../support/store-kinds.js';

/** Child runs (ctx.startWorkflow) on every store: results, failures, replays, links, cancel, validation. */

const kinds = useStoreKinds('ch');
const STORES = kinds.stores;
const wefts = kinds.wefts;

let ids = 0;
const uid = (p: string) => `${p}-${++ids}`;

/** A child workflow that doubles n, or fails for n < 0; `gate` holds it until opened. */
function childWorkflow() {
  const calls = { count: 0 };
  let open: () => void = () => {};
  const gate = { held: false, promise: Promise.resolve(), open: () => open() };
  let fixed = false;
  const hold = () => {
    gate.held = true;
    gate.promise = new Promise<void>((r) => (open = r));
  };
  const wf = createWorkflow({ id: uid('double'), inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ doubled: z.number() }) })
    .then(
      createStep({
        id: 'double',
        inputSchema: z.object({ n: z.number() }),
        outputSchema: z.object({ doubled: z.number() }),
        retries: 0,
        execute: async ({ inputData, abortSignal }) => {
          calls.count++;
          if (gate.held) await Promise.race([gate.promise, new Promise((r) => abortSignal.addEventListener('abort', r))]);
          if (inputData.n < 0 && !fixed) throw new Error(`negative: ${inputData.n}`);
          return { doubled: Math.abs(inputData.n) * 2 };
        },
      }),
    )
    .commit();
  return { wf, calls, hold, gate, fix: () => (fixed = true) };
}

/** A parent whose one step starts `child` with n (and records what it got). */
function parentWorkflow(child: AnyWorkflow, opts: { catchErrors?: boolean; runId?: string } = {}) {
  const calls = { before: 0, after: 0 };
  const wf = createWorkflow({ id: uid('parent'), inputSchema: z.object({ n: z.number() }), outputSchema: z.any() })
    .then(
      createStep({
        id: 'spawn',
        inputSchema: z.object({ n: z.number() }),
        outputSchema: z.any(),
        execute: async (ctx) => {
          calls.before++;
          try {
            const out = await ctx.startWorkflow(child, { n: ctx.inputData.n }, opts.runId ? { runId: opts.runId } : undefined);
            calls.after++;
            return { got: out };
          } catch (err) {
            if (!opts.catchErrors || (err as Error).name === 'ChildWaitSignal') throw err;
            return { caught: (err as { code?: string }).code, cause: ((err as Error).cause as Error | undefined)?.message };
          }
        },
      }),
    )
    .commit();
  return { wf, calls };
}

describe('child runs without a Weft (the default in-memory engine)', () => {
  it('a workflow used on its own starts children of workflows it was never registered with', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    const run = await parent.wf.createRun();
    expect(await run.start({ inputData: { n: 3 } })).toMatchObject({ status: 'success', result: { got: { doubled: 6 } } });
  });
});

describe.each(Object.keys(STORES))('child runs on %s', (kind) => {
  const make = (workflows: Record<string, AnyWorkflow>, opts: Omit<WeftOptions, 'workflows' | 'store'> = {}) => {
    const w = new Weft({ store: STORES[kind]!(), workflows, worker: { pollMs: 20 }, ...opts });
    wefts.push(w);
    return w;
  };
  const statusOf = async (weft: Weft, runId: string, status: string) =>
    waitUntil(async () => {
      const v = await weft.getRun(runId);
      return v?.status === status ? v : null;
    }, { message: `run ${runId} ${status}` });
  /** Waits until `runId` waits for its first child run; returns the child's id. */
  const waitingChild = async (weft: Weft, runId: string) => (await statusOf(weft, runId, 'waiting')).waitingForChildren![0]!.runId;
  /** Starts `wf` (a parent) and returns the run with the id of the child run it then waits for. */
  const startWaiting = async (weft: Weft, wf: AnyWorkflow) => {
    const run = await wf.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    return { run, childId: await waitingChild(weft, run.runId) };
  };

  it('a step starts a child run and gets its result; the parent waits parked and links both ways', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    const weft = make({ child: child.wf, parent: parent.wf });
    child.hold();
    const run = await parent.wf.createRun();
    await run.startAsync({ inputData: { n: 21 } });
    const waiting = await statusOf(weft, run.runId, 'waiting');
    expect(waiting.waitingForChildren).toEqual([expect.objectContaining({ path: 'spawn@child0', workflowId: child.wf.id })]);
    const childId = waiting.waitingForChildren![0]!.runId;
    // Parked: no owner holds the parent while its child runs.
    const links = await weft.getRunLinks(run.runId);
    expect(links.children).toEqual([expect.objectContaining({ runId: childId, step: 'spawn', path: 'spawn@child0' })]);
    expect((await weft.getRunLinks(childId)).parent).toMatchObject({ runId: run.runId, step: 'spawn' });
    expect((await weft.getRun(childId))?.status).toBe('running');

    child.gate.open();
    const done = await statusOf(weft, run.runId, 'success');
    expect(done.result).toEqual({ got: { doubled: 42 } });
    expect(child.calls.count).toBe(1);
    // The step ran again after the wait; the call returned the recorded result the second time.
    expect(parent.calls).toEqual({ before: 2, after: 1 });
    expect((await weft.listRuns({ workflowId: child.wf.id })).runs).toHaveLength(1);
  });

  it('a child that settled before the parent waits is taken at once (start waits for the whole tree)', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    make({ child: child.wf, parent: parent.wf });
    const run = await parent.wf.createRun();
    const res = await run.start({ inputData: { n: 2 } });
    expect(res).toMatchObject({ status: 'success', result: { got: { doubled: 4 } } });
  });

  it("a child's failure fails the step with CHILD_RUN_FAILED carrying the child's error, without retries", async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    const weft = make({ child: child.wf, parent: parent.wf });
    const run = await parent.wf.createRun();
    await run.startAsync({ inputData: { n: -1 } });
    const failed = await statusOf(weft, run.runId, 'failed');
    expect(failed.error).toMatchObject({ code: 'CHILD_RUN_FAILED', cause: { message: 'negative: -1' } });
    expect(child.calls.count).toBe(1);

    // A step may catch it.
    const catching = parentWorkflow(child.wf, { catchErrors: true });
    await weft.stop();
    const weft2 = make({ child: child.wf, catching: catching.wf });
    const r2 = await catching.wf.createRun();
    await r2.startAsync({ inputData: { n: -3 } });
    const ok = await statusOf(weft2, r2.runId, 'success');
    expect(ok.result).toEqual({ caught: 'CHILD_RUN_FAILED', cause: 'negative: -3' });
  });

  it('a parent failed by its child goes on after the child is retried and the parent retried', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    const weft = make({ child: child.wf, parent: parent.wf });
    const run = await parent.wf.createRun();
    await run.startAsync({ inputData: { n: -5 } });
    await statusOf(weft, run.runId, 'failed');
    const [link] = (await weft.getRunLinks(run.runId)).children;
    // Retrying the parent alone attaches to the same failed child: it fails again, starting nothing.
    await weft.retryRun(parent.wf.id, run.runId);
    expect((await statusOf(weft, run.runId, 'failed')).error).toMatchObject({ code: 'CHILD_RUN_FAILED' });
    expect(child.calls.count).toBe(1);
    // The child retried (now it succeeds: the fault was fixed) does not move the failed parent ...
    child.fix();
    await weft.retryRun(child.wf.id, link!.runId);
    await statusOf(weft, link!.runId, 'success');
    expect((await weft.getRun(run.runId))?.status).toBe('failed');
    // ... a retry of the parent then takes its result.
    await weft.retryRun(parent.wf.id, run.runId);
    expect((await statusOf(weft, run.runId, 'success')).result).toEqual({ got: { doubled: 10 } });
    expect((await weft.getRunLinks(run.runId)).children).toHaveLength(1);
  });

  it('a step that catches every error still parks while its child runs', async () => {
    const child = childWorkflow();
    const greedy = createWorkflow({ id: uid('greedy'), inputSchema: z.any(), outputSchema: z.any() })
      .then(
        createStep({
          id: 'spawn',
          inputSchema: z.any(),
          outputSchema: z.any(),
          execute: async (ctx) => {
            try {
              return await ctx.startWorkflow(child.wf, { n: 8 });
            } catch {
              return 'swallowed';
            }
          },
        }),
      )
      .commit();
    const weft = make({ child: child.wf, greedy });
    child.hold();
    const run = await greedy.createRun();
    await run.startAsync({ inputData: {} });
    await statusOf(weft, run.runId, 'waiting');
    child.gate.open();
    expect((await statusOf(weft, run.runId, 'success')).result).toEqual({ doubled: 16 });
  });

  it('time travel to the step that started a child attaches to the same child', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf);
    const weft = make({ child: child.wf, parent: parent.wf });
    const run = await parent.wf.createRun();
    expect(await run.start({ inputData: { n: 2 } })).toMatchObject({ status: 'success', result: { got: { doubled: 4 } } });
    expect(await run.timeTravel({ step: 'spawn' })).toMatchObject({ status: 'success', result: { got: { doubled: 4 } } });
    expect(child.calls.count).toBe(1);
    expect((await weft.getRunLinks(run.runId)).children).toHaveLength(1);
  });

  it('canceling the parent cancels its unfinished child; canceling a child throws CHILD_RUN_CANCELED in the parent', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf, { catchErrors: true });
    const weft = make({ child: child.wf, parent: parent.wf });
    child.hold();
    const { run: a, childId: childA } = await startWaiting(weft, parent.wf);
    await a.cancel();
    await statusOf(weft, childA, 'canceled');
    expect((await weft.getRun(a.runId))?.status).toBe('canceled');

    const { run: b, childId: childB } = await startWaiting(weft, parent.wf);
    await weft.cancelRun(childB);
    const done = await statusOf(weft, b.runId, 'success');
    expect(done.result).toEqual({ caught: 'CHILD_RUN_CANCELED' });
  });

  it('a child deleted while its parent waits fails the call with CHILD_RUN_NOT_FOUND', async () => {
    const child = childWorkflow();
    const parent = parentWorkflow(child.wf, { catchErrors: true });
    const weft = make({ child: child.wf, parent: parent.wf });
    child.hold();
    const { run, childId } = await startWaiting(weft, parent.wf);
    await child.wf.deleteWorkflowRunById(childId);
    expect((await statusOf(weft, run.runId, 'success')).result).toEqual({ caught: 'CHILD_RUN_NOT_FOUND' });
    child.gate.open();
  });

  it('canceling reaches grandchildren: a cancel of the top run cancels the whole unfinished tree', async () => {
    const child = childWorkflow();
    const middle = parentWorkflow(child.wf);
    const top = parentWorkflow(middle.wf);
    const weft = make({ child: child.wf, middle: middle.wf, top: top.wf });
    child.hold();
    const { run, childId: middleId } = await startWaiting(weft, top.wf);
    const leafId = await waitingChild(weft, middleId);
    await statusOf(weft, leafId, 'running');
    await weft.cancelRun(run.runId);
    for (const id of [run.runId, middleId, leafId]) expect((await weft.getRun(id))?.status).toBe('canceled');
    child.gate.open();
  });

  it('an unregistered workflow or bad input is refused with a named error before anything is written', async () => {
    const child = childWorkflow();
    const stranger = childWorkflow();
    const unknown = parentWorkflow(stranger.wf, { catchErrors: true });
    const bad = createWorkflow({ id: uid('bad'), inputSchema: z.any(), outputSchema: z.any() })
      .then(
        createStep({
          id: 'spawn',
          inputSchema: z.any(),
          outputSchema: z.any(),
          execute: async (ctx) => {
            try {
              await ctx.startWorkflow(child.wf, { n: 'not a number' } as never);
              return 'started';
            } catch (err) {
              return (err as { code?: string }).code;
            }
          },
        }),
      )
      .commit();
    const weft = make({ child: child.wf, unknown: unknown.wf, bad });
    const u = await unknown.wf.createRun();
    expect((await u.start({ inputData: { n: 1 } }))).toMatchObject({ status: 'success', result: { caught: 'WORKFLOW_NOT_FOUND' } });
    const b = await bad.createRun();
    expect(await b.start({ inputData: {} })).toMatchObject({ status: 'success', result: 'VALIDATION_FAILED' });
    expect((await weft.listRuns({ workflowId: child.wf.id })).runs).toHaveLength(0);
    expect((await weft.getRunLinks(b.runId)).children).toEqual([]);
  });

  it('a given runId is used; a run of that id that is not the call child is refused with CHILD_RUN_CONFLICT', async () => {
    const child = childWorkflow();
    const fixedId = uid('fixed-child');
    const parent = parentWorkflow(child.wf, { runId: fixedId, catchErrors: true });
    const weft = make({ child: child.wf, parent: parent.wf });
    const run = await parent.wf.createRun();
    expect(await run.start({ inputData: { n: 5 } })).toMatchObject({ status: 'success', result: { got: { doubled: 10 } } });
    expect((await weft.getRunLinks(fixedId)).parent?.runId).toBe(run.runId);
    // A second parent naming the same id finds a run it did not start.
    const other = await parent.wf.createRun();
    expect(await other.start({ inputData: { n: 5 } })).toMatchObject({ status: 'success', result: { caught: 'CHILD_RUN_CONFLICT' } });
  });

  it('several children started at once (Promise.all) are awaited together, each once', async () => {
    const child = childWorkflow();
    const fan = createWorkflow({ id: uid('fan'), inputSchema: z.object({ ns: z.array(z.number()) }), outputSchema: z.any() })
      .then(
        createStep({
          id: 'fan',
          inputSchema: z.object({ ns: z.array(z.number()) }),
          outputSchema: z.any(),
          execute: async (ctx) => Promise.all(ctx.inputData.ns.map((n) => ctx.startWorkflow(child.wf, { n }))),
        }),
      )
      .commit();
    const weft = make({ child: child.wf, fan });
    const run = await fan.createRun();
    await run.startAsync({ inputData: { ns: [1, 2, 3, 4] } });
    const done = await statusOf(weft, run.runId, 'success');
    expect(done.result).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }, { doubled: 8 }]);
    expect(child.calls.count).toBe(4);
    expect((await weft.getRunLinks(run.runId)).children.map((c) => c.path).sort()).toEqual(['fan@child0', 'fan@child1', 'fan@child2', 'fan@child3']);
  });
});
