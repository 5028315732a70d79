/**
 * Every error weft throws on purpose, gathered from errors/ (one module per area), so the rest of the
 * code and the package root import them from one place. See errors/weft-error.ts for the base class.
 */
export { WeftError, type ValidationIssue } from './errors/weft-error.js';
export {
  InvalidArgumentError,
  InvalidStepSourceError,
  ToolValidationError,
  WorkflowAlreadyRegisteredError,
  WorkflowDefinitionError,
  WorkflowNotFoundError,
  WorkflowValidationError,
} from './errors/definition-errors.js';
export {
  CorruptRunError,
  EngineStoppedError,
  LeaseLostError,
  LifecycleCallbackError,
  ReplayDivergedError,
  ResumeConflictError,
  RunConflictError,
  RunDivergedError,
  RunNotFoundError,
  RunNotSuspendedError,
  StepNotSuspendedError,
} from './errors/run-errors.js';
export { AgentOutputError, AgentTripwireError, InvalidStepInputError, NonRetryableError, PayloadError, StepTimeoutError } from './errors/step-errors.js';
export { EventTimeoutError, TokenExpiredError, TokenNotFoundError, TokenUsedError, UnknownEventError } from './errors/event-errors.js';
export { ChildRunCanceledError, ChildRunConflictError, ChildRunError, ChildRunFailedError, ChildRunNotFoundError } from './errors/child-run-errors.js';
export { ClockSkewError, ShardRoutingError, ShardUnsupportedError, StoreError } from './errors/store-errors.js';
export { deserializeError, errorForResult, plainError, serializeError, type ResultError, type SerializedError } from './errors/serialize.js';
