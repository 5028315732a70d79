import { z } from 'zod';
import type { AnySchema } from '../../define/schema.js';

type JsonSchemaCapable = AnySchema & {
  '~standard': { jsonSchema?: { input?: (opts: { target: string }) => unknown } };
};

/**
 * A step's or workflow's schema as Mastra's server sends it: JSON Schema (draft-07, as Mastra's
 * schema-compat produces), serialised the way superjson serialises a plain JSON value
 * (`{"json": <schema>}`), as a string. Mastra Studio builds its run and resume forms from it and
 * @mastra/client-js `getSchema()` parses it back.
 *
 * Schemas are Standard Schema values: zod 4 schemas are converted with zod's own `toJSONSchema`;
 * other libraries that implement Standard JSON Schema (`~standard.jsonSchema`) convert themselves.
 * Anything else (zod 3, valibot without its converter) has no JSON form here and is left out, as
 * Mastra leaves out a missing schema; Studio then offers a JSON editor instead of a form.
 */
export function schemaString(schema: AnySchema | undefined): string | undefined {
  const json = toJsonSchema(schema);
  return json === undefined ? undefined : JSON.stringify({ json });
}

const cache = new WeakMap<object, unknown>();

export function toJsonSchema(schema: AnySchema | undefined): unknown {
  if (!schema || (typeof schema !== 'object' && typeof schema !== 'function')) return undefined;
  if (cache.has(schema)) return cache.get(schema);
  let json: unknown;
  try {
    if ('_zod' in schema) {
      json = z.toJSONSchema(schema as unknown as z.ZodType, { target: 'draft-7', unrepresentable: 'any' });
    } else {
      const standard = (schema as JsonSchemaCapable)['~standard'].jsonSchema;
      json = typeof standard?.input === 'function' ? standard.input({ target: 'draft-07' }) : undefined;
    }
  } catch {
    // A schema the converter cannot express (a transform-only type, a custom check) has no form.
    json = undefined;
  }
  cache.set(schema, json);
  return json;
}
