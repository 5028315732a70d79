import type { SerializedNode, SerializedStep } from '../../../define/graph.js';
import type { StepResult } from '../../../define/run-types.js';
import type { Dom } from './dom.js';

export interface GraphOpts {
  steps?: Record<string, StepResult> | undefined;
  onSelect?: (key: string) => void;
  selected?: string;
}

/**
 * Draws a serialised step graph as nested boxes joined by arrows: sequence top to bottom, parallel and
 * branch side by side under a fork, loops/foreach/nested workflows as labelled frames (a nested
 * workflow's steps inside its frame). Each node has one name, the id results and the timeline use
 * (`sleep_2`, with "1500 ms" as a note), and its description. When step results are given, each node
 * is coloured by its status and the status is also written out (colour is never the only signal);
 * with `onSelect`, nodes are buttons that open that step.
 */
export function graphLib(dom: Dom) {
  const { h } = dom;


  function statusText(r: StepResult | undefined): string {
    if (!r) return 'not run';
    const extra: string[] = [];
    if (r.attempts > 1) extra.push(`${r.attempts} attempts`);
    if (Array.isArray(r.output) && r.status === 'success') extra.push(`${r.output.length} items`);
    return [r.status, ...extra].join(' · ');
  }

  function nodeEl(key: string, name: string, notes: (string | undefined)[], o: GraphOpts, small: boolean): HTMLElement {
    const r = o.steps?.[key];
    const status = r?.status ?? (o.steps ? 'not-run' : 'idle');
    const attrs: Record<string, string | number | boolean | EventListener | undefined> = {
      className: `node ${small ? 'small ' : ''}st-${status}${o.selected === key ? ' selected' : ''}`,
      'data-step': key,
    };
    if (o.onSelect && r) {
      const select = o.onSelect;
      attrs.role = 'button';
      attrs.tabindex = 0;
      attrs['aria-label'] = `step ${key}, ${statusText(r)}: show details`;
      attrs.onclick = () => select(key);
      attrs.onkeydown = ((ev: KeyboardEvent) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          select(key);
        }
      }) as EventListener;
    }
    return h(
      'div',
      attrs,
      h('span', { className: 'node-id' }, name),
      ...notes.filter((n): n is string => !!n).map((n) => h('span', { className: 'node-note' }, n)),
      o.steps ? h('span', { className: 'node-status' }, statusText(r)) : null,
    );
  }

  function stepBox(step: SerializedStep, prefix: string, o: GraphOpts, note?: string): HTMLElement {
    const key = prefix + step.id;
    if (step.component === 'WORKFLOW' && step.serializedStepFlow) {
      const r = o.steps?.[key];
      return h(
        'div',
        { className: `frame nested ${r ? `st-${r.status}` : ''}`, role: 'group', 'aria-label': `nested workflow ${step.id}`, 'data-step': key },
        h('div', { className: 'frame-label' }, `workflow ${step.id}`, note ? ` · ${note}` : '', r ? ` · ${r.status}` : ''),
        step.description ? h('div', { className: 'node-note' }, step.description) : null,
        sequence(step.serializedStepFlow, `${key}.`, o),
      );
    }
    return nodeEl(key, step.id, [note, step.description], o, false);
  }

  function node(n: SerializedNode, prefix: string, o: GraphOpts): HTMLElement {
    switch (n.type) {
      case 'step':
        return stepBox(n.step, prefix, o);
      case 'parallel':
      case 'conditional':
        return h(
          'div',
          { className: `frame fork ${n.type}`, role: 'group', 'aria-label': n.type === 'parallel' ? 'parallel steps' : 'branch' },
          h('div', { className: 'frame-label' }, n.type === 'parallel' ? 'parallel: all run' : 'branch: the first true condition runs'),
          h('div', { className: 'row' }, ...n.steps.map((c) => h('div', { className: 'lane' }, node(c, prefix, o)))),
        );
      case 'loop':
        return h('div', { className: 'frame loop', role: 'group', 'aria-label': n.loopType }, h('div', { className: 'frame-label' }, `${n.loopType} ↺`), stepBox(n.step, prefix, o));
      case 'foreach': {
        const r = o.steps?.[prefix + n.step.id];
        const items = Array.isArray(r?.output) ? ` · ${r.output.length} items` : '';
        return h(
          'div',
          { className: 'frame foreach', role: 'group', 'aria-label': 'foreach' },
          h('div', { className: 'frame-label' }, `foreach · concurrency ${n.opts.concurrency}${items}`),
          stepBox(n.step, prefix, o),
        );
      }
      case 'map':
        return nodeEl(prefix + n.id, n.id, ['map', n.description], o, true);
      case 'sleep':
        return nodeEl(prefix + n.id, n.id, [n.duration !== undefined ? `sleep ${n.duration} ms` : 'sleep (computed)'], o, true);
      case 'sleepUntil':
        return nodeEl(prefix + n.id, n.id, [n.date ? `sleep until ${new Date(n.date).toLocaleString()}` : 'sleep until (computed)'], o, true);
      case 'waitForEvent':
        return h(
          'div',
          { className: 'frame', role: 'group', 'aria-label': 'wait for event' },
          h('div', { className: 'frame-label' }, `wait for ${n.events.join(' or ')}${n.timeout !== undefined ? ` · timeout ${n.timeout} ms` : ''}`),
          stepBox(n.step, prefix, o),
        );
    }
  }

  function sequence(nodes: SerializedNode[], prefix: string, o: GraphOpts): HTMLElement {
    const list = h('ol', { className: 'seq' });
    for (const n of nodes) list.appendChild(h('li', {}, node(n, prefix, o)));
    return list;
  }

  /** The graph of a workflow; pass `steps` (a run's step results) to colour it, `onSelect` to open steps. */
  function renderGraph(nodes: SerializedNode[], steps?: Record<string, StepResult>, opts: Omit<GraphOpts, 'steps'> = {}): HTMLElement {
    return h('div', { className: 'graph' }, sequence(nodes, '', { ...opts, steps }));
  }

  /** Sleep nodes by key with when they wake relative to their start (a fixed duration) or absolutely. */
  function sleeps(nodes: SerializedNode[], prefix = '', out: Record<string, { ms?: number; at?: number }> = {}): Record<string, { ms?: number; at?: number }> {
    for (const n of nodes) {
      if (n.type === 'sleep' && n.duration !== undefined) out[prefix + n.id] = { ms: n.duration };
      else if (n.type === 'sleepUntil' && n.date) out[prefix + n.id] = { at: Date.parse(n.date) };
      else if (n.type === 'step' && n.step.serializedStepFlow) sleeps(n.step.serializedStepFlow, `${prefix}${n.step.id}.`, out);
      else if (n.type === 'parallel' || n.type === 'conditional') sleeps(n.steps, prefix, out);
    }
    return out;
  }

  /** Step descriptions by key (the panel shows them). */
  function descriptions(nodes: SerializedNode[], prefix = '', out: Record<string, string> = {}): Record<string, string> {
    const add = (s: SerializedStep) => {
      if (s.description) out[prefix + s.id] = s.description;
      if (s.serializedStepFlow) descriptions(s.serializedStepFlow, `${prefix}${s.id}.`, out);
    };
    for (const n of nodes) {
      if (n.type === 'step' || n.type === 'loop' || n.type === 'foreach') add(n.step);
      else if (n.type === 'parallel' || n.type === 'conditional') descriptions(n.steps, prefix, out);
      else if (n.type === 'map' && n.description) out[prefix + n.id] = n.description;
    }
    return out;
  }

  return { renderGraph, sleeps, descriptions };
}

export type Graph = ReturnType<typeof graphLib>;
