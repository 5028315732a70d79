import { InvalidArgumentError } from '../../errors.js';
import { validate } from '../../define/schema.js';
import type { ReceivedEvent, StepContext, StepWriter, SuspendOptions, TracingContext } from '../../define/types.js';
import type { DeliveredEvent } from '../../domain/journal-meta.js';
import type { StepSpan } from '../tracing.js';
import { mastraOf } from '../../define/mastra-link.js';
import type { ChunkCall } from './chunk-journal.js';
import type { Exec } from './exec.js';
import type { Scope } from './scope.js';

/** What a step did to the run through its context, read by the step runner after execute returns. */
export interface StepControl {
  suspended?: { payload: unknown; labels: string[] };
  bailed?: { value: unknown };
  aborted?: boolean;
  statePatch?: Record<string, unknown>;
}

export interface ContextArgs {
  exec: Exec;
  scope: Scope;
  /** The id events carry (the step's id, or the node's for conditions and `.map`). */
  stepId: string;
  control: StepControl;
  inputData: unknown;
  resumeData?: unknown;
  /** The payload the step suspended with, when this attempt resumes it. */
  suspendData?: unknown;
  retryCount: number;
  /** The step after a `.waitForEvent`: the event that ended the wait, or that it timed out. */
  received?: { event?: DeliveredEvent; timedOut: boolean };
  /** A signal of the step's own (timeouts); otherwise the run's, created only if the step asks. */
  signal?: AbortSignal;
  /** The step's span; conditions and `.map` functions (and steps while no SDK records) see the run's. */
  span?: StepSpan;
  /** The journal path and start time of the step call (its chunks are keyed by them); absent: the node's. */
  path?: string;
  startedAt?: number;
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
  readonly suspendData: unknown;
  readonly retryCount: number;
  /** The step after a `.waitForEvent`: the event that ended the wait (undefined when it timed out). */
  readonly event: ReceivedEvent | undefined;
  /** The step after a `.waitForEvent` with a timeout: true when the wait ended at its deadline. */
  readonly timedOut: boolean | undefined;
  readonly runId: string;
  readonly workflowId: string;
  readonly resourceId: string | undefined;
  readonly requestContext: Exec['requestContext'];
  /** A true private field: never enumerable, so logging or spreading the context shows only its API. */
  readonly #a: ContextArgs;

  constructor(a: ContextArgs) {
    this.#a = a;
    this.inputData = a.inputData;
    this.resumeData = a.resumeData;
    this.suspendData = a.suspendData;
    this.retryCount = a.retryCount;
    const r = a.received;
    this.event = r?.event ? { name: r.event.name, key: r.event.key ?? undefined, id: r.event.id, data: a.resumeData, receivedAt: new Date(r.event.receivedAt) } : undefined;
    this.timedOut = r ? r.timedOut : undefined;
    this.runId = a.exec.runId;
    this.workflowId = a.exec.rootWorkflow.id;
    this.resourceId = a.exec.resourceId;
    this.requestContext = a.exec.requestContext;
  }

  get abortSignal(): AbortSignal {
    return this.#a.signal ?? this.#a.exec.signal;
  }

  /**
   * Mastra's `tracingContext`, bound to OpenTelemetry: `currentSpan` is the step's span (the run's when
   * no SDK records spans), so a step can add attributes and events or start child spans under it.
   */
  get tracingContext(): TracingContext {
    return { currentSpan: this.#a.span?.span ?? this.#a.exec.tracer.span };
  }

  /** The Mastra instance the run's (root) workflow was registered with, if any (nested ones share it). */
  get mastra(): unknown {
    return mastraOf(this.#a.exec.rootWorkflow);
  }

  /** Mastra's alias of tracingContext. */
  get tracing(): TracingContext {
    return this.tracingContext;
  }

  get state(): Record<string, unknown> {
    return this.#a.exec.state;
  }

  get setState() {
    const { exec, control } = this.#a;
    return async (partial: Record<string, unknown>): Promise<void> => {
      if (!partial || typeof partial !== 'object' || Array.isArray(partial)) {
        throw new InvalidArgumentError('setState needs an object to merge into the state');
      }
      // Checked now, where the step can see the error: a patch JSON cannot carry fails the step with
      // PAYLOAD_NOT_SERIALIZABLE (not retried) instead of surfacing later, when its row is written.
      exec.encode(partial, 'setState');
      const next = { ...exec.state, ...partial };
      const schema = exec.rootWorkflow.options.validateInputs ? exec.rootWorkflow.stateSchema : undefined;
      const validated = schema ? await validate(schema, next, 'Step state data validation failed') : next;
      exec.state = (validated ?? next) as Record<string, unknown>;
      control.statePatch = { ...control.statePatch, ...partial };
    };
  }

  get getStepResult() {
    const outputs = this.#a.scope.outputs;
    return (step: { id: string } | string): any => {
      const id = typeof step === 'string' ? step : step?.id;
      const v = outputs.get(id);
      return v === undefined ? null : v;
    };
  }

  get getInitData() {
    const initData = this.#a.scope.initData;
    return (): any => initData;
  }

  get suspend() {
    const control = this.#a.control;
    return async (payload?: unknown, options?: SuspendOptions): Promise<never> => {
      const raw = options?.resumeLabel;
      const labels = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
      control.suspended = { payload, labels };
      return undefined as never;
    };
  }

  get bail() {
    const control = this.#a.control;
    return (result: unknown): never => {
      control.bailed = { value: result };
      return undefined as never;
    };
  }

  get abort() {
    const { exec, control } = this.#a;
    return (): void => {
      control.aborted = true;
      exec.abortFromStep();
    };
  }

  get createToken() {
    const exec = this.#a.exec;
    return (opts?: { timeout?: number | string }) => exec.createToken(opts);
  }

  get writer(): StepWriter {
    const exec = this.#a.exec;
    const eventId = this.#a.scope.idPrefix + this.#a.stepId;
    // Conditions and `.map` functions have no call of their own: their chunks are keyed by the node.
    const a = this.#a;
    const call: ChunkCall = { path: a.path ?? a.scope.prefix + a.stepId, step: eventId, attempt: a.retryCount + 1, startedAt: a.startedAt ?? 0 };
    return {
      async write(chunk: unknown) {
        exec.writeChunk(call, 'workflow-step-output', { id: eventId, output: chunk });
      },
      async custom(event) {
        if (!event || typeof event.type !== 'string' || !event.type.startsWith('data-')) {
          throw new InvalidArgumentError('writer.custom() needs an event whose type starts with "data-"');
        }
        exec.writeChunk(call, event.type, { ...event });
      },
    };
  }
}

export function createContext(args: ContextArgs): StepContext {
  return new StepContextImpl(args) as unknown as StepContext;
}

/** Context for conditions, `.map` functions and dynamic sleeps: a step context without a step of its own. */
export function fnContext(exec: Exec, scope: Scope, inputData: unknown, id: string): StepContext {
  return createContext({ exec, scope, stepId: id, control: {}, inputData, retryCount: 0 });
}
