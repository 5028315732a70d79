import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { fitStructure, type FitRow } from '../../src/engine/journal-fit.js';

/** A step's child-run call rows (`<step>@child<n>`) fit the graph: workers and `weft check` accept them. */
const step = (id: string) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async () => null });
const wf = createWorkflow({ id: 'fit-parent', inputSchema: z.any(), outputSchema: z.any() }).then(step('spawn')).then(step('after')).commit();
const row = (path: string, status: FitRow['status'], kind: FitRow['kind'] = 'step'): FitRow => ({ path, kind, status, output: status === 'success' ? '1' : null });

describe('journal fit with child-run rows', () => {
  it('a step waiting for its children, and one that finished after them, fit', () => {
    expect(fitStructure(wf, [row('spawn@child0', 'success', 'decision'), row('spawn@child1', 'waiting', 'decision')]).divergence).toBeNull();
    expect(fitStructure(wf, [row('spawn@child0', 'success', 'decision'), row('spawn', 'success'), row('after', 'success')]).divergence).toBeNull();
  });

  it('call rows of a step that is gone are reported', () => {
    const d = fitStructure(wf, [row('removed@child0', 'waiting', 'decision')]).divergence;
    expect(d?.path).toBe('removed@child0');
  });
});
