import type { BulkJobJson } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';

export interface BulkSource {
  selected(): string[];
  filter(): Record<string, unknown>;
  matched(): number;
  done(): void;
}

/**
 * Bulk actions from the runs list: cancel, resume (with resume data), retry or delete either the
 * selected runs or every run the filters match. Each asks for confirmation first (saying how many runs
 * and which), then follows the server's job with a progress bar and reports what was done, skipped
 * and failed. A running job can be stopped after its current batch.
 */
export function bulkBarLib(dom: Dom, api: Api, announce: (msg: string) => void) {
  const { h } = dom;
  const ACTIONS = ['cancel', 'resume', 'retry', 'delete'] as const;
  type Action = (typeof ACTIONS)[number];
  const PAST: Record<Action, string> = { cancel: 'canceled', resume: 'resumed', retry: 'retried', delete: 'deleted' };


  function create(src: BulkSource) {
    const count = h('span', { id: 'bulk-count', className: 'muted' });
    const dataId = 'bulk-resume-data';
    const data = h('textarea', { id: dataId, rows: 1, spellcheck: 'false', name: 'bulkResumeData' });
    data.value = '{}';
    const metaId = 'bulk-metadata';
    const meta = h('input', { id: metaId, type: 'text', name: 'bulkMetadata', placeholder: 'plan=pro, region=eu' });
    const progress = h('progress', { id: 'bulk-progress', max: 1, value: 0, hidden: true, 'aria-label': 'bulk action progress' });
    const status = h('p', { id: 'bulk-status', role: 'status', 'aria-live': 'polite' });
    const stopBtn = h('button', { type: 'button', className: 'secondary', hidden: true }, 'Stop');
    let polling: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const scopeSel = h('select', { id: 'bulk-scope', name: 'scope' }, h('option', { value: 'selected' }, 'the selected runs'), h('option', { value: 'filter' }, 'every run matching the filters'));
    const buttons = ACTIONS.map((a) => h('button', { type: 'button', 'data-bulk': a, className: a === 'delete' ? 'danger' : '' }, `${a[0]!.toUpperCase()}${a.slice(1)}`));

    function update(): void {
      const n = src.selected().length;
      count.textContent = `${n.toLocaleString()} selected · ${src.matched().toLocaleString()} match the filters`;
      const none = scopeSel.value === 'selected' ? n === 0 : src.matched() === 0;
      for (const b of buttons) b.disabled = running || none;
    }
    scopeSel.addEventListener('change', update);

    async function follow(job: BulkJobJson): Promise<void> {
      const p = job.progress;
      progress.max = Math.max(1, p.matched);
      progress.value = p.processed;
      status.textContent = `${p.action}: ${p.processed.toLocaleString()} of ${p.matched.toLocaleString()} looked at · ${p.succeeded.toLocaleString()} ${PAST[p.action]} · ${p.skipped.toLocaleString()} skipped · ${p.failed.toLocaleString()} failed`;
      if (!p.done && !job.failure) {
        polling = setTimeout(() => {
          void api
            .get<BulkJobJson>(`/runs/bulk/${encodeURIComponent(job.id)}`)
            .then(follow)
            .catch((e: Error) => finish(`Lost the bulk action: ${e.message}`));
        }, 300);
        return;
      }
      const firstError = p.errors[0] ? ` First error: ${p.errors[0].runId}: ${p.errors[0].code}: ${p.errors[0].message}` : '';
      finish(`Done: ${status.textContent}.${job.failure ? ` Stopped by ${job.failure.code}.` : ''}${p.stopped ? ' Stopped early.' : ''}${firstError}`);
    }

    function finish(message: string): void {
      running = false;
      stopBtn.hidden = true;
      status.textContent = message;
      announce(message);
      src.done();
      update();
    }

    async function run(action: Action): Promise<void> {
      const bySelection = scopeSel.value === 'selected';
      const ids = src.selected();
      const n = bySelection ? ids.length : src.matched();
      let resumeData: unknown;
      if (action === 'resume') {
        try {
          resumeData = JSON.parse(data.value || '{}');
        } catch (e) {
          status.textContent = `Resume data is not valid JSON: ${(e as Error).message}`;
          return;
        }
      }
      // Metadata narrows "every run matching the filters" (the list itself has no metadata filter).
      const metadata: Record<string, string | number | boolean> = {};
      for (const pair of meta.value.split(',').map((p) => p.trim()).filter(Boolean)) {
        const at = pair.indexOf('=');
        if (at < 1) {
          status.textContent = `Metadata must be key=value pairs, got "${pair}"`;
          return;
        }
        const raw = pair.slice(at + 1).trim();
        metadata[pair.slice(0, at).trim()] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      }
      const withMeta = !bySelection && Object.keys(metadata).length > 0;
      const what = bySelection
        ? `${n.toLocaleString()} selected run${n === 1 ? '' : 's'}`
        : `every run matching the filters (${n.toLocaleString()} now)${withMeta ? ` with metadata ${meta.value.trim()}` : ''}`;
      const warn = action === 'delete' ? ' Deleted runs and their history cannot be restored.' : ' Runs not in a state to ' + action + ' are skipped.';
      if (!(await dom.confirmDialog(`${action[0]!.toUpperCase()}${action.slice(1)} ${what}?${warn}`, `${action[0]!.toUpperCase()}${action.slice(1)} ${n.toLocaleString()}`))) return;
      running = true;
      update();
      progress.hidden = false;
      progress.value = 0;
      status.textContent = `${action}: starting…`;
      const filter = bySelection ? { runIds: ids } : { ...src.filter(), ...(withMeta ? { metadata } : {}) };
      try {
        const job = await api.post<BulkJobJson>('/runs/bulk', { action, filter, ...(action === 'resume' ? { resumeData } : {}) });
        stopBtn.hidden = false;
        stopBtn.onclick = () => void api.post(`/runs/bulk/${encodeURIComponent(job.id)}/stop`).catch(() => {});
        await follow(job);
      } catch (e) {
        finish(`The bulk action was refused: ${(e as Error).message}`);
      }
    }
    buttons.forEach((b, i) => b.addEventListener('click', () => void run(ACTIONS[i]!)));

    const el = h(
      'section',
      { className: 'card bulk', 'aria-label': 'bulk actions' },
      h('div', { className: 'bulk-row' }, h('label', { for: 'bulk-scope' }, 'Act on'), scopeSel, ...buttons, stopBtn, count),
      h(
        'details',
        {},
        h('summary', {}, 'Resume data, metadata'),
        h('label', { for: dataId }, 'Resume data (JSON)'),
        data,
        h('label', { for: metaId }, 'Only runs with metadata (every run matching the filters)'),
        meta,
      ),
      progress,
      status,
    );
    return {
      el,
      update,
      stop: () => clearTimeout(polling),
    };
  }

  return { create };
}
