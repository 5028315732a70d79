import type { StandardSchemaV1 } from '@standard-schema/spec';
import { WorkflowValidationError, type ValidationIssue } from '../errors.js';

export type { StandardSchemaV1 };
export type AnySchema = StandardSchemaV1<any, any>;
export type InferIn<S> = S extends StandardSchemaV1<infer I, any> ? I : unknown;
export type InferOut<S> = S extends StandardSchemaV1<any, infer O> ? O : unknown;

export function isStandardSchema(v: unknown): v is AnySchema {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function'
  );
}

function issuePath(path: StandardSchemaV1.Issue['path']): string {
  if (!path) return '';
  return path.map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.');
}

function toError(what: string, issues: readonly StandardSchemaV1.Issue[]): WorkflowValidationError {
  const list: ValidationIssue[] = issues.map((i) => ({ path: issuePath(i.path), message: i.message }));
  return new WorkflowValidationError(what, list);
}

/**
 * Validates `value` and returns the schema's output (defaults and coercions applied), or throws a
 * WorkflowValidationError naming each failing field. Synchronous schemas stay synchronous so the hot
 * path does not pay for a promise per step.
 */
export function validate<S extends AnySchema | undefined>(
  schema: S,
  value: unknown,
  what: string,
): unknown | Promise<unknown> {
  if (!schema) return value;
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    return result.then((r) => {
      if (r.issues) throw toError(what, r.issues);
      return r.value;
    });
  }
  if (result.issues) throw toError(what, result.issues);
  return result.value;
}
