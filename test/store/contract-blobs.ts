import { describe, expect, it } from 'vitest';
import { encodeLarge, newCodecState, type CodecOptions } from '../../src/domain/value-codec.js';
import type { Store } from '../../src/store/types.js';
import { T0, entry, runIn } from './contract-helpers.js';

const OPTS: CodecOptions = { inlineMax: 200, chunk: 4, maxDepth: 256 };

const conversation = (n: number) => ({ messages: Array.from({ length: n }, (_, i) => ({ i, text: `message ${i} `.repeat(30) })) });

/**
 * Values stored by content (domain/value-codec.ts): a row's blobs are kept with the run in the same
 * write, rows read back resolved, blobs are shared between rows and runs do not see each other's, and
 * deleting the run deletes them.
 */
export function blobContract(f: { store: Store }): void {
  describe('blobs', () => {
    it('stores a row with its blobs and reads it back resolved, from every read path', async () => {
      const run = await runIn(f.store, 'running');
      const state = newCodecState();
      const v1 = conversation(10);
      const e1 = encodeLarge(v1, OPTS, state);
      expect(e1.blobs.length).toBeGreaterThan(3);
      const v2 = { messages: [...v1.messages, { i: 10, text: 'new '.repeat(60) }] };
      const e2 = encodeLarge(v2, OPTS, state);
      // The second value shares the first one's blobs: only the new message and the changed parts are new.
      expect(e2.blobs.length).toBeLessThan(e1.blobs.length);
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a', { output: e1.text, blobs: e1.blobs }) },
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'b', { input: e1.text, output: e2.text, blobs: e2.blobs }) },
      ]);
      const rows = await f.store.loadJournal(run.runId);
      expect(rows.map((r) => r.path)).toEqual(['a', 'b']);
      expect(JSON.parse(rows[0]!.output!)).toEqual(v1);
      expect(JSON.parse(rows[1]!.input!)).toEqual(v1);
      expect(JSON.parse(rows[1]!.output!)).toEqual(v2);
      expect(rows.every((r) => r.blobs === undefined)).toBe(true);
      expect(await f.store.blobBytes(run.runId)).toBe([...e1.blobs, ...e2.blobs].reduce((n, b) => n + Buffer.byteLength(b.data), 0));
      // A claim after the lease expired reads the same resolved rows.
      const claimed = await f.store.claimRun(run.runId, { owner: 'w9', leaseMs: 1000, now: T0 + 10_000_000 });
      expect(claimed && JSON.parse(claimed.journal[1]!.output!)).toEqual(v2);
    });

    it('keeps a blob written twice once, and a run never reads another run\'s blobs', async () => {
      const a = await runIn(f.store, 'running');
      const b = await runIn(f.store, 'running');
      const e = encodeLarge(conversation(6), OPTS);
      await f.store.write([
        { type: 'journal', epoch: a.leaseEpoch, entry: entry(a.runId, 'x', { output: e.text, blobs: e.blobs }) },
        { type: 'journal', epoch: a.leaseEpoch, entry: entry(a.runId, 'y', { output: e.text, blobs: e.blobs }) },
      ]);
      const bytes = await f.store.blobBytes(a.runId);
      expect(bytes).toBe(e.blobs.reduce((n, x) => n + Buffer.byteLength(x.data), 0));
      // Run b references the same hashes without storing them: its row cannot be resolved.
      await f.store.write([{ type: 'journal', epoch: b.leaseEpoch, entry: entry(b.runId, 'x', { output: e.text }) }]);
      expect((await f.store.loadJournal(b.runId))[0]!.output).toBe(e.text);
      expect(await f.store.blobBytes(b.runId)).toBe(0);
    });

    it('a fenced write stores none of its blobs', async () => {
      const run = await runIn(f.store, 'running');
      const e = encodeLarge(conversation(6), OPTS);
      const out = await f.store.write([{ type: 'journal', epoch: run.leaseEpoch + 5, entry: entry(run.runId, 'x', { output: e.text, blobs: e.blobs }) }]);
      expect(out.fenced).toEqual([run.runId]);
      expect(await f.store.blobBytes(run.runId)).toBe(0);
    });

    it('deleting a run deletes its blobs; a rewind keeps them for the history', async () => {
      const run = await runIn(f.store, 'running');
      const v = conversation(8);
      const e = encodeLarge(v, OPTS);
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a', { output: e.text, blobs: e.blobs }) },
        { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'success', result: '{}', release: true }, now: T0 + 10 },
      ]);
      await f.store.reviseRun({ runId: run.runId, from: ['success'], journal: { rows: [], reason: 'rewind' }, patch: {}, owner: null, leaseExpiresAt: null, now: T0 + 20 });
      const history = await f.store.loadHistory(run.runId);
      expect(JSON.parse(history[0]!.rows[0]!.output!)).toEqual(v);
      expect(await f.store.blobBytes(run.runId)).toBeGreaterThan(0);
      expect(await f.store.deleteRun(run.runId)).toBe(true);
      expect(await f.store.blobBytes(run.runId)).toBe(0);
    });
  });
}
