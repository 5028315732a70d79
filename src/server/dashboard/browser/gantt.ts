import type { StepResult } from '../../../define/run-types.js';
import { stepEntries } from '../../../domain/step-entries.js';
import type { Dom } from './dom.js';

/**
 * The run's timeline as a Gantt chart: one row per step in the order the steps started (nested steps
 * indented under their workflow), a bar from start to end on a shared time axis, and inside a retried
 * step one segment per attempt (failed attempts marked, the retry delays as gaps). Each row also says
 * its start, duration and attempts in text; rows are buttons that open the step.
 */
export function ganttLib(dom: Dom) {
  const { h } = dom;

  function render(steps: Record<string, StepResult>, now: number, onSelect?: (key: string) => void): HTMLElement {
    const rows = stepEntries(steps)
      .filter(([, s]) => s.status !== 'skipped')
      .sort((a, b) => a[1].startedAt - b[1].startedAt || a[0].split('.').length - b[0].split('.').length);
    // A retried step's startedAt is its last attempt's: its first attempts began earlier.
    const t0 = Math.min(...rows.map(([, s]) => Math.min(s.startedAt, ...(s.attemptHistory ?? []).map((a) => a.startedAt))));
    const endOf = (s: StepResult) => s.endedAt ?? (s.status === 'running' || s.status === 'waiting' ? now : (s.suspendedAt ?? s.startedAt));
    const t1 = Math.max(t0 + 1, ...rows.map(([, s]) => endOf(s)));
    const span = t1 - t0;
    const pct = (t: number) => `${(((t - t0) / span) * 100).toFixed(3)}%`;
    const width = (a: number, b: number) => `${Math.max(0.4, ((b - a) / span) * 100).toFixed(3)}%`;

    const body = h('tbody');
    for (const [key, s] of rows) {
      const depth = key.split('.').length - 1;
      const end = endOf(s);
      const track = h('div', { className: 'gantt-track', 'aria-hidden': 'true' });
      const history = s.attemptHistory ?? [];
      if (history.length > 1) {
        for (const a of history) {
          const seg = h('div', { className: `gantt-bar attempt ${a.error ? 'st-failed' : `st-${s.status}`}`, title: `attempt ${a.attempt}` });
          seg.style.left = pct(a.startedAt);
          seg.style.width = width(a.startedAt, a.endedAt ?? end);
          track.appendChild(seg);
        }
      } else {
        const bar = h('div', { className: `gantt-bar st-${s.status}` });
        bar.style.left = pct(s.startedAt);
        bar.style.width = width(s.startedAt, end);
        track.appendChild(bar);
      }
      if (s.suspendedAt !== undefined && s.resumedAt !== undefined) {
        // The wait for a resume, drawn apart from the work.
        const gap = h('div', { className: 'gantt-wait' });
        gap.style.left = pct(s.suspendedAt);
        gap.style.width = width(s.suspendedAt, s.resumedAt);
        track.appendChild(gap);
      }
      const dur = s.endedAt !== undefined ? s.endedAt - s.startedAt : s.status === 'running' ? now - s.startedAt : undefined;
      const name = h('span', { className: 'gantt-name' }, key.split('.').pop() ?? key);
      name.style.paddingLeft = `${depth * 1.2}rem`;
      const label = onSelect ? h('button', { type: 'button', className: 'link', onclick: () => onSelect(key), 'aria-label': `open step ${key}` }, name) : name;
      body.appendChild(
        h(
          'tr',
          { 'data-step-row': key },
          h('th', { scope: 'row', title: key }, label),
          h('td', {}, dom.badge(s.status)),
          h('td', {}, `+${dom.fmtDuration(Math.min(s.startedAt, ...history.map((a) => a.startedAt)) - t0)}`),
          h('td', {}, dom.fmtDuration(dur)),
          h('td', {}, String(s.attempts)),
          h('td', { className: 'gantt-cell' }, track),
        ),
      );
    }
    return h(
      'table',
      { className: 'timeline gantt' },
      h('caption', {}, `Timeline · ${dom.fmtDuration(span)} from the first step's start`),
      h('thead', {}, h('tr', {}, ...['Step', 'Status', 'Start', 'Duration', 'Attempts', 'Gantt'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    );
  }

  return { render };
}

export type Gantt = ReturnType<typeof ganttLib>;
