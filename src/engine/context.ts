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

/**
 * The context a step's `execute` receives. Function-valued members are getters on the prototype that
 * build their closure on first access: steps destructure only what they use, so a step that reads
 * `inputData` alone allocates no closures at all (this object is created once per step attempt, on the
 * hot path). Everything still works when destructured, since each getter returns a bound function.
 */
class StepContextImpl {
  readonly inputData: unknown;
  readonly resumeData: unknown;
  readonly retryCount: number;
  readonly runId: string;
  readonly workflowId: string;
  readonly resourceId: string | undefined;
  readonly requestContext: RunExecution['requestContext'];

  constructor(
    private readonly exec: RunExecution,
    private readonly scope: Scope,
    private readonly stepId: string,
    private readonly control: StepControl,
    inputData: unknown,
    resumeData: unknown,
    retryCount: number,
    /** A signal of the step's own (timeouts); otherwise the run's, created only if the step asks. */
    private readonly ownSignal: AbortSignal | undefined,
  ) {
    this.inputData = inputData;
    this.resumeData = resumeData;
    this.retryCount = retryCount;
    this.runId = exec.runId;
    this.workflowId = exec.rootWorkflow.id;
    this.resourceId = exec.resourceId;
    this.requestContext = exec.requestContext;
  }

  get abortSignal(): AbortSignal {
    return this.ownSignal ?? this.exec.signal;
  }

  get state(): Record<string, unknown> {
    return this.exec.state;
  }

  get setState() {
    const { exec, control } = this;
    return async (partial: Record<string, unknown>): Promise<void> => {
      if (!partial || typeof partial !== 'object' || Array.isArray(partial)) {
        throw new InvalidArgumentError('setState needs an object to merge into the state');
      }
      const next = { ...exec.state, ...partial };
      const schema = exec.rootWorkflow.stateSchema;
      const validated = schema ? await validate(schema, next, 'state') : next;
      exec.state = (validated ?? next) as Record<string, unknown>;
      control.statePatch = { ...control.statePatch, ...partial };
    };
  }

  get getStepResult() {
    const outputs = this.scope.outputs;
    return (step: { id: string } | string): any => {
      const id = typeof step === 'string' ? step : step?.id;
      const v = outputs.get(id);
      return v === undefined ? null : v;
    };
  }

  get getInitData() {
    const initData = this.scope.initData;
    return (): any => initData;
  }

  get suspend() {
    const control = this.control;
    return async (payload?: unknown, options?: SuspendOptions): Promise<never> => {
      const raw = options?.resumeLabel;
      const labels = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
      control.suspended = { payload, labels };
      return undefined as never;
    };
  }

  get bail() {
    const control = this.control;
    return (result: unknown): never => {
      control.bailed = { value: result };
      return undefined as never;
    };
  }

  get abort() {
    const { exec, control } = this;
    return (): void => {
      control.aborted = true;
      exec.abortFromStep();
    };
  }

  get writer(): StepWriter {
    const exec = this.exec;
    const eventId = this.scope.idPrefix + this.stepId;
    return {
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
  }
}

// The engine-private fields must not show up when users log or spread the context.
for (const key of ['exec', 'scope', 'stepId', 'control', 'ownSignal']) {
  Object.defineProperty(StepContextImpl.prototype, key, { enumerable: false, writable: true, configurable: true });
}

export function createContext(
  exec: RunExecution,
  scope: Scope,
  stepId: string,
  control: StepControl,
  inputData: unknown,
  resumeData: unknown,
  retryCount: number,
  signal?: AbortSignal,
): StepContext {
  return new StepContextImpl(exec, scope, stepId, control, inputData, resumeData, retryCount, signal) as unknown as StepContext;
}
