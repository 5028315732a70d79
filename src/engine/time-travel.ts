import type { GraphNode, UnitNode } from '../define/graph.js';
import { unitId } from '../define/graph.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { encodeMeta, type RowMeta } from '../domain/journal-meta.js';
import { InvalidArgumentError } from '../errors.js';
import type { JournalEntry, JournalKind } from '../store/types.js';
import { encode } from './payload.js';

/** A step's recorded result as Mastra's time travel takes it (`context` and `nestedStepsContext`). */
export interface TravelContextEntry {
  status: string;
  payload?: unknown;
  output?: unknown;
  suspendPayload?: unknown;
  resumePayload?: unknown;
  startedAt?: number;
  endedAt?: number;
}

export type TravelContext = Record<string, TravelContextEntry>;

export interface TravelPlanInput {
  wf: AnyWorkflow;
  runId: string;
  /** The run's journal now (empty for a run that does not exist yet). */
  journal: JournalEntry[];
  /** The target as step ids from the top: ['step2'], or ['nested', 'inner'] for a step of a nested workflow. */
  target: string[];
  context: TravelContext;
  /** Results of steps inside nested workflows, keyed by the nested workflow's id. */
  nestedStepsContext: Record<string, TravelContext>;
  /** Replaces the target's input (else it gets the previous node's output, as in a normal walk). */
  inputData?: { value: unknown };
  resumeData?: { value: unknown };
  now: number;
  maxPayloadBytes: number;
}

export interface TravelPlan {
  /** The journal the run continues from. */
  rows: JournalEntry[];
  /** The journal path of the target node. */
  targetPath: string;
  /** The schema the target's input must pass (the step's, or the nested workflow's). */
  targetInputSchema: unknown;
}

/**
 * Plans a time travel: the journal a run continues from so that it executes the target (and everything
 * after it) again. Nodes before the target keep their recorded results, or take the ones `context`
 * gives (Mastra's shape, keyed by step id); a step before the target with neither is recorded as
 * skipped (output null) rather than executed. The walk then replays everything before the target from
 * these rows, so the target's input is the previous node's output, unless `inputData` replaces it.
 * Pure: the engine writes the plan with the store's reviseRun, which keeps the replaced journal.
 */
export function planTimeTravel(p: TravelPlanInput): TravelPlan {
  const planner = new TravelPlanner(p);
  const found = planner.descend(p.wf.graph(), p.target, '', p.context);
  if (!found) throw new InvalidArgumentError(`time travel: "${p.target.join('.')}" is not a step of workflow "${p.wf.id}"`);
  return { rows: planner.rows(), ...found };
}

class TravelPlanner {
  private readonly existing: Map<string, JournalEntry>;
  private readonly out = new Map<string, JournalEntry>();

  constructor(private readonly p: TravelPlanInput) {
    this.existing = new Map(p.journal.map((e) => [e.path, e]));
  }

  rows(): JournalEntry[] {
    return [...this.out.values()];
  }

  /**
   * Finds the target in a sequence of nodes, filling what comes before it; descends into a nested
   * workflow when the target names one of its steps. Null when the sequence has no such node.
   */
  descend(nodes: readonly GraphNode[], target: string[], prefix: string, ctx: TravelContext): Omit<TravelPlan, 'rows'> | null {
    const [head, ...rest] = target;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const path = prefix + n.segment;
      const units = unitsOf(n, path);
      const hit = units.find(([u]) => unitId(u) === head);
      if (!hit) continue;
      for (let j = 0; j < i; j++) this.before(nodes[j]!, prefix, ctx);
      const [unit, unitPath] = hit;
      if (n.type === 'waitForEvent') this.passWait(path);
      if (n.type === 'parallel') for (const [u, up] of units) if (u !== unit) this.unit(u, up, ctx);
      if (n.type === 'branch') {
        // The branch takes the target, and the siblings whose results are given.
        const chosen = n.children.flatMap((c, k) => (c === unit || ctx[unitId(c)] ? [k] : []));
        this.put(this.row({ path, kind: 'decision', status: 'success', output: chosen }));
        for (const k of chosen) if (n.children[k] !== unit) this.unit(n.children[k]!, `${path}/${n.children[k]!.segment}`, ctx);
      }
      if (rest.length > 0) {
        if (unit.type !== 'workflow') return null;
        return this.descend(unit.workflow.graph(), rest, `${unitPath}/`, this.p.nestedStepsContext[unit.workflow.id] ?? {});
      }
      // A foreach runs again as a whole, a loop from its first iteration: their rows all go.
      if (n.type === 'foreach' || n.type === 'loop') return { targetPath: path, targetInputSchema: inputSchemaOf(unit) };
      this.target(unitPath);
      return { targetPath: unitPath, targetInputSchema: inputSchemaOf(unit) };
    }
    return null;
  }

  private put(e: JournalEntry): void {
    this.out.set(e.path, e);
  }

  private row(f: {
    path: string;
    kind?: JournalKind;
    status: JournalEntry['status'];
    input?: unknown;
    output?: unknown;
    meta?: RowMeta;
    startedAt?: number;
    endedAt?: number | null;
  }): JournalEntry {
    const { now, maxPayloadBytes: max, runId } = this.p;
    return {
      runId,
      path: f.path,
      kind: f.kind ?? 'step',
      status: f.status,
      attempt: 1,
      input: encode(f.input, `time travel input at "${f.path}"`, max),
      output: encode(f.output, `time travel output at "${f.path}"`, max),
      error: null,
      meta: encodeMeta(f.meta),
      startedAt: f.startedAt ?? now,
      endedAt: f.endedAt === undefined ? now : f.endedAt,
    };
  }

  /** Keeps every recorded row under a node's path (its own, and those of what it contains). */
  private keepUnder(path: string): void {
    for (const [k, e] of this.existing) if (k === path || k.startsWith(`${path}/`) || k.startsWith(`${path}[`)) this.put(e);
  }

  private recorded(path: string): boolean {
    const s = this.existing.get(path)?.status;
    return s === 'success' || s === 'suspended';
  }

  /** A unit (step or nested workflow) that is not executed: its given result, its record, or skipped. */
  private unit(u: UnitNode, path: string, ctx: TravelContext): void {
    const given = ctx[unitId(u)];
    if (given) this.put(this.fromContext(given, path));
    else if (this.recorded(path)) this.keepUnder(path);
    else this.put(this.row({ path, status: 'success', output: null, meta: { skipped: true } }));
  }

  private fromContext(c: TravelContextEntry, path: string): JournalEntry {
    if (c.status === 'suspended') {
      const meta: RowMeta = { suspendPayload: c.suspendPayload, suspendedAt: c.startedAt ?? this.p.now };
      return this.row({ path, status: 'suspended', input: c.payload, meta, startedAt: c.startedAt, endedAt: null });
    }
    return this.row({ path, status: 'success', input: c.payload, output: c.output, startedAt: c.startedAt, endedAt: c.endedAt });
  }

  /** Everything a node before the target needs to replay without executing. */
  private before(n: GraphNode, prefix: string, ctx: TravelContext): void {
    const path = prefix + n.segment;
    const existing = this.existing.get(path);
    switch (n.type) {
      case 'step':
      case 'workflow':
        this.unit(n, path, ctx);
        return;
      case 'parallel':
        for (const c of n.children) this.unit(c, `${path}/${c.segment}`, ctx);
        return;
      case 'branch': {
        if (existing?.status === 'success' && !n.children.some((c) => ctx[unitId(c)])) return this.keepUnder(path);
        const chosen = n.children.flatMap((c, k) => (ctx[unitId(c)] || this.recorded(`${path}/${c.segment}`) ? [k] : []));
        this.put(this.row({ path, kind: 'decision', status: 'success', output: chosen }));
        for (const k of chosen) this.unit(n.children[k]!, `${path}/${n.children[k]!.segment}`, ctx);
        return;
      }
      case 'loop': {
        if (!ctx[unitId(n.child)] && [...this.existing.keys()].some((k) => k.startsWith(`${path}[`))) return this.keepUnder(path);
        // One iteration whose condition ends the loop: dountil stops on true, dowhile on false.
        this.unit(n.child, `${path}[1]/${n.child.segment}`, ctx);
        this.put(this.row({ path: `${path}[1]`, kind: 'decision', status: 'success', output: n.mode === 'dountil' }));
        return;
      }
      case 'foreach':
        this.unit(n.child, `${path}/${n.child.segment}`, ctx);
        return;
      case 'map':
        // Recomputed from its input when not recorded: a map is a pure transform, not a step.
        if (existing?.status === 'success') this.put(existing);
        return;
      case 'sleep':
      case 'sleepUntil':
        // Already slept, or never needs to: the walk passes it without waiting.
        this.put(existing?.status === 'success' ? existing : this.row({ path, status: 'success' }));
        return;
      case 'waitForEvent':
        this.passWait(path);
        this.unit(n.child, prefix + n.child.segment, ctx);
        return;
    }
  }

  /**
   * A wait for events before (or at) the target is passed, not waited for again: the event it took is
   * kept; a wait that never ended counts as ended without an event (its step sees neither).
   */
  private passWait(path: string): void {
    const existing = this.existing.get(path);
    this.put(existing?.status === 'resumed' ? existing : this.row({ path, status: 'resumed', endedAt: null }));
  }

  /** The target's own row, only when it gets resume data or a new input (the walk executes it either way). */
  private target(path: string): void {
    const { inputData, resumeData } = this.p;
    if (!inputData && !resumeData) return;
    const meta: RowMeta = {};
    if (resumeData) meta.resumePayload = resumeData.value;
    if (inputData) meta.inputOverride = inputData.value;
    this.put(this.row({ path, status: 'resumed', meta, endedAt: null }));
  }
}

/** The units (steps, nested workflows) a node holds, with their journal paths. */
function unitsOf(n: GraphNode, path: string): [UnitNode, string][] {
  switch (n.type) {
    case 'step':
    case 'workflow':
      return [[n, path]];
    case 'parallel':
    case 'branch':
      return n.children.map((c) => [c, `${path}/${c.segment}`]);
    case 'loop':
      return [[n.child, `${path}[1]/${n.child.segment}`]];
    case 'foreach':
      return [[n.child, `${path}/${n.child.segment}`]];
    case 'waitForEvent':
      return [[n.child, path.slice(0, path.length - n.segment.length) + n.child.segment]];
    default:
      return [];
  }
}

function inputSchemaOf(u: UnitNode): unknown {
  return u.type === 'step' ? u.step.inputSchema : u.workflow.inputSchema;
}
