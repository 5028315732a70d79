import { validate } from '../../define/schema.js';
import type { NestedNode } from '../../define/graph.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { deserializeError } from '../../errors.js';
import type { Exec } from './exec.js';
import { recordFailure, recordSuccess, replayRecorded, stepEvents } from './journal-row.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';

/**
 * A nested workflow: its nodes walk under `child/` in a scope of their own. As in Mastra, the nested
 * workflow itself shows as one step: a row of its own once it finished or failed, and (while one of
 * its steps is suspended) a suspended event but no row, so a resume walks into it again.
 */
export async function runNested(walk: Walk, exec: Exec, unit: NestedNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const wf = unit.workflow as AnyWorkflow;
  const id = wf.id;
  const entry = exec.row(path);
  const done = replayRecorded(exec, entry, scope, id);
  if (done) return done;
  // Time travel may give the nested workflow an input of its own.
  if (entry?.status === 'resumed') {
    const meta = exec.metaOf(entry);
    if ('inputOverride' in meta) input = { v: meta.inputOverride };
  }
  const startedAt = exec.now();
  const rec = { exec, scope, path, id, input, startedAt, attempts: 1 };
  let validated: unknown = input.v;
  // A nested workflow's input is a step input of its parent: the root workflow's validateInputs decides.
  if (exec.rootWorkflow.options.validateInputs) {
    try {
      validated = await validate(wf.inputSchema, input.v, 'Step input validation failed');
    } catch (err) {
      return recordFailure(rec, err);
    }
  }
  const inner: Scope = {
    prefix: `${path}/`,
    idPrefix: `${scope.idPrefix}${id}.`,
    workflow: wf,
    initData: validated,
    outputs: new Map(),
    rowKind: scope.rowKind,
  };
  if (stepEvents(exec, scope)) exec.emit('workflow-step-start', { id: scope.idPrefix + id, payload: input.v, startedAt, status: 'running' });
  const outcome = await walk.sequence(exec, wf.graph(), { v: validated }, inner);
  if (outcome.t === 'failed') return recordFailure(rec, deserializeError(outcome.error));
  if (outcome.t === 'suspended' && stepEvents(exec, scope)) {
    let suspendPayload: unknown;
    for (const e of exec.rows()) {
      if (e.status === 'suspended' && e.path.startsWith(inner.prefix)) {
        suspendPayload = exec.metaOf(e).suspendPayload;
        break;
      }
    }
    exec.emit('workflow-step-suspended', { id: scope.idPrefix + id, suspendPayload, payload: input.v, startedAt, status: 'suspended' });
  }
  if (outcome.t !== 'ok') return outcome;
  return recordSuccess(rec, outcome.value);
}
