import { WeftError } from './weft-error.js';

/** Errors a step's attempt ends with: timeouts, bad input or output, agents, and the no-retry marker. */

export class StepTimeoutError extends WeftError {
  constructor(stepId: string, timeoutMs: number) {
    super('STEP_TIMEOUT', `step "${stepId}" timed out after ${timeoutMs} ms`);
  }
}

export class PayloadError extends WeftError {
  constructor(code: 'PAYLOAD_NOT_SERIALIZABLE' | 'PAYLOAD_TOO_LARGE' | 'PAYLOAD_TOO_DEEP' | 'RUN_BUDGET_EXCEEDED' | 'STREAM_CHUNK_TOO_LARGE', message: string) {
    super(code, message);
  }
}

/** A node got input it cannot work with at run time (foreach on a non-array, a negative sleep). */
export class InvalidStepInputError extends WeftError {
  constructor(message: string) {
    super('INVALID_STEP_INPUT', message);
  }
}

/** Thrown by a step to fail its attempt without any further retry. */
export class NonRetryableError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NON_RETRYABLE', message, options);
  }
}

/** An agent step asked for structured output and the agent finished without producing an object. */
export class AgentOutputError extends WeftError {
  constructor(stepId: string, detail: string) {
    super('AGENT_NO_STRUCTURED_OUTPUT', `agent step "${stepId}" declared structuredOutput but the agent finished without an object (${detail})`);
  }
}

/**
 * A processor of the agent aborted the call (Mastra's tripwire). The step fails without retries: the
 * same input meets the same processor. `retry` is the processor's hint that a changed request may pass.
 */
export class AgentTripwireError extends NonRetryableError {
  override readonly code = 'AGENT_TRIPWIRE';
  readonly reason: string;
  readonly retry: boolean | undefined;
  readonly metadata: unknown;
  readonly processorId: string | undefined;
  constructor(stepId: string, tripwire: { reason?: string; retry?: boolean; metadata?: unknown; processorId?: string }) {
    const reason = tripwire.reason || 'agent tripwire triggered';
    super(`agent step "${stepId}" was stopped by a tripwire${tripwire.processorId ? ` (processor "${tripwire.processorId}")` : ''}: ${reason}`);
    this.reason = reason;
    this.retry = tripwire.retry;
    this.metadata = tripwire.metadata;
    this.processorId = tripwire.processorId;
  }
}
