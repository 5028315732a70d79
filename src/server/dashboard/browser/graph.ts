import type { SerializedNode, SerializedStep } from '../../../define/graph.js';
import type { StepResult } from '../../../define/run-types.js';
import type { Dom } from './dom.js';

/**
 * Draws a serialised step graph as nested boxes: sequence top to bottom, parallel and branch side by
 * side, loops/foreach/nested workflows as labelled frames. When step results are given, each node is
 * coloured by its status and the status is also written out (colour is never the only signal).
 */
export function graphLib(dom: Dom) {
  const { h } = dom;
  type Steps = Record<string, StepResult> | undefined;

  function stepBox(step: SerializedStep, prefix: string, steps: Steps, note?: string): HTMLElement {
    const key = prefix + step.id;
    if (step.component === 'WORKFLOW' && step.serializedStepFlow) {
      const r = steps?.[key];
      return h(
        'div',
        { className: `frame nested ${r ? `st-${r.status}` : ''}`, role: 'group', 'aria-label': `nested workflow ${step.id}` },
        h('div', { className: 'frame-label' }, `workflow ${step.id}`, note ? ` · ${note}` : '', r ? ` · ${r.status}` : ''),
        sequence(step.serializedStepFlow, `${key}.`, steps),
      );
    }
    const r = steps?.[key];
    const status = r?.status ?? (steps ? 'not-run' : 'idle');
    return h(
      'div',
      { className: `node st-${status}`, 'data-step': key, title: step.description ?? step.id },
      h('span', { className: 'node-id' }, step.id),
      note ? h('span', { className: 'node-note' }, note) : null,
      steps ? h('span', { className: 'node-status' }, r ? `${r.status}${r.attempts > 1 ? ` · ${r.attempts} attempts` : ''}` : 'not run') : null,
    );
  }

  function smallNode(label: string, id: string, steps: Steps, prefix: string): HTMLElement {
    const r = steps?.[prefix + id];
    return h('div', { className: `node small st-${r?.status ?? (steps ? 'not-run' : 'idle')}`, 'data-step': prefix + id }, h('span', { className: 'node-id' }, label), r ? h('span', { className: 'node-status' }, r.status) : null);
  }

  function node(n: SerializedNode, prefix: string, steps: Steps): HTMLElement {
    switch (n.type) {
      case 'step':
        return stepBox(n.step, prefix, steps);
      case 'parallel':
      case 'conditional':
        return h(
          'div',
          { className: 'frame', role: 'group', 'aria-label': n.type === 'parallel' ? 'parallel steps' : 'branch' },
          h('div', { className: 'frame-label' }, n.type === 'parallel' ? 'parallel' : 'branch'),
          h('div', { className: 'row' }, ...n.steps.map((c) => node(c, prefix, steps))),
        );
      case 'loop':
        return h('div', { className: 'frame', role: 'group', 'aria-label': n.loopType }, h('div', { className: 'frame-label' }, n.loopType), stepBox(n.step, prefix, steps));
      case 'foreach':
        return h(
          'div',
          { className: 'frame', role: 'group', 'aria-label': 'foreach' },
          h('div', { className: 'frame-label' }, `foreach · concurrency ${n.opts.concurrency}`),
          stepBox(n.step, prefix, steps),
        );
      case 'map':
        return smallNode(`map ${n.id}`, n.id, steps, prefix);
      case 'sleep':
        return smallNode(n.duration !== undefined ? `sleep ${n.duration} ms` : 'sleep', n.id, steps, prefix);
      case 'sleepUntil':
        return smallNode(n.date ? `sleep until ${n.date}` : 'sleep until', n.id, steps, prefix);
      case 'waitForEvent':
        return h(
          'div',
          { className: 'frame', role: 'group', 'aria-label': 'wait for event' },
          h('div', { className: 'frame-label' }, `wait for ${n.events.join(' or ')}${n.timeout !== undefined ? ` · timeout ${n.timeout} ms` : ''}`),
          stepBox(n.step, prefix, steps),
        );
    }
  }

  function sequence(nodes: SerializedNode[], prefix: string, steps: Steps): HTMLElement {
    const list = h('ol', { className: 'seq' });
    for (const n of nodes) list.appendChild(h('li', {}, node(n, prefix, steps)));
    return list;
  }

  /** The graph of a workflow; pass `steps` (a run's step results) to colour it by status. */
  function renderGraph(nodes: SerializedNode[], steps?: Record<string, StepResult>): HTMLElement {
    return h('div', { className: 'graph' }, sequence(nodes, '', steps));
  }

  return { renderGraph };
}

export type Graph = ReturnType<typeof graphLib>;
