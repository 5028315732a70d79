import type { LoopViewJson } from '../../../wire/types.js';
import type { Dom } from './dom.js';

/**
 * The run page's loops: per `.dowhile`/`.dountil`, which iteration it is at, how many are shown (the
 * engine keeps the values of the last `loopHistory` iterations only) and what was compacted, then each
 * shown iteration's output. Self-contained.
 */
export function loopViewLib(dom: Dom) {
  const { h } = dom;

  function summary(loop: LoopViewJson): string {
    const last = loop.shown.at(-1);
    const running = last && last.status !== 'success' && last.status !== 'failed' ? ` (${last.status})` : '';
    return `iteration ${last?.iteration ?? 0} of ${loop.iterations}${running}, showing ${loop.window === null ? 'all' : `last ${loop.shown.length}`}`;
  }

  /** What is left out, said plainly: a long loop's older outputs are gone on purpose, not missing. */
  function leftOut(loop: LoopViewJson): string | null {
    if (loop.hidden === 0) return null;
    const cleared = loop.compacted > 0 ? `; the outputs of ${loop.compacted} of them were compacted (cleared by the engine, their conditions kept)` : '';
    return `${loop.hidden} earlier iteration${loop.hidden === 1 ? '' : 's'} not shown (the engine keeps the last ${loop.window} iterations' values${cleared}).`;
  }

  function renderLoop(loop: LoopViewJson): HTMLElement {
    const list = h('ol', { className: 'items loop-iterations', start: loop.shown[0]?.iteration ?? 1 });
    for (const it of loop.shown) {
      const label = `iteration ${it.iteration} of ${loop.step}`;
      list.appendChild(
        h(
          'li',
          { 'data-iteration': String(it.iteration) },
          h('details', {}, h('summary', {}, `iteration ${it.iteration} — ${it.status}`), it.output !== undefined ? dom.jsonBlock(it.output, `output of ${label}`) : h('p', { className: 'muted' }, 'no output yet')),
        ),
      );
    }
    const note = leftOut(loop);
    return h(
      'div',
      { className: 'loop', 'data-loop': loop.path },
      h('h3', {}, 'Loop over ', h('code', {}, loop.step || loop.path)),
      h('p', { className: 'loop-summary' }, summary(loop)),
      note ? h('p', { className: 'muted loop-hidden' }, note) : null,
      list,
    );
  }

  /** The loops section, or null for a run without loops. */
  function render(loops: LoopViewJson[]): HTMLElement | null {
    if (loops.length === 0) return null;
    return h('section', { className: 'card', 'aria-labelledby': 'loops-h' }, h('h2', { id: 'loops-h' }, 'Loops'), ...loops.map(renderLoop));
  }

  return { render, summary };
}

export type LoopViews = ReturnType<typeof loopViewLib>;
