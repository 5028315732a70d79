import type { LoopIterationView, LoopView } from '../define/run-types.js';
import type { JournalEntry } from '../store/types.js';
import { decodeViewKeepingDates } from './payload.js';
import { displayKey, stepStatus } from './results.js';

/** A loop iteration's segment: `loop#N[i]` (see interpreter/loop.ts). */
const ITERATION = /^(loop#\d+)\[(\d+)\]$/;

interface Iteration {
  /** The body's row (`loop#N[i]/<body>`): its status and output are the iteration's. */
  body?: JournalEntry;
  /** The condition's row (`loop#N[i]`): present once the body finished and the condition was evaluated. */
  decided: boolean;
  /** The earliest start among the iteration's rows (a nested body has rows before its own). */
  startedAt: number;
}

interface LoopRows {
  path: string;
  step?: string;
  iterations: Map<number, Iteration>;
}

/**
 * Each loop of a run from its journal: iterations begun and evaluated, and the last `window` iterations
 * with their outputs. A row under `loop#N[i]/...` counts for every loop it is nested in, so a loop
 * inside another shows once per iteration of the outer one (each is its own loop instance).
 */
export function buildLoopViews(rows: Iterable<JournalEntry>, loopHistory: number): LoopView[] {
  const loops = new Map<string, LoopRows>();
  for (const e of rows) {
    const segs = e.path.split('/');
    for (let j = 0; j < segs.length; j++) {
      const m = ITERATION.exec(segs[j]!);
      if (!m) continue;
      const path = [...segs.slice(0, j), m[1]!].join('/');
      let loop = loops.get(path);
      if (!loop) loops.set(path, (loop = { path, iterations: new Map() }));
      const i = Number(m[2]);
      let it = loop.iterations.get(i);
      if (!it) loop.iterations.set(i, (it = { decided: false, startedAt: e.startedAt }));
      it.startedAt = Math.min(it.startedAt, e.startedAt);
      if (j === segs.length - 1) it.decided = e.kind === 'decision';
      else if (j === segs.length - 2 && e.kind !== 'decision') {
        it.body = e;
        loop.step ??= displayKey(e.path);
      }
    }
  }
  const window = Number.isFinite(loopHistory) ? loopHistory : null;
  return [...loops.values()].map((loop) => viewOf(loop, window));
}

function viewOf(loop: LoopRows, window: number | null): LoopView {
  const numbers = [...loop.iterations.keys()].sort((a, b) => a - b);
  const iterations = numbers.length === 0 ? 0 : numbers[numbers.length - 1]!;
  const first = window === null ? 1 : Math.max(1, iterations - window + 1);
  const shown: LoopIterationView[] = [];
  let completed = 0;
  let compacted = 0;
  for (const i of numbers) {
    const it = loop.iterations.get(i)!;
    if (it.decided) completed++;
    const body = it.body;
    if (i < first) {
      // The engine clears a finished iteration's input and output together (Exec.compact).
      if (body && body.status === 'success' && body.input === null && body.output === null) compacted++;
      continue;
    }
    const view: LoopIterationView = { iteration: i, status: body ? stepStatus(body, {}) : 'running', startedAt: body?.startedAt ?? it.startedAt };
    if (body?.output != null) view.output = decodeViewKeepingDates(body.output);
    if (body?.endedAt != null) view.endedAt = body.endedAt;
    shown.push(view);
  }
  return { path: loop.path, step: loop.step ?? '', iterations, completed, window, shown, hidden: iterations - shown.length, compacted };
}
