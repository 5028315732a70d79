import { createRequire } from 'node:module';
import type * as Zod from 'zod';

// zod's converter is loaded only for a zod schema (whose program has loaded zod already): a program
// without zod never loads it through weft (see builtin-schemas.ts).
const load = createRequire(import.meta.url);

interface SchemaLike {
  '~standard'?: { vendor?: string; jsonSchema?: { input?: (opts: { target: string }) => Record<string, unknown> } };
  _zod?: unknown;
}

/**
 * A Standard Schema as JSON Schema (of what a caller sends): the schema's own Standard JSON Schema
 * converter when it has one (zod 4.2+ and other recent libraries), zod 4's converter for older zod 4
 * schemas, and nothing for anything else or when conversion fails (a transform, a custom type): the
 * schema is a help to the reader, never required.
 */
export function jsonSchemaOf(schema: unknown): Record<string, unknown> | undefined {
  const s = schema as SchemaLike | undefined;
  if (!s || (typeof s !== 'object' && typeof s !== 'function')) return undefined;
  try {
    const convert = s['~standard']?.jsonSchema?.input;
    if (typeof convert === 'function') return convert({ target: 'draft-2020-12' });
    if (s['~standard']?.vendor === 'zod' && s._zod) {
      const { toJSONSchema } = load('zod') as typeof Zod;
      return toJSONSchema(schema as Parameters<typeof toJSONSchema>[0], { io: 'input' }) as Record<string, unknown>;
    }
  } catch {
    // not representable as JSON Schema
  }
  return undefined;
}
