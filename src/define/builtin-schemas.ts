import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import type { StandardSchemaV1 } from './schema.js';

/**
 * The few schemas weft defines itself (agent and classifier steps), built with zod on first use: zod
 * is a third of weft's import time, and a program with no agent or classifier step never needs it here.
 * They are zod schemas (not hand-written Standard Schemas) so the server can describe them as JSON
 * Schema like any user schema.
 */
const load = createRequire(import.meta.url);
let built: { agentInput: StandardSchemaV1; textOutput: StandardSchemaV1; any: StandardSchemaV1 } | undefined;

function schemas(): NonNullable<typeof built> {
  if (!built) {
    const { z } = load('zod') as typeof Zod;
    built = { agentInput: z.object({ prompt: z.string() }), textOutput: z.object({ text: z.string() }), any: z.any() };
  }
  return built;
}

/** An agent step's input: `{ prompt }`. */
export const agentInputSchema = (): StandardSchemaV1 => schemas().agentInput;
/** An agent step's output without structuredOutput: `{ text }`. */
export const textOutputSchema = (): StandardSchemaV1 => schemas().textOutput;
/** Anything (classifier steps; an agent's JSON Schema structuredOutput, which the agent checks). */
export const anySchema = (): StandardSchemaV1 => schemas().any;
