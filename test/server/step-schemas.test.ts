import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createStep, createWorkflow } from '../../src/index.js';
import { jsonSchemaOf, stepSchemas } from '../../src/server/step-schemas.js';
import { describeWorkflow } from '../../src/server/views.js';

const plain = { '~standard': { version: 1 as const, vendor: 'hand-made', validate: (value: unknown) => ({ value }) } };

describe('step schemas as JSON Schema (GET /api/weft/workflows/:id `steps`)', () => {
  it('uses the Standard JSON Schema converter, zod 4 without one, and omits what cannot be converted', () => {
    expect(jsonSchemaOf(z.object({ ok: z.boolean() }))).toMatchObject({ type: 'object', properties: { ok: { type: 'boolean' } } });
    const converted = { '~standard': { ...plain['~standard'], jsonSchema: { input: () => ({ type: 'string' }), output: () => ({ type: 'string' }) } } };
    expect(jsonSchemaOf(converted)).toEqual({ type: 'string' });
    const zodWithoutConverter = z.object({ n: z.number() });
    const { jsonSchema: _converter, ...rest } = zodWithoutConverter['~standard'] as unknown as Record<string, unknown>;
    Object.defineProperty(zodWithoutConverter, '~standard', { value: rest });
    expect(jsonSchemaOf(zodWithoutConverter)).toMatchObject({ type: 'object', properties: { n: { type: 'number' } } });
    expect(jsonSchemaOf(plain)).toBeUndefined();
    expect(jsonSchemaOf(z.date())).toBeUndefined(); // zod cannot represent a Date in JSON Schema: it throws
    expect(jsonSchemaOf(undefined)).toBeUndefined();
  });

  it('keys steps like result paths, nested workflows as `child.step`', () => {
    const ask = createStep({ id: 'ask', inputSchema: plain, outputSchema: plain, resumeSchema: z.object({ yes: z.boolean() }), execute: async () => ({}) });
    const child = createWorkflow({ id: 'child', inputSchema: plain, outputSchema: plain }).then(ask).commit();
    const other = createStep({ id: 'other', inputSchema: plain, outputSchema: plain, execute: async () => ({}) });
    const parent = createWorkflow({ id: 'parent', inputSchema: plain, outputSchema: plain }).then(other).then(child).commit();
    const steps = stepSchemas(parent);
    expect(Object.keys(steps).sort()).toEqual(['child.ask', 'other']);
    expect(steps['child.ask']?.resumeSchema).toMatchObject({ properties: { yes: { type: 'boolean' } } });
    expect(steps.other).toEqual({ id: 'other' });
  });

  it('lists the events a workflow waits for with their data schemas: the wait\'s schema, else the step\'s resumeSchema', () => {
    const take = createStep({ id: 'take', inputSchema: plain, outputSchema: plain, resumeSchema: z.object({ amount: z.number() }), execute: async () => ({}) });
    const note = createStep({ id: 'note', inputSchema: plain, outputSchema: plain, execute: async () => ({}) });
    const wf = createWorkflow({ id: 'evs', inputSchema: plain, outputSchema: plain, triggers: [{ event: 'started.by' }] })
      .waitForEvent('paid', take)
      .waitForEvent(['noted', 'skipped'], note, { schema: z.object({ text: z.string() }) })
      .commit();
    const info = describeWorkflow('evs', wf);
    expect(Object.keys(info.events ?? {}).sort()).toEqual(['noted', 'paid', 'skipped']);
    expect(info.events?.paid).toMatchObject({ properties: { amount: { type: 'number' } } });
    expect(info.events?.skipped).toMatchObject({ properties: { text: { type: 'string' } } });
    expect(describeWorkflow('none', createWorkflow({ id: 'none', inputSchema: plain, outputSchema: plain }).then(note).commit()).events).toBeUndefined();
  });
});
