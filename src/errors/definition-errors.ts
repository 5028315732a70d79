import { WeftError, type ValidationIssue } from './weft-error.js';

/** Errors about what a program declared or passed in: bad arguments, definitions and data that fails a schema. */

/**
 * Data failed a schema. The message is Mastra's (`Invalid input data: \n- user.email: ...`, `Step input
 * validation failed: \n- ...`): a title, then one `- path: message` line per issue. `cause` carries the
 * schema library's issues (`cause.issues`), as Mastra keeps them.
 */
export class WorkflowValidationError extends WeftError {
  readonly issues: ValidationIssue[];
  constructor(title: string, issues: ValidationIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => (i.path ? `- ${i.path}: ${i.message}` : `- ${i.message}`)).join('\n');
    super('VALIDATION_FAILED', `${title}: \n${lines}`, options);
    this.issues = issues;
  }
}

export class InvalidArgumentError extends WeftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class WorkflowDefinitionError extends WeftError {
  constructor(message: string) {
    super('INVALID_DEFINITION', message);
  }
}

export class WorkflowNotFoundError extends WeftError {
  constructor(workflowId: string) {
    super('WORKFLOW_NOT_FOUND', `no workflow is registered under "${workflowId}"`);
  }
}

/**
 * A workflow object belongs to one engine at a time: `workflow.createRun()` must know where the run
 * goes. Registering it with a second engine while the first still runs would silently move its runs
 * (the last registration used to win), so it is refused instead.
 */
export class WorkflowAlreadyRegisteredError extends WeftError {
  constructor(workflowId: string) {
    super(
      'WORKFLOW_ALREADY_REGISTERED',
      `workflow "${workflowId}" is already registered with another Weft engine that has not been stopped; a workflow object runs on one engine at a time. Stop the other engine first (weft.stop()), or give each engine its own definition (build the workflow in a function and call it once per engine)`,
    );
  }
}

/**
 * `createStep` (or `.agent()`, `.tool()`, `.classifier()`) got something it cannot make a step of:
 * neither a step config, an agent, a tool nor a classifier, or one of those missing what a step needs.
 * A WorkflowDefinitionError with a code of its own, so callers can tell it from other bad definitions.
 */
export class InvalidStepSourceError extends WorkflowDefinitionError {
  override readonly code = 'INVALID_STEP_SOURCE';
}

/**
 * A tool used as a step rejected its input, output, suspend or resume data (Mastra tools return their
 * validation failures as a value instead of throwing). A validation failure: not retried.
 */
export class ToolValidationError extends WorkflowValidationError {
  readonly toolId: string;
  /** @param what which data failed: `input`, `output`, `suspend payload`, ... */
  constructor(toolId: string, what: string, message: string, issues: ValidationIssue[]) {
    super(`${what} of tool "${toolId}" is invalid`, issues.length ? issues : [{ path: '', message }]);
    this.toolId = toolId;
  }
}
