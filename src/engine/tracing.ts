import { randomBytes } from 'node:crypto';
import type { Context, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { otelApi, type OtelApi } from './otel.js';
import type { SerializedError } from '../errors.js';

/** The tracing fields stored with a run (JSON in runs.tracing). */
export interface StoredTracing {
  traceId: string;
  parentSpanId?: string;
  metadata?: Record<string, unknown>;
  tags?: string[];
}

const TRACER_NAME = 'weft';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A trace id for a new run. A UUID run id already carries 122 random bits, so its hex digits serve as
 * the trace id (no extra randomness per run, and the trace is easy to find from the run id).
 */
export function newTraceId(runId?: string): string {
  if (runId && UUID.test(runId)) return runId.replace(/-/g, '').toLowerCase();
  return randomBytes(16).toString('hex');
}

/** The remote parent span id used when none was given: derived from the trace id, never all zeros. */
function syntheticParentSpanId(traceId: string): string {
  const id = traceId.slice(16, 32);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

function attributeValue(v: unknown): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Spans for one execution of a run, through @opentelemetry/api only (users bring their own SDK).
 * Every execution of a run (the first, each resume, each recovery after a crash) is a `workflow.run`
 * span in the same trace, because the trace id is fixed when the run is created and stored with it.
 */
export class RunTracer {
  private readonly api: OtelApi | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly runSpan: Span;
  private readonly runContext: Context | undefined;
  /** False when no SDK records spans: steps then share one no-op span (nothing to pay per step). */
  private readonly recording: boolean;

  constructor(tracing: StoredTracing, runId: string, workflowId: string, continued: boolean) {
    const parentSpan: SpanContext = {
      traceId: tracing.traceId,
      spanId: tracing.parentSpanId ?? syntheticParentSpanId(tracing.traceId),
      traceFlags: 1, // TraceFlags.SAMPLED
      isRemote: true,
    };
    const api = otelApi();
    if (!api) {
      // Nothing registered with @opentelemetry/api: what its no-op tracer would give (a span carrying
      // the parent's context), without loading the package.
      this.api = undefined;
      this.tracer = undefined;
      this.runSpan = nonRecordingSpan(parentSpan);
      this.runContext = undefined;
      this.recording = false;
      return;
    }
    this.api = api;
    const { trace, ROOT_CONTEXT, SpanKind } = api;
    this.tracer = trace.getTracer(TRACER_NAME);
    const parent = trace.setSpanContext(ROOT_CONTEXT, parentSpan);
    const attributes: Record<string, string | number | boolean> = {
      'weft.run_id': runId,
      'weft.workflow_id': workflowId,
      'weft.continued': continued,
    };
    for (const [k, v] of Object.entries(tracing.metadata ?? {})) attributes[`weft.metadata.${k}`] = attributeValue(v);
    if (tracing.tags?.length) attributes['weft.tags'] = tracing.tags.join(',');
    this.runSpan = this.tracer.startSpan(`workflow.run ${workflowId}`, { kind: SpanKind.INTERNAL, attributes }, parent);
    this.runContext = trace.setSpan(parent, this.runSpan);
    this.recording = this.runSpan.isRecording();
  }

  /** The run's span (a non-recording one carrying the trace id when no SDK is registered). */
  get span(): Span {
    return this.runSpan;
  }

  startStep(stepId: string, attempt: number): StepSpan {
    if (!this.recording || !this.api || !this.tracer || !this.runContext) return NOOP_STEP_SPAN;
    const span = this.tracer.startSpan(`workflow.step ${stepId}`, { attributes: { 'weft.step_id': stepId, 'weft.attempt': attempt } }, this.runContext);
    return new StepSpan(this.api, span, this.api.trace.setSpan(this.runContext, span));
  }

  end(status: string, error?: SerializedError): void {
    this.runSpan.setAttribute('weft.status', status);
    if (error) {
      this.runSpan.recordException({ name: error.name, message: error.message });
      this.runSpan.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message: error.message });
    }
    this.runSpan.end();
  }
}

export class StepSpan {
  /** False for the shared no-op span: callers skip wrapping the step in a context then. */
  readonly active = true;

  constructor(
    private readonly api: OtelApi,
    readonly span: Span,
    readonly ctx: Context,
  ) {}

  /** Runs `fn` with this step's span active, so spans the step creates nest under it. */
  run<T>(fn: () => T): T {
    return this.api.context.with(this.ctx, fn);
  }

  retry(attempt: number, error: SerializedError, delayMs: number): void {
    this.span.addEvent('retry', { 'weft.attempt': attempt, 'exception.message': error.message, 'weft.delay_ms': delayMs });
  }

  end(status: string, error?: SerializedError): void {
    this.span.setAttribute('weft.status', status);
    if (error) {
      this.span.recordException({ name: error.name, message: error.message });
      this.span.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message: error.message });
    }
    this.span.end();
  }
}

/** Shared by every step while no SDK records spans: no span of its own (steps see the run's). */
const NOOP_STEP_SPAN: StepSpan = Object.freeze({
  active: false,
  span: undefined,
  ctx: undefined,
  run: <T>(fn: () => T): T => fn(),
  retry: () => {},
  end: () => {},
}) as unknown as StepSpan;

/**
 * A span that records nothing and carries a span context, as @opentelemetry/api's NonRecordingSpan does
 * (steps read `tracingContext.currentSpan.spanContext().traceId` with no SDK installed).
 */
function nonRecordingSpan(ctx: SpanContext): Span {
  const span: Span = {
    spanContext: () => ctx,
    setAttribute: () => span,
    setAttributes: () => span,
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => {},
    isRecording: () => false,
    recordException: () => {},
  };
  return span;
}
