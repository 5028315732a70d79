import { describe, expect, it } from 'vitest';
import { RequestContext } from '../../src/index.js';
import {
  checkCreateRunOptions,
  checkResumeOptions,
  checkRunId,
  checkStartOptions,
  checkWorkerOptions,
  listFilterOf,
} from '../../src/engine/checks.js';
import { resolveOptions } from '../../src/engine/options.js';
import { memoryStore } from '../../src/index.js';

/** Every argument rule of the engine's entry points, as tables, without a database. */

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? 'THREW';
  }
};

describe('run ids (one rule for the library, the HTTP API and the CLI)', () => {
  it.each([
    ['a uuid', '0190c1d2-0000-7000-8000-000000000000', undefined],
    ['any printable text', 'order:42/retry #2', undefined],
    ['200 characters', 'x'.repeat(200), undefined],
    ['empty', '', 'INVALID_ARGUMENT'],
    ['201 characters', 'x'.repeat(201), 'INVALID_ARGUMENT'],
    ['a NUL byte', 'a\u0000b', 'INVALID_ARGUMENT'],
    ['a C1 control', 'a\u0085b', 'INVALID_ARGUMENT'],
    ['a lone high surrogate', 'a\uD800b', 'INVALID_ARGUMENT'],
    ['a lone low surrogate', 'a\uDC00b', 'INVALID_ARGUMENT'],
    ['a surrogate pair (an emoji)', 'run-\u{1F600}', undefined],
    ['a number', 42, 'INVALID_ARGUMENT'],
  ])('%s', (_what, value, expected) => {
    expect(code(() => checkRunId(value))).toBe(expected);
  });
});

describe('createRun options', () => {
  it.each([
    [{}, undefined],
    [{ runId: 'r1', resourceId: 'user-1' }, undefined],
    [null, 'INVALID_ARGUMENT'],
    ['r1', 'INVALID_ARGUMENT'],
    [{ runId: '' }, 'INVALID_ARGUMENT'],
    [{ resourceId: 'a\u0000' }, 'INVALID_ARGUMENT'],
    [{ resourceId: 7 }, 'INVALID_ARGUMENT'],
  ])('%j -> %s', (opts, expected) => {
    expect(code(() => checkCreateRunOptions(opts))).toBe(expected);
  });
});

describe('start options', () => {
  it.each([
    ['none', undefined, undefined],
    ['input only', { inputData: { a: 1 } }, undefined],
    ['not an object', 'x', 'INVALID_ARGUMENT'],
    ['initialState an array', { initialState: [] }, 'INVALID_ARGUMENT'],
    ['metadata a string', { metadata: 'x' }, 'INVALID_ARGUMENT'],
    ['tracingOptions null', { tracingOptions: null }, 'INVALID_ARGUMENT'],
    ['outputOptions a number', { outputOptions: 1 }, 'INVALID_ARGUMENT'],
    ['traceId not hex', { traceId: 'xyz' }, 'INVALID_ARGUMENT'],
    ['traceId too long', { traceId: 'a'.repeat(33) }, 'INVALID_ARGUMENT'],
    ['requestContext an array', { requestContext: [] }, 'INVALID_ARGUMENT'],
    ['requestContext a Map with a number key', { requestContext: new Map([[1, 'x']]) }, 'INVALID_ARGUMENT'],
  ])('%s', (_what, opts, expected) => {
    expect(code(() => checkStartOptions(opts))).toBe(expected);
  });

  it('pads a short trace id, merges metadata into tracing, and reads includeState', () => {
    const o = checkStartOptions({ traceId: 'ABC', metadata: { user: 'u1' }, tracingOptions: { metadata: { a: 1 } }, outputOptions: { includeState: true } });
    expect(o.tracing).toEqual({ traceId: '0'.repeat(29) + 'abc', metadata: { a: 1, user: 'u1' } });
    expect(o.includeState).toBe(true);
  });

  it('accepts a RequestContext, a Map or a plain object as requestContext, stored as a plain object', () => {
    const rc = new RequestContext();
    rc.set('tenant', 't1');
    expect(checkStartOptions({ requestContext: rc }).requestContext).toEqual({ tenant: 't1' });
    expect(checkStartOptions({ requestContext: new Map([['tenant', 't2']]) }).requestContext).toEqual({ tenant: 't2' });
    expect(checkStartOptions({ requestContext: { tenant: 't3' } }).requestContext).toEqual({ tenant: 't3' });
  });
});

describe('resume options', () => {
  it.each([
    [undefined, undefined],
    [{ step: 'approve', resumeData: { ok: true } }, undefined],
    [{ label: 7 }, 'INVALID_ARGUMENT'],
    [[], 'INVALID_ARGUMENT'],
    [{ forEachIndex: 0 }, undefined],
    [{ forEachIndex: 3 }, undefined],
    [{ forEachIndex: -1 }, 'INVALID_ARGUMENT'],
    [{ forEachIndex: 1.5 }, 'INVALID_ARGUMENT'],
    [{ forEachIndex: '1' }, 'INVALID_ARGUMENT'],
  ])('%j -> %s', (opts, expected) => {
    expect(code(() => checkResumeOptions(opts))).toBe(expected);
  });
});

describe('listing options', () => {
  it.each([
    [{}, undefined],
    [{ status: ['running', 'failed'], page: 2, perPage: 1000 }, undefined],
    [{ status: 'bogus' }, 'INVALID_ARGUMENT'],
    [{ perPage: 0 }, 'INVALID_ARGUMENT'],
    [{ perPage: 1001 }, 'INVALID_ARGUMENT'],
    [{ page: -1 }, 'INVALID_ARGUMENT'],
    [{ page: 1.5 }, 'INVALID_ARGUMENT'],
    [{ fromDate: new Date('invalid') }, 'INVALID_ARGUMENT'],
    [{ fromDate: 1e23 }, 'INVALID_ARGUMENT'],
    [{ toDate: -1 }, 'INVALID_ARGUMENT'],
    [{ resourceId: 'a\u0000' }, 'INVALID_ARGUMENT'],
    [{ workflowId: '' }, 'INVALID_ARGUMENT'],
  ])('%j -> %s', (opts, expected) => {
    expect(code(() => listFilterOf(opts as never))).toBe(expected);
  });

  it('turns dates into epoch ms for the store', () => {
    expect(listFilterOf({ fromDate: new Date(1000), toDate: 2000 })).toMatchObject({ fromDate: 1000, toDate: 2000 });
  });
});

describe('engine options', () => {
  it.each([
    [{}, undefined],
    [{ concurrency: 1, leaseMs: 100, pollMs: 1, renewMs: 10 }, undefined],
    [{ concurrency: 0 }, 'INVALID_ARGUMENT'],
    [{ concurrency: 1.5 }, 'INVALID_ARGUMENT'],
    [{ leaseMs: 99 }, 'INVALID_ARGUMENT'],
    [{ pollMs: 0 }, 'INVALID_ARGUMENT'],
    [{ renewMs: 5 }, 'INVALID_ARGUMENT'],
    [{ leaseMs: 1000, renewMs: 1000 }, 'INVALID_ARGUMENT'],
  ])('worker %j -> %s', (w, expected) => {
    expect(code(() => checkWorkerOptions(w))).toBe(expected);
  });

  it.each([
    [{ maxPayloadBytes: 0 }, 'INVALID_ARGUMENT'],
    [{ maxPayloadBytes: Number.NaN }, 'INVALID_ARGUMENT'],
    [{ inProcessSleepMs: -1 }, 'INVALID_ARGUMENT'],
    [{ storeRetryMs: -1 }, 'INVALID_ARGUMENT'],
    [{ onError: 'log' }, 'INVALID_ARGUMENT'],
    [{ workflows: 5 }, 'INVALID_ARGUMENT'],
    [{ worker: false }, undefined],
  ])('%j -> %s', (opts, expected) => {
    expect(code(() => resolveOptions({ store: memoryStore(), ...(opts as object) }))).toBe(expected);
  });

  it('fills in the documented defaults', () => {
    const o = resolveOptions({ store: memoryStore() });
    expect(o.worker).toEqual({ concurrency: 100, leaseMs: 15_000, pollMs: 1000, renewMs: undefined, pruneEveryMs: 60_000, pruneBatch: 100 });
    expect({ max: o.maxPayloadBytes, sleep: o.inProcessSleepMs, retry: o.storeRetryMs }).toEqual({ max: 16 * 1024 * 1024, sleep: 5000, retry: 300_000 });
  });
});
