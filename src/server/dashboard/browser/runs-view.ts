import { RUN_STATUSES } from '../../../domain/run-status.js';
import type { RunSummaryJson, WorkflowInfo } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';

/** The runs list with filters (workflow, status, time), refreshed by polling. Self-contained. */
export function runsView(dom: Dom, api: Api) {
  const { h } = dom;
  const PER_PAGE = 25;

  function select(id: string, label: string, options: string[], value: string): [HTMLElement, HTMLSelectElement] {
    const s = h('select', { id, name: id });
    s.appendChild(h('option', { value: '' }, 'any'));
    for (const o of options) s.appendChild(h('option', { value: o }, o));
    s.value = value;
    return [h('label', { for: id }, label), s];
  }

  function timeInput(id: string, label: string, value: string): [HTMLElement, HTMLInputElement] {
    const i = h('input', { id, name: id, type: 'datetime-local' });
    i.value = value;
    return [h('label', { for: id }, label), i];
  }

  async function render(root: HTMLElement, params: URLSearchParams): Promise<() => void> {
    const { workflows } = await api.get<{ workflows: WorkflowInfo[] }>('/workflows');
    const page = Number(params.get('page') ?? '0') || 0;
    const [wfLabel, wfSel] = select('f-workflow', 'Workflow', workflows.map((w) => w.id), params.get('workflowId') ?? '');
    const [stLabel, stSel] = select('f-status', 'Status', [...RUN_STATUSES], params.get('status') ?? '');
    const [fromLabel, fromIn] = timeInput('f-from', 'From', params.get('from') ?? '');
    const [toLabel, toIn] = timeInput('f-to', 'To', params.get('to') ?? '');
    const form = h(
      'form',
      { className: 'filters', 'aria-label': 'filter runs' },
      h('div', {}, wfLabel, wfSel),
      h('div', {}, stLabel, stSel),
      h('div', {}, fromLabel, fromIn),
      h('div', {}, toLabel, toIn),
      h('button', { type: 'submit' }, 'Apply filters'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (wfSel.value) p.set('workflowId', wfSel.value);
      if (stSel.value) p.set('status', stSel.value);
      if (fromIn.value) p.set('from', fromIn.value);
      if (toIn.value) p.set('to', toIn.value);
      location.hash = `#/runs?${p.toString()}`;
    });
    const body = h('tbody');
    const total = h('p', { className: 'muted', 'aria-live': 'polite' });
    const pager = h('nav', { className: 'pager', 'aria-label': 'pages' });
    const table = h(
      'table',
      { className: 'runs' },
      h('caption', { className: 'sr-only' }, 'Runs, newest first'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Run'), h('th', { scope: 'col' }, 'Workflow'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Updated'))),
      body,
    );
    dom.clear(root);
    root.append(h('h1', {}, 'Runs'), form, total, table, pager);

    const query = new URLSearchParams({ page: String(page), perPage: String(PER_PAGE) });
    if (wfSel.value) query.set('workflowId', wfSel.value);
    if (stSel.value) query.set('status', stSel.value);
    if (fromIn.value) query.set('from', new Date(fromIn.value).toISOString());
    if (toIn.value) query.set('to', new Date(toIn.value).toISOString());

    const load = async () => {
      const res = await api.get<{ runs: RunSummaryJson[]; total: number }>(`/runs?${query.toString()}`);
      dom.clear(body);
      for (const r of res.runs) {
        const href = `#/runs/${encodeURIComponent(r.workflowId)}/${encodeURIComponent(r.runId)}`;
        body.appendChild(
          h('tr', { 'data-run': r.runId }, h('td', {}, h('a', { href }, r.runId)), h('td', {}, r.workflowId), h('td', {}, dom.badge(r.status)), h('td', {}, dom.fmtTime(r.createdAt)), h('td', {}, dom.fmtTime(r.updatedAt))),
        );
      }
      if (res.runs.length === 0) body.appendChild(h('tr', {}, h('td', { colspan: 5 }, 'No runs match.')));
      total.textContent = `${res.total} run${res.total === 1 ? '' : 's'}`;
      dom.clear(pager);
      const link = (p: number, label: string) => {
        const next = new URLSearchParams(params);
        next.set('page', String(p));
        return h('a', { href: `#/runs?${next.toString()}` }, label);
      };
      if (page > 0) pager.appendChild(link(page - 1, '← Newer'));
      if ((page + 1) * PER_PAGE < res.total) pager.appendChild(link(page + 1, 'Older →'));
    };
    await load();
    const timer = setInterval(() => void load().catch(() => {}), 1500);
    return () => clearInterval(timer);
  }

  return { render };
}
