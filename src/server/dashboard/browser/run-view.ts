import type { RunView, StepResult, WorkflowResult } from '../../../define/run-types.js';
import { stepEntries } from '../../../domain/step-entries.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';
import type { Graph } from './graph.js';

/**
 * Run detail: status, actions (cancel, retry), the graph coloured by step status, a timeline of steps,
 * input/output/errors and a resume form per suspended step. Follows the run's SSE stream and polls as a
 * fallback, re-rendering without a page reload. Self-contained.
 */
export function runView(dom: Dom, api: Api, graph: Graph, announce: (msg: string) => void) {
  const { h } = dom;
  const FINAL = ['success', 'failed', 'canceled'];

  function timeline(steps: Record<string, StepResult>): HTMLElement {
    const rows = stepEntries(steps).sort((a, b) => a[1].startedAt - b[1].startedAt);
    const body = h('tbody');
    const t0 = rows[0]?.[1].startedAt ?? 0;
    for (const [id, s] of rows) {
      const end = s.endedAt ?? (s.status === 'running' ? Date.now() : undefined);
      const dur = end !== undefined ? end - s.startedAt : undefined;
      const bar = h('div', { className: `bar st-${s.status}`, 'aria-hidden': 'true' });
      bar.style.marginLeft = `${Math.min(90, ((s.startedAt - t0) / 100) | 0)}px`;
      bar.style.width = `${Math.max(4, Math.min(300, (dur ?? 0) / 10))}px`;
      body.appendChild(
        h('tr', { 'data-step-row': id }, h('th', { scope: 'row' }, id), h('td', {}, dom.badge(s.status)), h('td', {}, dom.fmtTime(s.startedAt)), h('td', {}, dom.fmtDuration(dur)), h('td', {}, String(s.attempts)), h('td', {}, bar)),
      );
    }
    return h(
      'table',
      { className: 'timeline' },
      h('caption', {}, 'Timeline'),
      h('thead', {}, h('tr', {}, ...['Step', 'Status', 'Started', 'Duration', 'Attempts', ''].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    );
  }

  function stepDetails(steps: Record<string, StepResult>): HTMLElement {
    const wrap = h('section', { 'aria-labelledby': 'steps-h' }, h('h2', { id: 'steps-h' }, 'Steps'));
    for (const [id, s] of stepEntries(steps)) {
      wrap.appendChild(
        h(
          'details',
          { className: 'step-detail' },
          h('summary', {}, `${id} — ${s.status}`),
          h('h3', {}, 'Input'),
          dom.jsonBlock(s.payload, `input of ${id}`),
          s.output !== undefined ? h('h3', {}, 'Output') : null,
          s.output !== undefined ? dom.jsonBlock(s.output, `output of ${id}`) : null,
          s.error ? h('h3', {}, 'Error') : null,
          s.error ? dom.jsonBlock(s.error, `error of ${id}`) : null,
        ),
      );
    }
    return wrap;
  }

  function resumeForm(wfKey: string, runId: string, step: string, payload: unknown, refresh: () => void): HTMLElement {
    const areaId = `resume-${step}`;
    const area = h('textarea', { id: areaId, rows: 4, spellcheck: 'false', name: 'resumeData' });
    area.value = '{}';
    const err = h('p', { className: 'error', role: 'alert' });
    const form = h(
      'form',
      { className: 'resume-form', 'aria-label': `resume ${step}` },
      h('h3', {}, `Suspended at ${step}`),
      h('p', {}, 'Suspend payload:'),
      dom.jsonBlock(payload, `suspend payload of ${step}`),
      h('label', { for: areaId }, 'Resume data (JSON)'),
      area,
      err,
      h('button', { type: 'submit' }, `Resume ${step}`),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      let resumeData: unknown;
      try {
        resumeData = JSON.parse(area.value || '{}');
      } catch (e) {
        err.textContent = `Resume data is not valid JSON: ${(e as Error).message}`;
        area.focus();
        return;
      }
      api
        .post(`/workflows/${encodeURIComponent(wfKey)}/runs/${encodeURIComponent(runId)}/resume`, { step, resumeData })
        .then(() => {
          announce(`Resumed ${step}`);
          refresh();
        })
        .catch((e: Error) => (err.textContent = e.message));
    });
    return form;
  }

  async function render(root: HTMLElement, wfKey: string, runId: string): Promise<() => void> {
    const base = `/workflows/${encodeURIComponent(wfKey)}/runs/${encodeURIComponent(runId)}`;
    const statusEl = h('span', { id: 'run-status', 'aria-live': 'polite', role: 'status' });
    const actionMsg = h('p', { className: 'error', role: 'alert' });
    const action = (name: 'cancel' | 'retry') => () => {
      actionMsg.textContent = '';
      api
        .post(`${base}/${name}`)
        .then(() => {
          announce(name === 'cancel' ? 'Run canceled' : 'Retry requested');
          refollow();
          refresh();
        })
        .catch((e: Error) => (actionMsg.textContent = e.message));
    };
    const cancelBtn = h('button', { type: 'button', onclick: action('cancel') as EventListener }, 'Cancel run');
    const retryBtn = h('button', { type: 'button', onclick: action('retry') as EventListener }, 'Retry run');
    const body = h('div', { id: 'run-body' });
    dom.clear(root);
    root.append(
      h('p', {}, h('a', { href: `#/runs?workflowId=${encodeURIComponent(wfKey)}` }, '← Runs')),
      h('h1', {}, 'Run ', h('code', {}, runId)),
      h('p', {}, 'Workflow ', h('strong', {}, wfKey), ' · status ', statusEl),
      h('div', { className: 'actions' }, cancelBtn, retryBtn),
      actionMsg,
      body,
    );
    let lastStatus = '';
    let lastSignature = '';
    let pendingRefresh: ReturnType<typeof setTimeout> | undefined;

    const load = async () => {
      const { result, view } = await api.get<{ result: WorkflowResult; view: RunView }>(base);
      if (result.status !== lastStatus) {
        statusEl.textContent = result.status;
        statusEl.className = `badge st-${result.status}`;
        if (lastStatus) announce(`Run is ${result.status}`);
        lastStatus = result.status;
      }
      cancelBtn.disabled = FINAL.includes(result.status);
      retryBtn.disabled = result.status !== 'failed';
      const focused = document.activeElement;
      const keepFocus = focused instanceof HTMLTextAreaElement && body.contains(focused);
      if (keepFocus) return; // do not replace a form the user is typing into
      const signature = JSON.stringify(result);
      if (signature === lastSignature && result.status !== 'running') return;
      lastSignature = signature;
      dom.clear(body);
      body.appendChild(h('section', { className: 'card', 'aria-label': 'step graph' }, h('h2', {}, 'Graph'), graph.renderGraph(view.serializedStepGraph, result.steps)));
      if (result.status === 'suspended') {
        const sec = h('section', { className: 'card', 'aria-labelledby': 'resume-h' }, h('h2', { id: 'resume-h' }, 'Waiting for input'));
        for (const path of result.suspended) {
          const step = path.join('.');
          sec.appendChild(resumeForm(wfKey, runId, step, result.suspendPayload[step], () => (refollow(), refresh())));
        }
        body.appendChild(sec);
      }
      body.appendChild(h('section', { className: 'card' }, timeline(result.steps)));
      const io = h('section', { className: 'card', 'aria-labelledby': 'io-h' }, h('h2', { id: 'io-h' }, 'Input and result'), h('h3', {}, 'Input'), dom.jsonBlock(result.input, 'run input'));
      if (result.status === 'success') io.append(h('h3', {}, 'Result'), dom.jsonBlock(result.result, 'run result'));
      if (result.status === 'failed') io.append(h('h3', {}, 'Error'), dom.jsonBlock(result.error, 'run error'));
      if ('statusReason' in result && result.statusReason) io.append(h('p', {}, `Reason: ${result.statusReason}`));
      // Which definition the run started on: what `weft check` compares new code against.
      const started = view.fingerprint ? ` · started on ${view.version !== undefined ? `v${view.version} ` : ''}(graph ${view.fingerprint})` : '';
      io.append(h('p', { className: 'muted' }, `Created ${dom.fmtTime(String(view.createdAt))} · updated ${dom.fmtTime(String(view.updatedAt))}${started}`));
      body.append(io, stepDetails(result.steps));
    };

    let refollow = () => {};
    function refresh() {
      clearTimeout(pendingRefresh);
      pendingRefresh = setTimeout(() => void load().catch(() => {}), 50);
    }

    await load();
    // The event stream ends when the run settles (a suspension too); actions that wake it re-follow.
    let stopFollow = api.follow(`${base}/events`, refresh);
    refollow = () => {
      stopFollow();
      stopFollow = api.follow(`${base}/events`, refresh);
    };
    const timer = setInterval(() => {
      if (!FINAL.includes(lastStatus)) refresh();
    }, 2000);
    return () => {
      stopFollow();
      clearInterval(timer);
      clearTimeout(pendingRefresh);
    };
  }

  return { render };
}
