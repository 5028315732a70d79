import { InvalidArgumentError } from '../errors.js';
import { validate } from '../define/schema.js';
import type { StepContext, StepWriter, SuspendOptions } from '../define/types.js';
import type { RunExecution } from './execution.js';
import type { Scope } from './scope.js';

/** What a step did to the run through its context, read by the step runner after execute returns. */
export interface StepControl {
  suspended?: { payload: unknown; labels: string[] };
  bailed?: { value: unknown };
  aborted?: boolean;
  statePatch?: Record<string, unknown>;
}

export interface ContextInput {
  inputData: unknown;
  stepId: string;
  resumeData: unknown;
  retryCount: number;
  abortSignal: AbortSignal;
}

export function createContext(exec: RunExecution, scope: Scope, input: ContextInput, control: StepControl): StepContext {
  const eventId = scope.idPrefix + input.stepId;
  const writer: StepWriter = {
    async write(chunk: unknown) {
      exec.emit('workflow-step-output', { id: eventId, output: chunk });
    },
    async custom(event) {
      if (!event || typeof event.type !== 'string' || !event.type.startsWith('data-')) {
        throw new InvalidArgumentError('writer.custom() needs an event whose type starts with "data-"');
      }
      exec.emit(event.type, { ...event });
    },
  };
  return {
    inputData: input.inputData,
    get state() {
      return exec.state;
    },
    async setState(partial: Record<string, unknown>) {
      if (!partial || typeof partial !== 'object' || Array.isArray(partial)) {
        throw new InvalidArgumentError('setState needs an object to merge into the state');
      }
      const next = { ...exec.state, ...partial };
      const schema = exec.rootWorkflow.stateSchema;
      const validated = schema ? await validate(schema, next, 'state') : next;
      exec.state = (validated ?? next) as Record<string, unknown>;
      control.statePatch = { ...control.statePatch, ...partial };
    },
    getStepResult(step: { id: string } | string) {
      const id = typeof step === 'string' ? step : step?.id;
      const v = scope.outputs.get(id);
      return v === undefined ? null : v;
    },
    getInitData() {
      return scope.initData as any;
    },
    async suspend(payload?: unknown, options?: SuspendOptions) {
      const raw = options?.resumeLabel;
      const labels = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
      control.suspended = { payload, labels };
      return undefined as never;
    },
    resumeData: input.resumeData,
    bail(result: unknown): never {
      control.bailed = { value: result };
      return undefined as never;
    },
    abort() {
      control.aborted = true;
      exec.abortFromStep();
    },
    abortSignal: input.abortSignal,
    requestContext: exec.requestContext,
    writer,
    retryCount: input.retryCount,
    runId: exec.runId,
    workflowId: exec.rootWorkflow.id,
    resourceId: exec.resourceId,
  } as StepContext;
}
