import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft, type Store } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';

/** A real SQLite store whose claims wait at a gate while `held` is set (to stop an engine mid-claim). */
function gatedClaims(inner: Store) {
  const gate = { held: false, entered: 0, release: () => {} };
  let opened: Promise<void> = Promise.resolve();
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'claimRuns') {
        const claim = (Reflect.get(target, prop, receiver) as Store['claimRuns']).bind(target);
        return async (opts: Parameters<Store['claimRuns']>[0]) => {
          if (gate.held) {
            gate.held = false;
            opened = new Promise<void>((resolve) => (gate.release = resolve));
            gate.entered++;
            await opened;
          }
          return claim(opts);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store, gate };
}

const N = z.object({ n: z.number() });
const build = () =>
  createWorkflow({ id: 'stop-claim', inputSchema: N, outputSchema: N })
    .then(createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) }))
    .commit();

let dir: string;
const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
  rmSync(dir, { recursive: true, force: true });
});

describe('stopping an engine while its worker is claiming', () => {
  it('waits for the claim, stops and releases what it handed over, and never calls the closed store', async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-stop-claim-'));
    const path = join(dir, 'w.db');
    const { store, gate } = gatedClaims(sqliteStore({ path }));
    const errors: unknown[] = [];
    const worker = new Weft({ workflows: { wf: build() }, store, worker: { pollMs: 10 }, onError: (err) => errors.push(err) });
    wefts.push(worker);
    await worker.start();
    gate.held = true;
    await waitUntil(() => gate.entered === 1, { message: 'a claim of the worker to be in flight' });

    // Another process (an engine that does not execute) queues a run while that claim is held.
    const producer = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path }), worker: false, onError: (err) => errors.push(err) });
    wefts.push(producer);
    await producer.start();
    const run = await producer.getWorkflow('wf').createRun();
    await run.startAsync({ inputData: { n: 1 } });

    let stopped = false;
    const stopping = worker.stop({ timeoutMs: 200 }).then(() => (stopped = true));
    // stop() cannot end before the claim the store is answering has come back.
    await Promise.resolve();
    expect(stopped).toBe(false);
    gate.release();
    await stopping;

    expect(errors).toEqual([]);
    // The run the held claim handed over was either finished or released by the stop: nobody owns it.
    const after = await producer.getRun(run.runId);
    expect(after).not.toBeNull();
    expect(['pending', 'success']).toContain(after!.status);
    const stored = sqliteStore({ path });
    await stored.open();
    try {
      expect((await stored.loadRun(run.runId))?.owner ?? null).toBeNull();
    } finally {
      await stored.close();
    }
  });
});
