import { RUN_STATUSES } from '../../../domain/run-status.js';
import type { RunListJson, RunSummaryJson, WorkflowInfo } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';
import { bulkBarLib } from './bulk-bar.js';

/**
 * The runs list at scale: filters (workflow, several statuses, resource, run id prefix, time), newest
 * first with a duration column, a total and cursor paging (so a page deep into a million runs costs
 * what the first does), live updates by polling, and selection for bulk actions (bulk-bar.ts) on the
 * selected runs or on everything the filters match. Self-contained apart from the bulk bar, which is
 * a browser module too.
 */
export function runsView(dom: Dom, api: Api, announce: (msg: string) => void) {
  const { h } = dom;
  const PER_PAGE = 25;
  const ACTIVE = ['pending', 'running', 'waiting'];
  const bulkBar = bulkBarLib(dom, api, announce);

  function textInput(id: string, label: string, value: string, placeholder: string): [HTMLElement, HTMLInputElement] {
    const i = h('input', { id, name: id, type: 'search', placeholder });
    i.value = value;
    return [h('label', { for: id }, label), i];
  }

  function timeInput(id: string, label: string, value: string): [HTMLElement, HTMLInputElement] {
    const i = h('input', { id, name: id, type: 'datetime-local' });
    i.value = value;
    return [h('label', { for: id }, label), i];
  }

  function duration(r: RunSummaryJson, now: number): string {
    const start = Date.parse(r.createdAt);
    const end = ACTIVE.includes(r.status) ? now : Date.parse(r.updatedAt);
    return `${dom.fmtDuration(end - start)}${ACTIVE.includes(r.status) ? ' so far' : ''}`;
  }

  async function render(root: HTMLElement, params: URLSearchParams): Promise<() => void> {
    const { workflows } = await api.get<{ workflows: WorkflowInfo[] }>('/workflows');
    const index = Number(params.get('p') ?? '0') || 0;
    const wfSel = h('select', { id: 'f-workflow', name: 'workflowId' });
    wfSel.appendChild(h('option', { value: '' }, 'any'));
    for (const w of workflows) wfSel.appendChild(h('option', { value: w.id }, w.id));
    wfSel.value = params.get('workflowId') ?? '';
    const chosen = new Set((params.get('status') ?? '').split(',').filter(Boolean));
    const statusBoxes = RUN_STATUSES.map((s) => {
      const box = h('input', { type: 'checkbox', id: `f-st-${s}`, name: 'status', value: s });
      box.checked = chosen.has(s);
      return box;
    });
    const [resLabel, resIn] = textInput('f-resource', 'Resource', params.get('resourceId') ?? '', 'resource id');
    const [idLabel, idIn] = textInput('f-run', 'Run id starts with', params.get('runIdPrefix') ?? '', 'run id prefix');
    const [fromLabel, fromIn] = timeInput('f-from', 'From', params.get('from') ?? '');
    const [toLabel, toIn] = timeInput('f-to', 'To', params.get('to') ?? '');
    const form = h(
      'form',
      { className: 'filters', 'aria-label': 'filter runs' },
      h('div', {}, h('label', { for: 'f-workflow' }, 'Workflow'), wfSel),
      h('fieldset', { className: 'statuses' }, h('legend', {}, 'Status'), ...RUN_STATUSES.map((s, i) => h('label', { className: 'check', for: `f-st-${s}` }, statusBoxes[i], ` ${s}`))),
      h('div', {}, resLabel, resIn),
      h('div', {}, idLabel, idIn),
      h('div', {}, fromLabel, fromIn),
      h('div', {}, toLabel, toIn),
      h('button', { type: 'submit' }, 'Apply filters'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (wfSel.value) p.set('workflowId', wfSel.value);
      const st = statusBoxes.filter((b) => b.checked).map((b) => b.value);
      if (st.length) p.set('status', st.join(','));
      if (resIn.value.trim()) p.set('resourceId', resIn.value.trim());
      if (idIn.value.trim()) p.set('runIdPrefix', idIn.value.trim());
      if (fromIn.value) p.set('from', fromIn.value);
      if (toIn.value) p.set('to', toIn.value);
      location.hash = `#/runs?${p.toString()}`;
    });

    // What the list and a bulk action "on everything matching" both use.
    const query = new URLSearchParams({ perPage: String(PER_PAGE) });
    const filter: Record<string, unknown> = {};
    const both = (q: string, f: string, v: string | string[]) => {
      query.set(q, Array.isArray(v) ? v.join(',') : v);
      filter[f] = v;
    };
    if (wfSel.value) both('workflowId', 'workflowId', wfSel.value);
    if (chosen.size) both('status', 'status', [...chosen]);
    if (resIn.value) both('resourceId', 'resourceId', resIn.value);
    if (idIn.value) both('runIdPrefix', 'runIdPrefix', idIn.value);
    if (fromIn.value) both('from', 'fromDate', new Date(fromIn.value).toISOString());
    if (toIn.value) both('to', 'toDate', new Date(toIn.value).toISOString());
    const cursor = params.get('cursor');
    if (cursor) query.set('cursor', cursor);

    const selected = new Set<string>();
    const body = h('tbody');
    const total = h('p', { className: 'muted', id: 'runs-total', 'aria-live': 'polite' });
    const pager = h('nav', { className: 'pager', 'aria-label': 'pages' });
    const all = h('input', { type: 'checkbox', id: 'select-page', 'aria-label': 'select every run on this page' });
    let shown: RunSummaryJson[] = [];
    let matched = 0;
    const bar = bulkBar.create({
      selected: () => [...selected],
      filter: () => filter,
      matched: () => matched,
      done: () => {
        selected.clear();
        void load();
      },
    });
    all.addEventListener('change', () => {
      for (const r of shown) {
        if (all.checked) selected.add(r.runId);
        else selected.delete(r.runId);
      }
      body.querySelectorAll<HTMLInputElement>('input[data-select]').forEach((b) => (b.checked = all.checked));
      bar.update();
    });
    const table = h(
      'table',
      { className: 'runs' },
      h('caption', { className: 'sr-only' }, 'Runs, newest first'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ...['Run', 'Workflow', 'Status', 'Resource', 'Created', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    );
    dom.clear(root);
    root.append(h('h1', {}, 'Runs'), form, bar.el, total, table, pager);

    const load = async () => {
      const res = await api.get<RunListJson>(`/runs?${query.toString()}`);
      shown = res.runs;
      matched = res.total;
      const now = Date.now();
      dom.clear(body);
      for (const r of res.runs) {
        const href = `#/runs/${encodeURIComponent(r.workflowId)}/${encodeURIComponent(r.runId)}`;
        const box = h('input', { type: 'checkbox', 'data-select': r.runId, 'aria-label': `select run ${r.runId}` });
        box.checked = selected.has(r.runId);
        box.addEventListener('change', () => {
          if (box.checked) selected.add(r.runId);
          else selected.delete(r.runId);
          bar.update();
        });
        body.appendChild(
          h(
            'tr',
            { 'data-run': r.runId },
            h('td', {}, box),
            h('td', {}, h('a', { href }, r.runId)),
            h('td', {}, r.workflowId),
            h('td', {}, dom.badge(r.status)),
            h('td', {}, r.resourceId ?? '—'),
            h('td', {}, dom.fmtTime(r.createdAt)),
            h('td', { className: 'num' }, duration(r, now)),
          ),
        );
      }
      if (res.runs.length === 0) body.appendChild(h('tr', {}, h('td', { colspan: 7 }, 'No runs match.')));
      all.checked = res.runs.length > 0 && res.runs.every((r) => selected.has(r.runId));
      const first = index * PER_PAGE + 1;
      total.textContent = res.runs.length
        ? `Runs ${first.toLocaleString()}–${(first + res.runs.length - 1).toLocaleString()} of ${res.total.toLocaleString()}`
        : `${res.total.toLocaleString()} run${res.total === 1 ? '' : 's'}`;
      dom.clear(pager);
      const link = (next: URLSearchParams, label: string) => h('a', { href: `#/runs?${next.toString()}` }, label);
      if (index > 0) {
        const newest = new URLSearchParams(params);
        newest.delete('cursor');
        newest.delete('p');
        pager.appendChild(link(newest, '⇤ Newest'));
        pager.appendChild(h('button', { type: 'button', className: 'link', onclick: () => history.back() }, '← Newer'));
      }
      if (res.nextCursor && first + res.runs.length - 1 < res.total) {
        const older = new URLSearchParams(params);
        older.set('cursor', res.nextCursor);
        older.set('p', String(index + 1));
        pager.appendChild(link(older, 'Older →'));
      }
      pager.appendChild(h('span', { className: 'muted' }, ` page ${index + 1} of ${Math.max(1, Math.ceil(res.total / PER_PAGE)).toLocaleString()}`));
      bar.update();
    };
    await load();
    // Live: new runs and status changes appear without a reload.
    const timer = setInterval(() => void load().catch(() => {}), 1500);
    return () => {
      clearInterval(timer);
      bar.stop();
    };
  }

  return { render };
}
