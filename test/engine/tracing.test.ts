import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, Weft } from '../../src/index.js';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const N = z.object({ n: z.number() });
let flaky = 0;
const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const retried = createStep({
  id: 'retried',
  inputSchema: N,
  outputSchema: N,
  retries: 2,
  execute: async ({ inputData }) => {
    // A span the user creates inside a step must nest under the step's span.
    trace.getTracer('user').startSpan('user-work').end();
    if (flaky++ === 0) throw new Error('first attempt fails');
    return inputData;
  },
});
const gate = createStep({
  id: 'gate',
  inputSchema: N,
  outputSchema: N,
  resumeSchema: z.object({ ok: z.boolean() }),
  execute: async ({ inputData, resumeData, suspend }) => (resumeData ? inputData : suspend({})),
});
const wf = createWorkflow({ id: 'traced', inputSchema: N, outputSchema: N }).then(inc).then(retried).then(gate).commit();

describe('OpenTelemetry', () => {
  it('makes one span per run and per step, honours traceId/parentSpanId and metadata, and keeps the trace across resume', async () => {
    flaky = 0;
    const weft = new Weft({ workflows: { wf }, store: memoryStore() });
    const run = await wf.createRun();
    const traceId = 'abcdef0123456789abcdef0123456789';
    const parentSpanId = '0123456789abcdef';
    const first = await run.start({ inputData: { n: 1 }, tracingOptions: { traceId, parentSpanId }, metadata: { userId: 'u-7' } });
    expect(first.status).toBe('suspended');
    expect(first.traceId).toBe(traceId);
    const done = await run.resume({ resumeData: { ok: true } });
    expect(done.status).toBe('success');
    await weft.stop();

    const spans = exporter.getFinishedSpans();
    expect(spans.every((s) => s.spanContext().traceId === traceId)).toBe(true);
    const runSpans = spans.filter((s) => s.name === 'workflow.run traced');
    expect(runSpans).toHaveLength(2); // the first execution and the resumed one
    for (const r of runSpans) {
      expect(r.parentSpanContext?.spanId).toBe(parentSpanId);
      expect(r.attributes['weft.metadata.userId']).toBe('u-7');
    }
    const stepSpans = spans.filter((s) => s.name.startsWith('workflow.step '));
    const names = stepSpans.map((s) => s.name);
    expect(names.filter((n) => n === 'workflow.step inc')).toHaveLength(1); // replayed on resume, not re-run
    expect(names.filter((n) => n === 'workflow.step gate')).toHaveLength(2);
    const runSpanIds = new Set(runSpans.map((r) => r.spanContext().spanId));
    for (const s of stepSpans) expect(runSpanIds.has(s.parentSpanContext?.spanId ?? '')).toBe(true);

    const retriedSpan = stepSpans.find((s) => s.name === 'workflow.step retried')!;
    expect(retriedSpan.events.map((e) => e.name)).toEqual(['retry']);
    const user = spans.filter((s) => s.name === 'user-work');
    expect(user).toHaveLength(2);
    for (const u of user) expect(u.parentSpanContext?.spanId).toBe(retriedSpan.spanContext().spanId);
  });

  it('records a failed step as an error on its span and the run span, and gives every run a trace id', async () => {
    const boom = createStep({ id: 'boom', inputSchema: N, outputSchema: N, execute: async () => { throw new Error('kaput'); } });
    const failing = createWorkflow({ id: 'failing', inputSchema: N, outputSchema: N }).then(boom).commit();
    const weft = new Weft({ workflows: { failing }, store: memoryStore() });
    const run = await failing.createRun();
    const result = await run.start({ inputData: { n: 1 } });
    await weft.stop();
    expect(result.status).toBe('failed');
    expect(result.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = exporter.getFinishedSpans();
    const step = spans.find((s) => s.name === 'workflow.step boom')!;
    expect(step.status.code).toBe(2);
    expect(step.events.some((e) => e.name === 'exception')).toBe(true);
    const runSpan = spans.find((s) => s.name === 'workflow.run failing')!;
    expect(runSpan.status.code).toBe(2);
    expect(runSpan.spanContext().traceId).toBe(result.traceId);
  });

  it('gives each step Mastra\'s tracingContext: currentSpan is the step\'s span (tracing is the same)', async () => {
    const seen: { spanId?: string; same: boolean }[] = [];
    const probe = createStep({
      id: 'probe',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, tracingContext, tracing }) => {
        tracingContext.currentSpan?.setAttribute('user.note', 'from the step');
        seen.push({ spanId: tracingContext.currentSpan?.spanContext().spanId, same: tracing.currentSpan === tracingContext.currentSpan });
        return inputData;
      },
    });
    const traced = createWorkflow({ id: 'ctx-traced', inputSchema: N, outputSchema: N }).then(probe).then(inc).commit();
    const weft = new Weft({ workflows: { traced }, store: memoryStore() });
    const result = await (await traced.createRun()).start({ inputData: { n: 1 } });
    await weft.stop();
    expect(result.status).toBe('success');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'workflow.step probe')!;
    expect(seen).toEqual([{ spanId: span.spanContext().spanId, same: true }]);
    expect(span.attributes['user.note']).toBe('from the step');
  });
});

describe('tracingContext without an OpenTelemetry SDK', () => {
  it('is still an object whose currentSpan carries the run\'s trace id (a non-recording span)', async () => {
    trace.disable();
    try {
      const ids: (string | undefined)[] = [];
      const probe = createStep({
        id: 'probe',
        inputSchema: N,
        outputSchema: N,
        execute: async ({ inputData, tracingContext }) => {
          ids.push(tracingContext.currentSpan?.spanContext().traceId);
          return inputData;
        },
      });
      const wf2 = createWorkflow({ id: 'ctx-untraced', inputSchema: N, outputSchema: N }).then(probe).commit();
      const weft = new Weft({ workflows: { wf2 }, store: memoryStore() });
      const result = await (await wf2.createRun()).start({ inputData: { n: 1 } });
      await weft.stop();
      expect(ids).toEqual([result.traceId]);
    } finally {
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    }
  });
});
