import type { AnyWorkflow } from '../define/workflow.js';
import type { JournalKind } from '../store/types.js';

/**
 * Where in the run a node executes: the journal path prefix, the workflow whose graph it belongs to
 * (nested workflows get their own scope), and the outputs visible to `getStepResult` there.
 */
export interface Scope {
  prefix: string;
  /** Prefix for ids in events and results: '' at the top, 'child.' inside nested workflow 'child'. */
  idPrefix: string;
  workflow: AnyWorkflow;
  initData: unknown;
  outputs: Map<string, unknown>;
  rowKind: JournalKind;
}
