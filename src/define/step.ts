import { WorkflowDefinitionError } from '../errors.js';
import { isStandardSchema, type AnySchema, type InferIn, type InferOut } from './schema.js';
import type { Step, StepConfig } from './types.js';

const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_\-:]*$/;

export function checkId(what: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || id.length > 200) {
    throw new WorkflowDefinitionError(
      `${what} id must be a non-empty string of letters, digits, "_", "-" or ":" (got ${JSON.stringify(id)})`,
    );
  }
}

function checkSchema(what: string, schema: unknown, required: boolean): void {
  if (schema === undefined && !required) return;
  if (!isStandardSchema(schema)) {
    throw new WorkflowDefinitionError(`${what} must be a Standard Schema value (zod, valibot, arktype, ...)`);
  }
}

/** Defines a step. Validation of the definition happens here, once, so a bad step fails at import time. */
export function createStep<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TResumeSchema extends AnySchema | undefined = undefined,
  TSuspendSchema extends AnySchema | undefined = undefined,
  TStateSchema extends AnySchema | undefined = undefined,
>(
  config: StepConfig<TId, TInSchema, TOutSchema, TResumeSchema, TSuspendSchema, TStateSchema>,
): Step<TId, InferIn<TInSchema>, InferOut<TOutSchema>> {
  if (!config || typeof config !== 'object') throw new WorkflowDefinitionError('createStep needs a config object');
  checkId('step', config.id);
  const where = `step "${config.id}"`;
  checkSchema(`${where}: inputSchema`, config.inputSchema, true);
  checkSchema(`${where}: outputSchema`, config.outputSchema, true);
  checkSchema(`${where}: resumeSchema`, config.resumeSchema, false);
  checkSchema(`${where}: suspendSchema`, config.suspendSchema, false);
  checkSchema(`${where}: stateSchema`, config.stateSchema, false);
  if (typeof config.execute !== 'function') throw new WorkflowDefinitionError(`${where}: execute must be a function`);
  if (config.retries !== undefined && !(Number.isInteger(config.retries) && config.retries >= 0)) {
    throw new WorkflowDefinitionError(`${where}: retries must be a non-negative integer`);
  }
  if (config.timeoutMs !== undefined && !(Number.isFinite(config.timeoutMs) && config.timeoutMs > 0)) {
    throw new WorkflowDefinitionError(`${where}: timeoutMs must be a positive number`);
  }
  return Object.freeze({
    component: 'STEP' as const,
    id: config.id,
    description: config.description,
    inputSchema: config.inputSchema,
    outputSchema: config.outputSchema,
    resumeSchema: config.resumeSchema,
    suspendSchema: config.suspendSchema,
    stateSchema: config.stateSchema,
    retries: config.retries,
    timeoutMs: config.timeoutMs,
    metadata: config.metadata,
    execute: config.execute as Step['execute'],
  });
}
