import { describe, expect, it } from 'vitest';
import type { WorkflowEvent } from '../../src/domain/workflow-events.js';
import { FinalChunks } from '../../src/engine/durable-stream.js';
import type { RunStreamEvent } from '../../src/engine/stream-reader.js';

/**
 * The rule that keeps superseded chunks from a durable handle stream (docs/api.md, "Run handle
 * streams"): chunks wait for their call's record, a reset drops the ones it voids, the rest pass.
 */
const ev = (id: string, type: string, payload: Record<string, unknown>, step?: string): RunStreamEvent => ({
  id,
  event: { type, runId: 'r', from: 'WORKFLOW', payload } as WorkflowEvent,
  ...(step ? { step } : {}),
});
const label = (e: WorkflowEvent) => `${e.type}:${String(e.payload.output ?? e.payload.n ?? e.payload.id ?? '')}`;

describe('FinalChunks', () => {
  it('holds a call\'s chunks (output and data-*) until its result, then passes them before it, in order', () => {
    const g = new FinalChunks();
    const out: string[] = [];
    const push = (e: RunStreamEvent) => out.push(...g.push(e).map(label));
    push(ev('0:0', 'workflow-start', {}));
    push(ev('1:0', 'workflow-step-start', { id: 'a' }));
    push(ev('2:0', 'workflow-step-output', { id: 'a', output: 'a1' }, 'a'));
    push(ev('3:0', 'workflow-step-output', { id: 'b', output: 'b1' }, 'b'));
    push(ev('4:0', 'data-note', { n: 'a-note' }, 'a'));
    expect(out).toEqual(['workflow-start:', 'workflow-step-start:a']);
    push(ev('5:2', 'workflow-step-result', { id: 'a', status: 'success' }));
    expect(out.slice(2)).toEqual(['workflow-step-output:a1', 'data-note:a-note', 'workflow-step-result:a']);
    // b's chunk is still held: b has no record yet.
    expect(out).not.toContain('workflow-step-output:b1');
  });

  it('a reset drops the held chunks it voids and is not passed on; the replacement passes once recorded', () => {
    const g = new FinalChunks();
    const out: string[] = [];
    const push = (e: RunStreamEvent) => out.push(...g.push(e).map(label));
    push(ev('2:0', 'workflow-step-output', { id: 's', output: 'old1' }, 's'));
    push(ev('3:0', 'workflow-step-output', { id: 's', output: 'old2' }, 's'));
    push(ev('4:0', 'workflow-step-output-reset', { id: 's', voided: ['2:0', '3:0'] }));
    push(ev('5:0', 'workflow-step-output', { id: 's', output: 'new1' }, 's'));
    push(ev('6:2', 'workflow-step-suspended', { id: 's' }));
    expect(out).toEqual(['workflow-step-output:new1', 'workflow-step-suspended:s']);
  });

  it('a finish (or flush) passes what is still held, in stream order: a failed call\'s chunks are final', () => {
    const g = new FinalChunks();
    g.push(ev('3:0', 'workflow-step-output', { id: 'b', output: 'b1' }, 'b'));
    g.push(ev('2:0', 'workflow-step-output', { id: 'a', output: 'a1' }, 'a'));
    g.push(ev('10:0', 'workflow-step-output', { id: 'a', output: 'a2' }, 'a'));
    expect(g.push(ev('11:9', 'workflow-finish', { workflowStatus: 'failed' })).map(label)).toEqual([
      'workflow-step-output:a1',
      'workflow-step-output:b1',
      'workflow-step-output:a2',
      'workflow-finish:',
    ]);
    expect(g.flush()).toEqual([]);
  });
});
