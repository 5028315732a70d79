import type { StepResult, StepView } from '../../../define/run-types.js';
import type { Dom } from './dom.js';
import type { ErrorView } from './error-view.js';

export interface PanelInput {
  key: string;
  /** The status to show (a canceled run's suspended step shows as canceled). */
  status: string;
  step: StepResult;
  /** The stored shape (errors with their stacks). */
  view: StepView | undefined;
  description?: string;
  wakeAt?: number;
}

/**
 * One step in full, opened from the graph or the timeline: what it got and gave, its error readable,
 * every attempt (with each failed attempt's error and the delay before the next), its suspension and
 * resume (payload, data, when, how long it waited), when a sleep wakes, and a foreach's items one by
 * one on demand.
 */
export function stepPanelLib(dom: Dom, errors: ErrorView) {
  const { h } = dom;


  function dl(rows: [string, string | HTMLElement][]): HTMLElement {
    const list = h('dl', { className: 'facts' });
    for (const [k, v] of rows) list.append(h('dt', {}, k), h('dd', {}, v));
    return list;
  }

  function attempts(view: StepView | undefined, step: StepResult): HTMLElement | null {
    const history = view?.attemptHistory ?? step.attemptHistory;
    if (!history || history.length === 0) return null;
    const body = h('tbody');
    for (const a of history) {
      const outcome = a.error ? h('details', {}, h('summary', {}, errors.errorLine(a.error)), errors.renderError(a.error, `error of attempt ${a.attempt}`)) : 'succeeded';
      body.appendChild(
        h(
          'tr',
          { 'data-attempt': a.attempt },
          h('th', { scope: 'row' }, `#${a.attempt}`),
          h('td', {}, dom.fmtTime(a.startedAt)),
          h('td', {}, dom.fmtDuration(a.endedAt !== undefined ? a.endedAt - a.startedAt : undefined)),
          h('td', {}, outcome),
          h('td', {}, a.retryDelayMs !== undefined ? `retried after ${dom.fmtDuration(a.retryDelayMs)}` : '—'),
        ),
      );
    }
    return h(
      'table',
      { className: 'attempts' },
      h('caption', {}, `Attempts (${history.length})`),
      h('thead', {}, h('tr', {}, ...['Attempt', 'Started', 'Took', 'Outcome', 'Next'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    );
  }

  function items(key: string, output: unknown[]): HTMLElement {
    const wrap = h('div', { className: 'items' }, h('h3', {}, `Items (${output.length})`));
    output.forEach((item, i) => {
      const d = h('details', { className: 'item', 'data-item': i }, h('summary', {}, `item ${i}`));
      // Each item's detail is built when opened: a foreach can have thousands.
      d.addEventListener('toggle', () => {
        if (d.open && d.children.length === 1) d.appendChild(dom.jsonBlock(item, `output of ${key} item ${i}`));
      });
      wrap.appendChild(d);
    });
    return wrap;
  }

  function render(p: PanelInput, onClose: () => void): HTMLElement {
    const s = p.step;
    const end = s.endedAt;
    const facts: [string, string | HTMLElement][] = [
      ['Status', dom.badge(p.status)],
      ['Started', dom.fmtTime(s.startedAt)],
      ['Ended', end !== undefined ? dom.fmtTime(end) : '—'],
      ['Took', dom.fmtDuration(end !== undefined ? end - s.startedAt : undefined)],
    ];
    if (p.wakeAt !== undefined && p.status === 'waiting') facts.push(['Wakes', `${dom.fmtTime(p.wakeAt)} (in ${dom.fmtDuration(Math.max(0, p.wakeAt - Date.now()))})`]);
    const heading = h('h2', { id: 'panel-h', tabindex: -1 }, 'Step ', h('code', {}, p.key));
    const panel = h(
      'section',
      { className: 'card step-panel', 'aria-labelledby': 'panel-h', 'data-panel': p.key },
      h('div', { className: 'panel-head' }, heading, h('button', { type: 'button', className: 'secondary', onclick: onClose }, 'Close')),
      p.description ? h('p', { className: 'muted' }, p.description) : null,
      dl(facts),
    );
    if (s.suspendedAt !== undefined || s.suspendPayload !== undefined) {
      const rows: [string, string | HTMLElement][] = [['Suspended', dom.fmtTime(s.suspendedAt)]];
      if (s.resumedAt !== undefined) {
        rows.push(['Resumed', dom.fmtTime(s.resumedAt)]);
        if (s.suspendedAt !== undefined) rows.push(['Waited', dom.fmtDuration(s.resumedAt - s.suspendedAt)]);
      } else rows.push(['Resumed', p.status === 'canceled' ? 'never (the run was canceled)' : 'not yet']);
      panel.append(h('h3', {}, 'Suspension'), dl(rows), h('h4', {}, 'Suspend payload'), dom.jsonBlock(s.suspendPayload, `suspend payload of ${p.key}`));
      if (s.resumePayload !== undefined) panel.append(h('h4', {}, 'Resume data'), dom.jsonBlock(s.resumePayload, `resume data of ${p.key}`));
    }
    panel.append(h('h3', {}, 'Input'), dom.jsonBlock(s.payload, `input of ${p.key}`));
    if (s.output !== undefined) panel.append(h('h3', {}, 'Output'), dom.jsonBlock(s.output, `output of ${p.key}`));
    const err = p.view?.error ?? s.error;
    if (err) panel.append(h('h3', {}, 'Error'), errors.renderError(err, `error of ${p.key}`));
    const at = attempts(p.view, s);
    if (at) panel.append(at);
    if (Array.isArray(s.output)) panel.append(items(p.key, s.output));
    return panel;
  }

  return { render };
}

export type StepPanel = ReturnType<typeof stepPanelLib>;
