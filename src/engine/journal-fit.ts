import type { GraphNode, UnitNode } from '../define/graph.js';
import { unitId } from '../define/graph.js';
import { graphShape } from '../define/graph-shape.js';
import { validate } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { JournalKind, JournalStatus } from '../store/types.js';

/**
 * Whether a run's journal fits a workflow graph: would walking this graph against these rows replay
 * what the run recorded and go on from where it stopped, or would it re-run finished work, skip a
 * recorded step or leave a row no node reads? Decided from the rows' paths, kinds and statuses alone,
 * without executing anything. Used by `weft check`, `replayRuns` and by workers before they continue a
 * run that started on another definition.
 */

/** The parts of a journal row the fit reads (a JournalEntry, or a row of an exported run). */
export interface FitRow {
  path: string;
  kind: JournalKind;
  status: JournalStatus;
  output: string | null;
  seq?: number;
}

export type DivergenceReason = 'removed' | 'renamed' | 'moved' | 'inserted' | 'kind-changed' | 'schema';

export interface Divergence {
  /** The first journal path (in the run's recorded order) the graph no longer fits. */
  path: string;
  reason: DivergenceReason;
  message: string;
}

/** Where the run goes on from: the next unit to run and the recorded output it will be given. */
interface Frontier {
  path: string;
  unit: UnitNode;
  from: string;
  output: string;
}

interface Found extends Divergence {
  order: number;
}

/** The structural verdict, plus what the schema pass has to validate. */
export interface StructuralFit {
  divergence: Divergence | null;
  frontiers: Frontier[];
}

const DONE: ReadonlySet<JournalStatus> = new Set(['success']);

class Fitter {
  private readonly byPath = new Map<string, FitRow & { order: number }>();
  private readonly used = new Set<string>();
  private readonly found: Found[] = [];
  /** Per sequence prefix: the first node the run has not reached. */
  private readonly gaps = new Map<string, string>();
  readonly frontiers: Frontier[] = [];

  constructor(
    private readonly wf: AnyWorkflow,
    private readonly rows: readonly FitRow[],
  ) {
    rows.forEach((r, i) => this.byPath.set(r.path, { ...r, order: r.seq ?? i }));
  }

  run(): Divergence | null {
    this.sequence(this.wf.graph(), '');
    for (const r of this.byPath.values()) if (!this.used.has(r.path)) this.unplaced(r);
    if (this.found.length === 0) return null;
    const first = this.found.reduce((a, b) => (b.order < a.order ? b : a));
    return { path: first.path, reason: first.reason, message: first.message };
  }

  private orderOf(path: string): number {
    let min = Infinity;
    for (const r of this.byPath.values()) if (r.path === path || r.path.startsWith(`${path}/`) || r.path.startsWith(`${path}[`) || r.path.startsWith(`${path}@child`)) min = Math.min(min, r.order);
    return min;
  }

  private diverge(path: string, reason: DivergenceReason, message: string): void {
    this.found.push({ path, reason, message, order: this.orderOf(path) });
  }

  private touched(path: string): boolean {
    if (this.byPath.has(path)) return true;
    for (const p of this.byPath.keys()) if (p.startsWith(`${path}/`) || p.startsWith(`${path}[`) || p.startsWith(`${path}@child`)) return true;
    return false;
  }

  /** Marks every row at or under `path` as read (a finished unit is replayed whole, never walked into). */
  private useUnder(path: string): void {
    for (const p of this.byPath.keys()) if (p === path || p.startsWith(`${path}/`) || p.startsWith(`${path}[`) || p.startsWith(`${path}@child`)) this.used.add(p);
  }

  private row(path: string): (FitRow & { order: number }) | undefined {
    const r = this.byPath.get(path);
    if (r) this.used.add(path);
    return r;
  }

  private sequence(nodes: readonly GraphNode[], prefix: string): void {
    let gap: string | null = null;
    let prev: { path: string; output: string } | null = null;
    /** The first recorded position of the previous reached node: reached nodes must keep their order. */
    let last: { path: string; order: number } | null = null;
    for (const node of nodes) {
      const path = prefix + node.segment;
      if (!this.touched(path)) {
        if (gap === null) {
          gap = path;
          this.gaps.set(prefix, path);
          if (prev && (node.type === 'step' || node.type === 'workflow')) this.frontiers.push({ path, unit: node, from: prev.path, output: prev.output });
        }
        continue;
      }
      if (gap !== null) {
        this.diverge(path, 'inserted', `"${path}" was recorded, but "${gap}" now comes before it and never ran: a node was added, moved or renamed before the point this run reached`);
      }
      const order = this.orderOf(path);
      if (last && order < last.order) {
        this.diverge(path, 'moved', `"${path}" ran before "${last.path}", but comes after it now: the nodes were reordered`);
      }
      last = { path, order };
      this.node(node, path);
      // A sleep passes its input through: the next node gets what the node before the sleep returned.
      if (node.type === 'sleep' || node.type === 'sleepUntil') continue;
      // A wait passes on what the step that took the event returned.
      const r = this.byPath.get(node.type === 'waitForEvent' ? prefix + node.child.segment : path);
      prev = r && DONE.has(r.status) && r.output !== null && r.kind !== 'decision' ? { path, output: r.output } : null;
    }
  }

  private node(node: GraphNode, path: string): void {
    switch (node.type) {
      case 'step':
      case 'workflow':
        return this.unit(node, path);
      case 'parallel':
        if (this.byPath.has(path)) {
          this.row(path);
          this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .parallel node now`);
        }
        for (const c of node.children) if (this.touched(`${path}/${c.segment}`)) this.unit(c, `${path}/${c.segment}`);
        return;
      case 'branch':
        return this.branch(node, path);
      case 'loop':
        return this.loop(node, path);
      case 'foreach':
        return this.foreach(node, path);
      case 'map': {
        const r = this.row(path);
        if (!r || r.kind === 'decision' || this.hasUnder(path)) this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .map node now`);
        this.useUnder(path);
        return;
      }
      case 'waitForEvent': {
        // The wait's own row is at the node's path; the step that takes the event has its row beside it.
        const r = this.row(path);
        if (!r || r.kind === 'decision' || this.hasUnder(path)) this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .waitForEvent node now`);
        const childPath = path.slice(0, path.length - node.segment.length) + node.child.segment;
        if (this.touched(childPath)) this.unit(node.child, childPath);
        return;
      }
      case 'sleep':
      case 'sleepUntil': {
        const r = this.row(path);
        if (!r || (r.status !== 'waiting' && r.status !== 'success') || this.hasUnder(path)) {
          this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .${node.type} node now`);
        }
        this.useUnder(path);
        return;
      }
    }
  }

  private hasUnder(path: string): boolean {
    for (const p of this.byPath.keys()) if (p.startsWith(`${path}/`) || p.startsWith(`${path}[`)) return true;
    return false;
  }

  /** What the rows at `path` say it was, for messages. */
  private describe(path: string): string {
    const r = this.byPath.get(path);
    if (r?.kind === 'decision') return 'branch or loop decision';
    if (r && (r.status === 'waiting' || (r.output === null && r.status === 'success'))) return 'sleep or step';
    if (!r && this.hasUnder(path)) return 'node with inner steps (a nested workflow or a .parallel)';
    if (r && this.hasUnder(path)) return 'nested workflow';
    return 'step';
  }

  private unit(u: UnitNode, path: string): void {
    const r = this.row(path);
    if (r?.kind === 'decision') {
      this.diverge(path, 'kind-changed', `"${path}" was recorded as a branch or loop decision; it is ${u.type === 'step' ? 'a step' : 'a nested workflow'} now`);
      this.useUnder(path);
      return;
    }
    if (u.type === 'step') {
      // A step's child-run calls (ctx.startWorkflow) have rows beside it: `<step>@child<n>`.
      let calls = false;
      for (const p of this.byPath.keys()) {
        if (p.startsWith(`${path}@child`)) {
          this.used.add(p);
          calls = true;
        }
      }
      if (this.hasUnder(path)) {
        this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a step now`);
        this.useUnder(path);
      } else if (!r && !calls) {
        this.diverge(path, 'kind-changed', `"${path}" has no row of its own but rows inside it; it is a step now`);
      }
      return;
    }
    // A finished nested workflow is replayed from its own row; one in progress is walked into.
    if (r && DONE.has(r.status)) {
      this.useUnder(path);
      return;
    }
    // A nested workflow never suspends or waits at its own path (its steps do): such a row was a step's.
    if (r && (r.status === 'suspended' || r.status === 'waiting')) {
      this.diverge(path, 'kind-changed', `"${path}" was recorded as a step (${r.status}); it is a nested workflow now`);
      this.useUnder(path);
      return;
    }
    this.sequence(u.workflow.graph(), `${path}/`);
  }

  private branch(node: Extract<GraphNode, { type: 'branch' }>, path: string): void {
    const r = this.row(path);
    if (!r || r.kind !== 'decision') {
      this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .branch node now`);
      this.useUnder(path);
      return;
    }
    let picks: unknown;
    try {
      picks = r.output === null ? [] : JSON.parse(r.output);
    } catch {
      picks = null;
    }
    if (!Array.isArray(picks)) {
      this.diverge(path, 'kind-changed', `"${path}" has a recorded decision that is not a branch choice`);
      this.useUnder(path);
      return;
    }
    node.children.forEach((c, i) => {
      const cp = `${path}/${c.segment}`;
      if (!this.touched(cp)) return;
      if (!picks.includes(i)) {
        this.diverge(cp, 'moved', `"${cp}" ran as another choice of this branch: the branch's conditions were reordered (a replay takes the recorded choice by position)`);
        this.useUnder(cp);
        return;
      }
      this.unit(c, cp);
    });
    for (const i of picks) {
      if (typeof i !== 'number' || !node.children[i]) {
        this.diverge(path, 'removed', `"${path}" chose condition ${String(i)}, which this branch no longer has`);
      }
    }
  }

  private loop(node: Extract<GraphNode, { type: 'loop' }>, path: string): void {
    if (this.byPath.has(path)) {
      this.row(path);
      this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a loop now`);
    }
    for (let i = 1; this.touched(`${path}[${i}]`); i++) {
      const iter = `${path}[${i}]`;
      const d = this.row(iter);
      if (d && d.kind !== 'decision') this.diverge(iter, 'kind-changed', `"${iter}" is not a loop decision`);
      const cp = `${iter}/${node.child.segment}`;
      if (this.touched(cp)) this.unit(node.child, cp);
    }
  }

  private foreach(node: Extract<GraphNode, { type: 'foreach' }>, path: string): void {
    if (this.byPath.has(path)) {
      this.row(path);
      this.diverge(path, 'kind-changed', `"${path}" was recorded as a ${this.describe(path)}; it is a .foreach node now`);
    }
    const aggregate = `${path}/${node.child.segment}`;
    const r = this.row(aggregate);
    if (r && DONE.has(r.status)) {
      this.useUnder(path);
      return;
    }
    const prefix = `${path}[`;
    const items = new Set<number>();
    for (const p of this.byPath.keys()) if (p.startsWith(prefix)) items.add(Number(p.slice(prefix.length, p.indexOf(']', prefix.length))));
    for (const i of items) {
      const cp = `${path}[${i}]/${node.child.segment}`;
      if (this.touched(cp)) this.unit(node.child, cp);
    }
  }

  /** A row no node of the graph reads: its step was removed, renamed or moved. */
  private unplaced(r: FitRow & { order: number }): void {
    const slash = r.path.lastIndexOf('/');
    const prefix = slash < 0 ? '' : r.path.slice(0, slash + 1);
    const segment = r.path.slice(slash + 1).replace(/\[\d+\]$/, '');
    const elsewhere = graphShape(this.wf).nodes.find((n) => n.path.replace(/\[\]/g, '').split('/').pop() === segment);
    const gap = this.gaps.get(prefix);
    let found: Found;
    if (elsewhere) {
      found = { path: r.path, reason: 'moved', message: `"${r.path}" is no longer at that path (the graph has "${segment}" at "${elsewhere.path}"): the node moved`, order: r.order };
    } else if (gap !== undefined) {
      found = { path: r.path, reason: 'renamed', message: `"${r.path}" is not in the workflow any more; the graph has "${gap}" where the run recorded it (renamed or replaced)`, order: r.order };
    } else {
      found = { path: r.path, reason: 'removed', message: `"${r.path}" is not in the workflow any more (removed)`, order: r.order };
    }
    this.found.push(found);
  }
}

/** The structural fit of a journal to a graph (paths, kinds, order), synchronous and pure. */
export function fitStructure(wf: AnyWorkflow, rows: readonly FitRow[]): StructuralFit {
  const f = new Fitter(wf, rows);
  const divergence = f.run();
  return { divergence, frontiers: divergence ? [] : f.frontiers };
}

/**
 * The schema pass: the recorded output each frontier unit will be given must still be accepted by its
 * input schema (when the workflow validates inputs), or the run fails there after the deploy.
 */
export async function fitSchemas(wf: AnyWorkflow, frontiers: readonly Frontier[]): Promise<Divergence | null> {
  if (!wf.options.validateInputs) return null;
  for (const f of frontiers) {
    const schema = f.unit.type === 'step' ? f.unit.step.inputSchema : f.unit.workflow.inputSchema;
    if (!schema) continue;
    let value: unknown;
    try {
      value = JSON.parse(f.output);
    } catch {
      continue;
    }
    try {
      await validate(schema, value, 'input');
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        path: f.from,
        reason: 'schema',
        message: `the recorded output of "${f.from}" is not accepted by the input schema of "${unitId(f.unit)}" (${f.path}), which runs next: ${why}`,
      };
    }
  }
  return null;
}

/** The status reason of a run parked for a divergence (also what a refused resume says). */
export function divergenceReason(wf: AnyWorkflow, d: Divergence): string {
  const v = wf.version === undefined ? '' : ` v${wf.version}`;
  return `journal diverges from workflow "${wf.id}"${v} at "${d.path}" (${d.reason}): ${d.message}`;
}

/** Structure, then schemas: the first divergence, or null when the run can continue on this graph. */
export async function fitJournal(wf: AnyWorkflow, rows: readonly FitRow[]): Promise<Divergence | null> {
  const s = fitStructure(wf, rows);
  return s.divergence ?? (await fitSchemas(wf, s.frontiers));
}
