import type { WorkflowInfo, WorkflowResult } from '../client/index.js';
import { EXIT } from './errors.js';
import { statusText } from './output.js';

/** What a client needs to answer a suspended run: where, with what payload, and the resume schema. */
export interface SuspendedStep {
  path: string;
  payload: unknown;
  resumeSchema?: Record<string, unknown>;
}

export function suspendedSteps(result: WorkflowResult, info: WorkflowInfo | null): SuspendedStep[] {
  if (result.status !== 'suspended') return [];
  return result.suspended.map((p) => {
    const path = p.join('.');
    const step: SuspendedStep = { path, payload: result.suspendPayload[path] ?? result.steps[path]?.suspendPayload };
    const schema = info?.steps?.[path]?.resumeSchema;
    if (schema) {
      // The $schema line says which draft; it is noise for someone writing --data by hand.
      const { $schema: _draft, ...rest } = schema;
      step.resumeSchema = rest;
    }
    return step;
  });
}

/**
 * The outcome of a run on stdout: the result, the error, or for a suspended run each suspended step
 * with its payload, its resume schema (when the server can say) and the command that resumes it.
 */
export function printOutcome(result: WorkflowResult, runId: string, info: WorkflowInfo | null): void {
  const out: string[] = [];
  if (result.status === 'success') out.push(`${statusText('success')} ${JSON.stringify(result.result)}`);
  else if (result.status === 'failed') out.push(`${statusText('failed')}: ${result.error.message}`);
  else if (result.status === 'suspended') {
    const steps = suspendedSteps(result, info);
    out.push(`${statusText('suspended')} at ${steps.map((s) => s.path).join(', ')}`);
    for (const s of steps) {
      if (steps.length > 1) out.push(`  ${s.path}`);
      if (s.payload !== undefined) out.push(`  payload        ${JSON.stringify(s.payload)}`);
      if (s.resumeSchema) out.push(`  resume schema  ${JSON.stringify(s.resumeSchema)}`);
    }
    const step = steps.length > 1 ? ' --step <step>' : '';
    out.push(`resume with: weft runs resume ${runId}${step} --data '<json>'`);
  } else out.push(statusText(result.status));
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Exit code of a settled run: failed and canceled runs fail the command. */
export function exitFor(result: WorkflowResult): number {
  return result.status === 'failed' || result.status === 'canceled' ? EXIT.failed : EXIT.ok;
}
