import './engine/default-engine.js';

export { createStep } from './define/step.js';
export { createWorkflow, Workflow } from './define/workflow.js';
export type { AnyWorkflow, ClonedWorkflow, SourceStepOptions, StepLike, WorkflowConfig } from './define/workflow.js';
export type { AgentLike, AgentStepOptions } from './define/agent-step.js';
export type { ToolLike, ToolStepOptions } from './define/tool-step.js';
export type { ClassifierAnswer, ClassifierLike, ClassifierStepOptions, ClassifierStepOutput } from './define/classifier-step.js';
export { cloneStep, cloneWorkflow } from './define/clone.js';
export { mapVariable } from './define/map-forms.js';
export type { MapConfig, MapEntry, MapOptions, MapOutput } from './define/map-forms.js';
export type {
  LifecycleOptions,
  ShouldPersistSnapshot,
  WorkflowErrorInfo,
  WorkflowFinishInfo,
  WorkflowLogger,
  WorkflowStartInfo,
} from './define/lifecycle.js';
export type { Step, StepComponent, StepConfig, StepContext, StepWriter, SuspendOptions, RetryConfig, TracingContext, ReceivedEvent } from './define/types.js';
export type { WaitForEventOptions, EventTrigger } from './define/events.js';
export type { SendEventOptions, SendEventOutcome } from './engine/event-commands.js';
export type { RunStreamEvent, RunStreamPage } from './engine/stream-reader.js';
export type { FollowOptions as RunStreamFollowOptions } from './engine/stream-follow.js';
export type {
  CreateRunOptions,
  ListRunsOptions,
  ResultQueryOptions,
  ResumeOptions,
  RunHandle,
  RunHandle as Run,
  RunStatus,
  RunSummary,
  RunView,
  WaitInfo,
  StartOptions,
  StartManyItem,
  StartManyOptions,
  StartManyResult,
  StepResult,
  StepView,
  AttemptInfo,
  StreamHandle,
  StreamOptions,
  LegacyStreamHandle,
  TracingOptions,
  WorkflowResult,
  TimeTravelOptions,
  TimeTravelStepContext,
  RunGeneration,
  RerunOptions,
  RunLinkView,
  RunLinksView,
} from './define/run-types.js';
export type { RerunResult } from './engine/rerun.js';
export type { RetentionStats } from './engine/retention.js';
export type { RetentionPolicy } from './define/operations.js';
export type { RunOptions } from './domain/run-options.js';
export type { WorkflowEvent, WorkflowEventType } from './domain/workflow-events.js';
export { stepEntries } from './domain/step-entries.js';
export type { WorkflowStreamChunk, LegacyStreamChunk } from './define/stream-types.js';
export type { RunSnapshot, RunViewField } from './define/run-snapshot.js';
export type { WorkflowRunListing } from './define/runtime.js';
export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal } from './domain/run-status.js';
export type { SerializedNode, SerializedStep } from './define/graph.js';
export type { StandardSchemaV1 } from './define/schema.js';
export { RequestContext } from './define/request-context.js';
export { Weft } from './engine/weft.js';
export type { CheckOptions, CheckReport, RunCheck, RunVerdict, WorkflowCheck } from './engine/check-runs.js';
export type { DivergenceReason } from './engine/journal-fit.js';
export type { WeftOptions } from './engine/options.js';
export type { ScheduleInfo } from './engine/schedules.js';
export { BULK_ACTIONS } from './engine/bulk.js';
export type { BulkAction, BulkFilter, BulkHandle, BulkItemError, BulkOptions, BulkProgress } from './engine/bulk.js';
export type { RunListQuery } from './engine/checks.js';
export type { RunListPage } from './engine/run-queries.js';
export {
  memoryStore,
  sqliteStore,
  postgresStore,
  migrate,
  migrateSqlite,
  migratePostgres,
  MemoryStore,
  SqliteStore,
  PostgresStore,
} from './store/index.js';
export type { Store, SqliteStoreOptions, PostgresStoreOptions, PgPool } from './store/index.js';
export {
  WeftError,
  WorkflowValidationError,
  InvalidArgumentError,
  WorkflowDefinitionError,
  WorkflowNotFoundError,
  RunNotFoundError,
  RunNotSuspendedError,
  RunDivergedError,
  ReplayDivergedError,
  UnknownEventError,
  TokenNotFoundError,
  TokenExpiredError,
  TokenUsedError,
  EventTimeoutError,
  StepNotSuspendedError,
  ResumeConflictError,
  RunConflictError,
  StepTimeoutError,
  PayloadError,
  LeaseLostError,
  StoreError,
  EngineStoppedError,
  NonRetryableError,
  CorruptRunError,
  InvalidStepInputError,
  WorkflowAlreadyRegisteredError,
  ClockSkewError,
  InvalidStepSourceError,
  ToolValidationError,
  AgentOutputError,
  AgentTripwireError,
  LifecycleCallbackError,
} from './errors.js';
export type { ResultError, SerializedError, ValidationIssue } from './errors.js';
