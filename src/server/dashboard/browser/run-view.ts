import type { RunView, StepResult, WorkflowResult } from '../../../define/run-types.js';
import { stepEntries } from '../../../domain/step-entries.js';
import type { WorkflowInfo } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';
import type { ErrorView } from './error-view.js';
import type { Gantt } from './gantt.js';
import type { Graph } from './graph.js';
import type { SchemaForm } from './schema-form.js';
import type { StepPanel } from './step-panel.js';

interface Parts {
  graph: Graph;
  gantt: Gantt;
  errors: ErrorView;
  forms: SchemaForm;
  panel: StepPanel;
}

/**
 * Run detail: status, actions (cancel, retry), the graph coloured by step status (nodes open a step
 * panel), resume forms built from the resume schema, the history of suspensions and resumes, a Gantt
 * timeline of steps and attempts, input/result/error and each step's details. Follows the run's SSE
 * stream and polls as a fallback, re-rendering without a page reload. Self-contained.
 */
export function runView(dom: Dom, api: Api, parts: Parts, announce: (msg: string) => void) {
  const { h } = dom;
  const { graph, gantt, errors, forms, panel } = parts;
  const FINAL = ['success', 'failed', 'canceled'];
  const UNFINISHED = ['running', 'suspended', 'waiting', 'pending'];

  /** The statuses to show: a canceled run's steps were not left "suspended" or "running", they were canceled. */
  function shownSteps(result: WorkflowResult): Record<string, StepResult> {
    if (result.status !== 'canceled') return result.steps;
    const out: Record<string, StepResult> = {};
    for (const [k, s] of stepEntries(result.steps)) out[k] = UNFINISHED.includes(s.status) ? ({ ...s, status: 'canceled' } as unknown as StepResult) : s;
    return out;
  }

  function stepDetails(steps: Record<string, StepResult>, views: Record<string, { error?: unknown }>): HTMLElement {
    const wrap = h('section', { 'aria-labelledby': 'steps-h' }, h('h2', { id: 'steps-h' }, 'Steps'));
    for (const [id, s] of stepEntries(steps)) {
      const err = views[id]?.error ?? s.error;
      wrap.appendChild(
        h(
          'details',
          { className: 'step-detail' },
          h('summary', {}, `${id} — ${s.status}`),
          h('h3', {}, 'Input'),
          dom.jsonBlock(s.payload, `input of ${id}`),
          s.output !== undefined ? h('h3', {}, 'Output') : null,
          s.output !== undefined ? dom.jsonBlock(s.output, `output of ${id}`) : null,
          err ? h('h3', {}, 'Error') : null,
          err ? errors.renderError(err, `error of ${id}`) : null,
        ),
      );
    }
    return wrap;
  }

  /** Every suspension of the run, in order: payload, resume data, when, and how long it waited. */
  function history(steps: Record<string, StepResult>, runStatus: string): HTMLElement | null {
    const suspended = stepEntries(steps)
      .filter(([, s]) => s.suspendedAt !== undefined)
      .sort((a, b) => (a[1].suspendedAt ?? 0) - (b[1].suspendedAt ?? 0));
    if (suspended.length === 0) return null;
    const list = h('ol', { className: 'history' });
    for (const [key, s] of suspended) {
      const resumed =
        s.resumedAt !== undefined
          ? `resumed ${dom.fmtTime(s.resumedAt)} after waiting ${dom.fmtDuration(s.resumedAt - (s.suspendedAt ?? s.resumedAt))}`
          : runStatus === 'canceled'
            ? 'never resumed: the run was canceled'
            : 'waiting for input';
      list.appendChild(
        h(
          'li',
          { 'data-history': key },
          h('p', {}, h('strong', {}, key), ` suspended ${dom.fmtTime(s.suspendedAt)} · ${resumed}`),
          h('div', { className: 'pair' }, h('div', {}, h('h4', {}, 'Suspend payload'), dom.jsonBlock(s.suspendPayload, `suspend payload of ${key}`)), s.resumePayload !== undefined ? h('div', {}, h('h4', {}, 'Resume data'), dom.jsonBlock(s.resumePayload, `resume data of ${key}`)) : null),
        ),
      );
    }
    return h('section', { className: 'card', 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'Suspensions and resumes'), list);
  }

  function resumeForm(wfKey: string, runId: string, step: string, payload: unknown, schema: Record<string, unknown> | undefined, refresh: () => void): HTMLElement {
    const areaId = `resume-${step}`;
    const area = h('textarea', { id: areaId, rows: 4, spellcheck: 'false', name: 'resumeData' });
    area.value = JSON.stringify(forms.defaultsOf(schema), null, 2);
    const err = h('p', { className: 'error', role: 'alert' });
    const fields = forms.schemaFields(`rs-${step}`, schema, area);
    const form = h(
      'form',
      { className: 'resume-form', 'aria-label': `resume ${step}` },
      h('h3', {}, `Suspended at ${step}`),
      h('p', {}, 'Suspend payload:'),
      dom.jsonBlock(payload, `suspend payload of ${step}`),
      fields,
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

  /**
   * What a run waits for (event names, key, deadline) and a form sending one of its events: fields built
   * from the event's declared data schema beside the JSON it edits. A wait with a key gets the event as
   * any sender would send it (POST /events/:name with the run's key, so it is matched like a webhook's);
   * a wait without one gets it sent to this run only. The server checks the data against the schema and
   * its refusal (VALIDATION_FAILED, with the failing fields) is shown in the form.
   */
  function eventForm(runId: string, wait: NonNullable<RunView['waitingFor']>[number], schemas: Record<string, Record<string, unknown>>, refresh: () => void): HTMLElement {
    // A .waitForToken: only the token's URL completes it (names under weft. cannot be sent).
    if (wait.events.every((e) => e.startsWith('weft.'))) {
      return h('p', { 'data-wait': wait.path }, `${wait.path} waits for its completion token: POST the data to the token's URL (/api/weft/tokens/<token>).`);
    }
    const id = `event-${wait.path}`;
    const select = h('select', { id: `${id}-name`, name: 'event' }, ...wait.events.map((e) => h('option', { value: e }, e))) as HTMLSelectElement;
    const err = h('p', { className: 'error', role: 'alert' });
    const deadline = wait.deadline ? `until ${dom.fmtTime(String(wait.deadline))} (then ${wait.onTimeout === 'fail' ? 'the run fails' : 'it goes on without an event'})` : 'with no timeout';
    // The fields and the JSON area of the chosen event, rebuilt when another event is chosen.
    const slot = h('div', { className: 'event-data' });
    let area = h('textarea', { id, rows: 4, spellcheck: 'false', name: 'data' }) as HTMLTextAreaElement;
    const build = () => {
      const schema = schemas[select.value];
      area = h('textarea', { id, rows: 4, spellcheck: 'false', name: 'data' }) as HTMLTextAreaElement;
      area.value = JSON.stringify(forms.defaultsOf(schema), null, 2);
      const fields = forms.schemaFields(`ev-${wait.path}-${select.value}`, schema, area);
      slot.replaceChildren(...(fields ? [fields] : []), h('label', { for: id }, 'Event data (JSON)'), area);
      err.textContent = '';
    };
    select.addEventListener('change', build);
    build();
    const form = h(
      'form',
      { className: 'resume-form', 'aria-label': `send an event to ${wait.path}` },
      h('h3', {}, `Waiting for ${wait.events.join(' or ')}`),
      h('p', { 'data-wait': wait.path }, `Key: ${wait.key ?? '(any)'} · waiting since ${dom.fmtTime(String(wait.since))} ${deadline}`),
      h('label', { for: `${id}-name` }, 'Event'),
      select,
      slot,
      err,
      h('button', { type: 'submit' }, wait.key === null ? 'Send event to this run' : `Send event with key ${wait.key}`),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      err.textContent = '';
      let data: unknown;
      try {
        data = JSON.parse(area.value || '{}');
      } catch (e) {
        err.textContent = `Event data is not valid JSON: ${(e as Error).message}`;
        area.focus();
        return;
      }
      const name = select.value;
      api
        .post(`/events/${encodeURIComponent(name)}`, wait.key === null ? { runId, data } : { key: wait.key, data })
        .then(() => {
          announce(`Sent ${name}`);
          refresh();
        })
        .catch((e: Error & { issues?: { path: string; message: string }[] }) => {
          // The data failed the event's schema: say which fields, one line each.
          if (e.issues?.length) err.replaceChildren(h('span', {}, `The event was refused: its data does not fit the ${name} schema`), h('ul', {}, ...e.issues.map((i) => h('li', { 'data-issue': i.path }, `${i.path || '(data)'}: ${i.message}`))));
          else err.textContent = e.message;
        });
    });
    return form;
  }

  async function render(root: HTMLElement, wfKey: string, runId: string): Promise<() => void> {
    const base = `/workflows/${encodeURIComponent(wfKey)}/runs/${encodeURIComponent(runId)}`;
    const info = await api.get<WorkflowInfo>(`/workflows/${encodeURIComponent(wfKey)}`).catch(() => undefined);
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
      h('p', {}, 'Workflow ', h('strong', {}, wfKey), info?.description ? ` — ${info.description}` : '', ' · status ', statusEl),
      h('div', { className: 'actions' }, cancelBtn, retryBtn),
      actionMsg,
      body,
    );
    let lastStatus = '';
    let lastSignature = '';
    let selected: string | undefined;
    let latest: { result: WorkflowResult; view: RunView } | undefined;
    let pendingRefresh: ReturnType<typeof setTimeout> | undefined;

    const paint = () => {
      if (!latest) return;
      const { result, view } = latest;
      const steps = shownSteps(result);
      const sleeps = graph.sleeps(view.serializedStepGraph);
      const descriptions = graph.descriptions(view.serializedStepGraph);
      const select = (key: string) => {
        selected = key;
        paint();
        document.getElementById('panel-h')?.focus();
      };
      dom.clear(body);
      body.appendChild(h('section', { className: 'card', 'aria-labelledby': 'graph-h' }, h('h2', { id: 'graph-h' }, 'Graph'), graph.renderGraph(view.serializedStepGraph, steps, { onSelect: select, ...(selected ? { selected } : {}) })));
      const chosen = selected !== undefined ? steps[selected] : undefined;
      if (selected !== undefined && chosen) {
        const wake = sleeps[selected];
        body.appendChild(
          panel.render(
            {
              key: selected,
              status: chosen.status,
              step: chosen,
              view: view.steps[selected],
              ...(descriptions[selected] ? { description: descriptions[selected] } : {}),
              ...(wake ? { wakeAt: wake.at ?? chosen.startedAt + (wake.ms ?? 0) } : {}),
            },
            () => {
              selected = undefined;
              paint();
            },
          ),
        );
      }
      if (result.status === 'suspended') {
        const sec = h('section', { className: 'card', 'aria-labelledby': 'resume-h' }, h('h2', { id: 'resume-h' }, 'Waiting for input'));
        for (const path of result.suspended) {
          const step = path.join('.');
          sec.appendChild(resumeForm(wfKey, runId, step, result.suspendPayload[step], info?.steps?.[step]?.resumeSchema, () => (refollow(), refresh())));
        }
        body.appendChild(sec);
      }
      if (view.waitingFor?.length) {
        const sec = h('section', { className: 'card', 'aria-labelledby': 'wait-h' }, h('h2', { id: 'wait-h' }, 'Waiting for an event'));
        for (const w of view.waitingFor) sec.appendChild(eventForm(runId, w, info?.events ?? {}, () => (refollow(), refresh())));
        body.appendChild(sec);
      }
      const past = history(steps, result.status);
      if (past) body.appendChild(past);
      if (stepEntries(steps).length) body.appendChild(h('section', { className: 'card' }, gantt.render(steps, Date.now(), select)));
      const io = h('section', { className: 'card', 'aria-labelledby': 'io-h' }, h('h2', { id: 'io-h' }, 'Input and result'), h('h3', {}, 'Input'), dom.jsonBlock(result.input, 'run input'));
      if (result.status === 'success') io.append(h('h3', {}, 'Result'), dom.jsonBlock(result.result, 'run result'));
      if (result.status === 'failed') io.append(h('h3', {}, 'Error'), errors.renderError(view.error ?? result.error, 'run error'));
      if ('statusReason' in result && result.statusReason) io.append(h('p', {}, `Reason: ${result.statusReason}`));
      // Which definition the run started on: what `weft check` compares new code against.
      const started = view.fingerprint ? ` · started on ${view.version !== undefined ? `v${view.version} ` : ''}(graph ${view.fingerprint})` : '';
      io.append(h('p', { className: 'muted' }, `Created ${dom.fmtTime(String(view.createdAt))} · updated ${dom.fmtTime(String(view.updatedAt))}${started}`));
      body.append(io, stepDetails(steps, view.steps));
    };

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
      const typing = (focused instanceof HTMLTextAreaElement || focused instanceof HTMLInputElement || focused instanceof HTMLSelectElement) && body.contains(focused);
      if (typing) return; // do not replace a form the user is typing into
      const signature = JSON.stringify(result);
      if (signature === lastSignature && result.status !== 'running') return;
      lastSignature = signature;
      latest = { result, view };
      // A failed run opens on its failed step: the first thing anyone wants to see.
      if (selected === undefined && result.status === 'failed') selected = stepEntries(result.steps).find(([, s]) => s.status === 'failed')?.[0];
      paint();
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
