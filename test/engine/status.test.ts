import { describe, expect, it } from 'vitest';

import { createStep, createWorkflow, NonRetryableError } from '../../src/index.js';
import { N, addStep, deferred, makeWeft, uid, untilStatus } from './helpers.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';

describe('run statuses', () => {
  it('pending: a created handle that was not started', async () => {
    const w = createWorkflow({ id: uid('pending'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit();
    const run = await w.createRun();
    expect(await w.getWorkflowRunExecutionResult(run.runId)).toMatchObject({ status: 'pending', runId: run.runId, steps: {} });
  });

  it('waiting: a sleep longer than inProcessSleepMs parks the run, which later finishes', async () => {
    const after = { count: 0 };
    const w = createWorkflow({ id: uid('waiting'), inputSchema: N, outputSchema: N }).then(addStep('a')).sleep(300).then(addStep('b', 1, after)).commit();
    makeWeft({ w }, { inProcessSleepMs: 50, worker: { pollMs: 20 } });
    const run = await w.createRun();
    const t0 = Date.now();
    await run.startAsync({ inputData: { n: 1 } });
    const waiting = await untilStatus(w, run.runId, 'waiting', 2000);
    expect(after.count).toBe(0);
    expect(waiting.steps.a?.status).toBe('success');
    const sleepKey = Object.keys(waiting.steps).find((k) => k.startsWith('sleep'));
    expect(sleepKey).toBeDefined();
    expect(waiting.steps[sleepKey!]?.status).toBe('waiting');
    expect((await w.listWorkflowRuns({ status: 'waiting' })).total).toBe(1);
    const done = await untilStatus(w, run.runId, 'success', 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(295);
    expect(done).toMatchObject({ result: { n: 3 } });
    expect(done.steps[sleepKey!]?.status).toBe('success');
    expect(after.count).toBe(1);
  });

  it('waiting: start() on a parked run resolves once it finished', async () => {
    const w = createWorkflow({ id: uid('waiting2'), inputSchema: N, outputSchema: N }).sleep(150).then(addStep('b')).commit();
    makeWeft({ w }, { inProcessSleepMs: 20, worker: { pollMs: 20 } });
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
  });

  it('suspended, success, failed (plain serialised error) and canceled', async () => {
    const gate = createStep({ id: 'gate', inputSchema: N, outputSchema: N, execute: async ({ inputData, suspend, resumeData }) => (resumeData ? inputData : suspend({ why: 'wait' })) });
    const susp = createWorkflow({ id: uid('st-susp'), inputSchema: N, outputSchema: N }).then(gate).commit();
    const sr = await (await susp.createRun()).start({ inputData: { n: 1 } });
    expect(sr).toMatchObject({ status: 'suspended', suspended: [['gate']], suspendPayload: { gate: { why: 'wait' } } });

    class PaymentError extends Error {
      code = 'CARD_DECLINED';
      constructor() {
        super('card declined', { cause: new Error('bank said no') });
        this.name = 'PaymentError';
      }
    }
    const pay = createStep({ id: 'pay', inputSchema: N, outputSchema: N, execute: async () => { throw new PaymentError(); } });
    const failing = createWorkflow({ id: uid('st-fail'), inputSchema: N, outputSchema: N }).then(pay).commit();
    const run = await failing.createRun();
    const fr = await run.start({ inputData: { n: 1 } });
    expect(fr.status).toBe('failed');
    if (fr.status !== 'failed') throw new Error('unreachable');
    expect(fr.error).not.toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(fr.error))).toEqual(fr.error);
    expect(fr.error).toMatchObject({ name: 'PaymentError', message: 'card declined', code: 'CARD_DECLINED', cause: { name: 'Error', message: 'bank said no' } });
    const polled = await failing.getWorkflowRunExecutionResult(run.runId);
    expect(polled).toMatchObject({ status: 'failed', error: { name: 'PaymentError', message: 'card declined', code: 'CARD_DECLINED' } });
    expect(polled?.steps.pay?.error).toMatchObject({ name: 'PaymentError', message: 'card declined' });

    const ok = createWorkflow({ id: uid('st-ok'), inputSchema: N, outputSchema: N }).then(addStep('a')).commit();
    expect(await (await ok.createRun()).start({ inputData: { n: 1 } })).toMatchObject({ status: 'success', result: { n: 2 } });

    const stop = createStep({ id: 'stop', inputSchema: N, outputSchema: N, execute: async ({ inputData, abort }) => { abort(); return inputData; } });
    const canceled = createWorkflow({ id: uid('st-cancel'), inputSchema: N, outputSchema: N }).then(stop).commit();
    expect((await (await canceled.createRun()).start({ inputData: { n: 1 } })).status).toBe('canceled');
  });

  it('a run that is canceled while waiting never wakes up', async () => {
    const after = { count: 0 };
    const w = createWorkflow({ id: uid('cancel-wait'), inputSchema: N, outputSchema: N }).sleep(150).then(addStep('b', 1, after)).commit();
    const clock = new FakeClock(1_900_000_000_000);
    makeWeft({ w }, withTestSeams({ inProcessSleepMs: 20, worker: { pollMs: 20 } }, { clock }));
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    await untilStatus(w, run.runId, 'waiting');
    await run.cancel();
    // A second run sleeping as long proves the timers fired: once it has woken and finished, the
    // canceled run had every chance to wake too.
    const control = await w.createRun();
    await control.startAsync({ inputData: { n: 10 } });
    await untilStatus(w, control.runId, 'waiting');
    clock.advance(60_000);
    await untilStatus(w, control.runId, 'success');
    expect(after.count).toBe(1);
    expect((await w.getWorkflowRunExecutionResult(run.runId))?.status).toBe('canceled');
  });
});

describe('retries and timeouts', () => {
  function flaky(id: string, failures: number, stamps: number[], opts: { retries?: number; error?: () => Error } = {}) {
    return createStep({
      id,
      inputSchema: N,
      outputSchema: N,
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      execute: async ({ inputData, retryCount }) => {
        stamps.push(Date.now());
        if (retryCount < failures) throw opts.error ? opts.error() : new Error(`failure ${retryCount}`);
        return inputData;
      },
    });
  }

  it('workflow retryConfig { attempts, delay } retries with the delay; attempts are recorded', async () => {
    const stamps: number[] = [];
    const w = createWorkflow({ id: uid('retry'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 2, delay: 30 } }).then(flaky('f', 2, stamps)).commit();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 1 } });
    expect(stamps).toHaveLength(3);
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(28);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(28);
    expect(r.steps.f?.attempts).toBe(3);
  });

  it('gives up after the last attempt with the last error', async () => {
    const stamps: number[] = [];
    const w = createWorkflow({ id: uid('retry-out'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 1, delay: 0 } }).then(flaky('f', 5, stamps)).commit();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error.message).toBe('failure 1');
    expect(stamps).toHaveLength(2);
    expect(r.steps.f).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'failure 1' } });
  });

  it('the default is no retry', async () => {
    const stamps: number[] = [];
    const w = createWorkflow({ id: uid('retry-none'), inputSchema: N, outputSchema: N }).then(flaky('f', 1, stamps)).commit();
    expect((await (await w.createRun()).start({ inputData: { n: 1 } })).status).toBe('failed');
    expect(stamps).toHaveLength(1);
  });

  it('per-step retries override the workflow retryConfig.attempts (both ways)', async () => {
    const less: number[] = [];
    const w1 = createWorkflow({ id: uid('retry-less'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 5 } }).then(flaky('f', 10, less, { retries: 1 })).commit();
    const r1 = await (await w1.createRun()).start({ inputData: { n: 1 } });
    expect(r1.status).toBe('failed');
    expect(less).toHaveLength(2);
    expect(r1.steps.f?.attempts).toBe(2);

    const more: number[] = [];
    const w2 = createWorkflow({ id: uid('retry-more'), inputSchema: N, outputSchema: N }).then(flaky('f', 3, more, { retries: 3 })).commit();
    const r2 = await (await w2.createRun()).start({ inputData: { n: 1 } });
    expect(r2.status).toBe('success');
    expect(more).toHaveLength(4);
    expect(r2.steps.f?.attempts).toBe(4);

    const zero: number[] = [];
    const w3 = createWorkflow({ id: uid('retry-zero'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 3 } }).then(flaky('f', 1, zero, { retries: 0 })).commit();
    expect((await (await w3.createRun()).start({ inputData: { n: 1 } })).status).toBe('failed');
    expect(zero).toHaveLength(1);
  });

  it('exponential backoff doubles the delay per attempt', async () => {
    const stamps: number[] = [];
    const w = createWorkflow({ id: uid('retry-exp'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 3, delay: 20, backoff: 'exponential' } }).then(flaky('f', 3, stamps)).commit();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('success');
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    expect(gaps).toHaveLength(3);
    // loosely: ~20, ~40, ~80 ms (lower bounds only: a loaded machine stretches gaps, never shrinks them;
    // a fixed 20 ms delay would fail the second and third bound)
    expect(gaps[0]!).toBeGreaterThanOrEqual(18);
    expect(gaps[1]!).toBeGreaterThanOrEqual(38);
    expect(gaps[2]!).toBeGreaterThanOrEqual(78);
  });

  it('NonRetryableError stops retries at once', async () => {
    const stamps: number[] = [];
    const w = createWorkflow({ id: uid('retry-nr'), inputSchema: N, outputSchema: N, retryConfig: { attempts: 5 } })
      .then(flaky('f', 5, stamps, { error: () => new NonRetryableError('do not retry me') }))
      .commit();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error).toMatchObject({ name: 'NonRetryableError', code: 'NON_RETRYABLE', message: 'do not retry me' });
    expect(stamps).toHaveLength(1);
    expect(r.steps.f?.attempts).toBe(1);
  });

  it('timeoutMs fires abortSignal and fails the attempt', async () => {
    let aborted = false;
    const slow = createStep({
      id: 'slow',
      inputSchema: N,
      outputSchema: N,
      timeoutMs: 40,
      execute: async ({ inputData, abortSignal }) => {
        await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => { aborted = true; resolve(); }));
        return inputData;
      },
    });
    const w = createWorkflow({ id: uid('timeout'), inputSchema: N, outputSchema: N }).then(slow).commit();
    const t0 = Date.now();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error).toMatchObject({ name: 'StepTimeoutError', code: 'STEP_TIMEOUT', message: expect.stringContaining('40 ms') });
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a timed-out attempt is retried when retries remain; a step ignoring its signal does not hold the run', async () => {
    const signals: boolean[] = [];
    const looked = deferred();
    const slowOnce = createStep({
      id: 'slow-once',
      inputSchema: N,
      outputSchema: N,
      timeoutMs: 30,
      retries: 1,
      execute: async ({ inputData, retryCount, abortSignal }) => {
        if (retryCount === 0) {
          await new Promise((r) => setTimeout(r, 500)); // ignores the signal
          signals.push(abortSignal.aborted);
          looked.resolve();
        }
        return { n: inputData.n + retryCount };
      },
    });
    const w = createWorkflow({ id: uid('timeout-retry'), inputSchema: N, outputSchema: N }).then(slowOnce).commit();
    const t0 = Date.now();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(Date.now() - t0).toBeLessThan(400);
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(r.steps['slow-once']?.attempts).toBe(2);
    await looked.promise;
    expect(signals).toEqual([true]);
  });
});


