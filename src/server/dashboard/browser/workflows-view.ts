import type { WorkflowInfo } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';
import type { Graph } from './graph.js';
import type { SchemaForm } from './schema-form.js';

/** The workflows page: each workflow with its graph and a form to start a run. Self-contained. */
export function workflowsView(dom: Dom, api: Api, graph: Graph, forms: SchemaForm, announce: (msg: string) => void) {
  const { h } = dom;

  function startForm(wf: WorkflowInfo): HTMLElement {
    // metadata.exampleInput first (what the author wants shown), else the schema's defaults.
    const example = (wf.metadata as { exampleInput?: unknown } | undefined)?.exampleInput ?? forms.defaultsOf(wf.inputSchema);
    const areaId = `input-${wf.key}`;
    const errId = `input-error-${wf.key}`;
    const area = h('textarea', { id: areaId, rows: 4, spellcheck: 'false', 'aria-describedby': errId, name: 'inputData' });
    area.value = JSON.stringify(example, null, 2);
    const err = h('p', { id: errId, className: 'error', role: 'alert' });
    const fields = forms.schemaFields(`in-${wf.key}`, wf.inputSchema, area);
    const form = h(
      'form',
      { className: 'start-form', 'aria-label': `start ${wf.key}` },
      fields,
      h('label', { for: areaId }, 'Input (JSON)'),
      area,
      err,
      h('button', { type: 'submit' }, 'Start run'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      err.textContent = '';
      let inputData: unknown;
      try {
        inputData = JSON.parse(area.value || '{}');
      } catch (e) {
        err.textContent = `Input is not valid JSON: ${(e as Error).message}`;
        area.focus();
        return;
      }
      api
        .post<{ runId: string }>(`/workflows/${encodeURIComponent(wf.key)}/runs`, { inputData })
        .then(({ runId }) => {
          announce(`Started run ${runId}`);
          location.hash = `#/runs/${encodeURIComponent(wf.key)}/${encodeURIComponent(runId)}`;
        })
        .catch((e: Error) => {
          err.textContent = e.message;
        });
    });
    return form;
  }

  /** "Unfinished runs by version": filled in once loaded, so an old version can be removed at zero. */
  function versionsLine(wf: WorkflowInfo): HTMLElement {
    const line = h('p', { className: 'muted', 'aria-label': `versions of ${wf.key}` }, wf.version !== undefined ? `Version ${wf.version}` : '');
    api
      .get<{ versions: { version: string | null; fingerprint: string | null; registered: boolean; unfinishedRuns: number }[] }>(`/workflows/${encodeURIComponent(wf.key)}/versions`)
      .then(({ versions }) => {
        const parts = versions.map((v) => `${v.version !== null ? `v${v.version}` : (v.fingerprint ?? 'before fingerprints')}${v.registered ? '' : ' (not registered)'}: ${v.unfinishedRuns}`);
        line.textContent = `Unfinished runs by version: ${parts.join(' · ') || 'none'}`;
      })
      .catch(() => {
        // The card stays useful without the counts.
      });
    return line;
  }

  async function render(root: HTMLElement): Promise<void> {
    const { workflows } = await api.get<{ workflows: WorkflowInfo[] }>('/workflows');
    dom.clear(root);
    root.appendChild(h('h1', {}, 'Workflows'));
    if (workflows.length === 0) root.appendChild(h('p', {}, 'No workflows are registered.'));
    for (const wf of workflows) {
      root.appendChild(
        h(
          'section',
          { className: 'card', 'aria-labelledby': `wf-${wf.key}` },
          h('h2', { id: `wf-${wf.key}` }, wf.key),
          wf.description ? h('p', { className: 'muted' }, wf.description) : null,
          versionsLine(wf),
          h('p', {}, h('a', { href: `#/runs?workflowId=${encodeURIComponent(wf.id)}` }, 'View runs')),
          graph.renderGraph(wf.stepGraph),
          startForm(wf),
        ),
      );
    }
  }

  return { render };
}
