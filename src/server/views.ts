import type { RunSummary } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { Weft } from '../engine/weft.js';
import type { RunSummaryJson, WorkflowInfo } from '../wire/types.js';
import { jsonSchemaOf, stepSchemas } from './step-schemas.js';
import { fingerprintOf } from '../engine/fingerprint.js';
import { eventCatalog } from '../engine/event-catalog.js';

const eventCache = new WeakMap<AnyWorkflow, Record<string, Record<string, unknown>>>();

/**
 * The data schema of each event a workflow waits for, as JSON Schema. A name waited for with several
 * schemas (two waits) shows the first: the send checks the data against all of them anyway.
 */
function eventSchemas(wf: AnyWorkflow): Record<string, Record<string, unknown>> {
  let out = eventCache.get(wf);
  if (!out) {
    out = {};
    for (const [name, d] of eventCatalog([wf])) {
      const schema = d.schemas[0] ? jsonSchemaOf(d.schemas[0]) : undefined;
      if (schema) out[name] = schema;
    }
    eventCache.set(wf, out);
  }
  return out;
}

export type { RunSummaryJson, WorkflowInfo };

export function describeWorkflow(key: string, wf: AnyWorkflow): WorkflowInfo {
  const info: WorkflowInfo = { key, id: wf.id, stepGraph: wf.serializedStepGraph, steps: stepSchemas(wf) };
  if (wf.description) info.description = wf.description;
  if (wf.metadata) info.metadata = wf.metadata;
  if (wf.version !== undefined) info.version = wf.version;
  info.fingerprint = fingerprintOf(wf);
  const input = jsonSchemaOf(wf.inputSchema);
  if (input) info.inputSchema = input;
  const events = eventSchemas(wf);
  if (Object.keys(events).length) info.events = events;
  return info;
}

/** A summary as the API sends it: ISO dates, and `workflowId` beside `workflowName`. */
export function summaryJson(s: RunSummary): RunSummaryJson {
  const out: RunSummaryJson = {
    runId: s.runId,
    workflowId: s.workflowName,
    workflowName: s.workflowName,
    resourceId: s.resourceId,
    status: s.status,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
  if (s.resourceId === undefined) delete out.resourceId;
  if (s.statusReason) out.statusReason = s.statusReason;
  if (s.fingerprint) out.fingerprint = s.fingerprint;
  if (s.version) out.version = s.version;
  return out;
}

/**
 * Finds a stored run of a workflow: RUN_NOT_FOUND when there is none (a run id that only exists as an
 * unstarted handle in this process is unknown here, as in any other process).
 */
export async function findRun(weft: Weft, workflowKey: string, runId: string): Promise<{ wf: AnyWorkflow; run: RunSummary }> {
  const wf = weft.getWorkflow(workflowKey);
  return { wf, run: await weft.getRunSummary(runId, wf.id) };
}
