import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft } from '../../src/index.js';
import type { Store, WriteOutcome } from '../../src/store/types.js';
import { newRun } from './contract-helpers.js';
import { outcome, waitUntil } from './pg-helpers.js';

/**
 * SQLite on a real, small filesystem (a tmpfs with a size limit, which needs root): a write that meets
 * a full disk fails with a retryable STORE_FULL, the run that met it finishes once space is back, and
 * the WAL gives its space back so freed space stays usable.
 */
function mountTmpfs(sizeMb: number): { dir: string; unmount: () => void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'weft-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const volumes: { dir: string; unmount: () => void }[] = [];
const probe = mountTmpfs(1);
probe?.unmount();
if (!probe) console.warn('[sqlite-full] skipped: cannot mount a tmpfs here (needs root)');
afterAll(() => {
  for (const v of volumes) v.unmount();
});

function volume(sizeMb: number): string {
  const v = mountTmpfs(sizeMb);
  if (!v) throw new Error('cannot mount a tmpfs');
  volumes.push(v);
  return v.dir;
}

/** Fills the volume to the last byte; returns the filler's descriptor, to give space back later. */
function fill(dir: string): { fd: number; free: (bytes: number) => void; close: () => void } {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let size = chunk.length; size >= 1; ) {
    try {
      writeSync(fd, chunk, 0, size);
    } catch {
      size = Math.floor(size / 2);
    }
  }
  return {
    fd,
    free: (bytes) => ftruncateSync(fd, Math.max(0, statSync(join(dir, 'filler')).size - bytes)),
    close: () => closeSync(fd),
  };
}

const MB = 1024 * 1024;
const state = (i: number): string => JSON.stringify({ i, pad: String(i % 10).repeat(200_000) });

describe.skipIf(!probe)('sqlite: a full disk', () => {
  it('fails a write with a retryable STORE_FULL, and freed space stays usable (the WAL gives its space back)', async () => {
    const dir = volume(16);
    const store = sqliteStore({ path: join(dir, 'weft.db') });
    await store.open();
    const { run } = await store.createRun(newRun({ status: 'running', owner: 'w', leaseExpiresAt: Date.now() + 60_000, now: Date.now() }));
    const patch = (i: number) => store.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch, now: Date.now(), patch: { state: state(i) } }]);
    const filler = fill(dir);
    try {
      const full = await outcome(patch(0));
      expect(full.ok ? null : full.error).toMatchObject({ code: 'STORE_FULL', retryable: true });
      // 3 MiB free again. Forty 200 KB rewrites of one run's state write 8 MB to the WAL: with a WAL
      // that only grows until 64 MiB, they would fill the volume again; checkpointed often, they fit.
      filler.free(3 * MB);
      for (let i = 1; i <= 40; i++) {
        const r = await outcome(patch(i));
        expect(r.ok ? `write ${i} ok` : `write ${i}: ${String((r.error as Error).message)}`).toBe(`write ${i} ok`);
      }
      expect((await store.loadRun(run.runId))?.state).toBe(state(40));
    } finally {
      filler.close();
      await store.close();
    }
  });

  it('a run whose step result met the full disk finishes once space is back, its step run once', async () => {
    const dir = volume(8);
    let entered = false;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const calls = { big: 0 };
    const S = z.object({ blob: z.string() });
    const big = createStep({
      id: 'big',
      inputSchema: z.object({ n: z.number() }),
      outputSchema: S,
      execute: async () => {
        calls.big++;
        entered = true;
        await gate;
        return { blob: 'y'.repeat(400_000) };
      },
    });
    const wf = createWorkflow({ id: 'full', inputSchema: z.object({ n: z.number() }), outputSchema: S }).then(big).commit();
    const store = sqliteStore({ path: join(dir, 'weft.db') });
    const errors: string[] = [];
    const settled = store.writeSettled!.bind(store);
    store.writeSettled = async (ops) => {
      try {
        const out: WriteOutcome = await settled(ops);
        for (const f of out.failed ?? []) errors.push((f.error as { code?: string }).code ?? 'unknown');
        return out;
      } catch (err) {
        errors.push((err as { code?: string }).code ?? 'unknown');
        throw err;
      }
    };
    const weft = new Weft({ workflows: { wf }, store: store as Store, worker: { pollMs: 20, leaseMs: 60_000 }, onError: () => {} });
    await weft.start();
    let filler: ReturnType<typeof fill> | null = null;
    try {
      await (await wf.createRun({ runId: 'r1' })).startAsync({ inputData: { n: 1 } });
      await waitUntil(() => entered, 'the step to start');
      filler = fill(dir);
      open();
      await waitUntil(() => errors.includes('STORE_FULL'), 'the step result to meet the full disk');
      expect((await wf.getWorkflowRunExecutionResult('r1'))?.status).toBe('running');
      filler.free(4 * MB);
      const done = await waitUntil(async () => {
        const r = await wf.getWorkflowRunExecutionResult('r1');
        return r?.status === 'success' || r?.status === 'failed' ? r : null;
      }, 'the run to settle once space is back');
      expect(done.status).toBe('success');
      expect(calls.big).toBe(1);
    } finally {
      open();
      filler?.close();
      await weft.stop();
    }
  });
});
