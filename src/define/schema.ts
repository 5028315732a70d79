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

function toError(title: string, issues: readonly StandardSchemaV1.Issue[]): WorkflowValidationError {
  const list: ValidationIssue[] = issues.map((i) => ({ path: issuePath(i.path), message: i.message }));
  // The cause carries the schema library's own issues (for zod, its issue objects), as Mastra keeps them.
  const cause = Object.assign(new Error(list.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')), {
    name: 'SchemaIssues',
    issues: [...issues],
  });
  return new WorkflowValidationError(title, list, { cause });
}

/**
 * Validates `value` and returns the schema's output (defaults and coercions applied), or throws a
 * WorkflowValidationError titled `title` (Mastra's wording, e.g. `Invalid input data`) naming each
 * failing field. Synchronous schemas stay synchronous so the hot
 * path does not pay for a promise per step.
 */
export function validate<S extends AnySchema | undefined>(
  schema: S,
  value: unknown,
  title: string,
): unknown | Promise<unknown> {
  if (!schema) return value;
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    return result.then((r) => {
      if (r.issues) throw toError(title, r.issues);
      return r.value;
    });
  }
  if (result.issues) throw toError(title, result.issues);
  return result.value;
}
