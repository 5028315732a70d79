import { WorkflowDefinitionError } from '../errors.js';
import { createStep } from './step.js';
import type { Step } from './types.js';
import { Workflow, type AnyWorkflow, type ClonedWorkflow } from './workflow.js';

/**
 * A copy of a step under another id (Mastra's `cloneStep`): the same schemas, execute, retries, timeout
 * and metadata. The id is the copy's journal key and result key, so one step can appear twice in a
 * graph where ids must differ (`.parallel`, `.branch`). Given a workflow, it is `cloneWorkflow`.
 */
export function cloneStep<TId extends string, TIn, TOut>(step: Step<string, TIn, TOut>, opts: { id: TId }): Step<TId, TIn, TOut>;
export function cloneStep<W extends AnyWorkflow, TId extends string>(step: W, opts: { id: TId }): ClonedWorkflow<W, TId>;
export function cloneStep(step: Step | AnyWorkflow, opts: { id: string }): Step | AnyWorkflow {
  const id = idOf('cloneStep', opts);
  if (step instanceof Workflow) return Workflow.cloneOf(step, id);
  if (!step || typeof step !== 'object' || (step as Step).component !== 'STEP') {
    throw new WorkflowDefinitionError('cloneStep needs a step made by createStep (or a workflow)');
  }
  const { component: _component, __in: _in, __out: _out, ...config } = step;
  return createStep({ ...config, id } as Parameters<typeof createStep>[0]);
}

/**
 * A committed copy of a workflow under another id (Mastra's `cloneWorkflow`): the same schemas,
 * options, retry config and graph, so the same definition can run (or be nested) twice under two
 * names. The copy has no `schedule`.
 */
export function cloneWorkflow<W extends AnyWorkflow, TId extends string>(workflow: W, opts: { id: TId }): ClonedWorkflow<W, TId> {
  return Workflow.cloneOf(workflow, idOf('cloneWorkflow', opts));
}

function idOf<TId extends string>(what: string, opts: { id: TId }): TId {
  if (!opts || typeof opts !== 'object') throw new WorkflowDefinitionError(`${what} needs options { id }`);
  return opts.id;
}
