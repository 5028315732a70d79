import { Hono } from 'hono';
import type { ChildLinkView, RerunOptions, ResumeOptions, RunLinkView } from '../../define/run-types.js';
import { InvalidArgumentError } from '../../errors.js';
import type { RunLoopsJson } from '../../wire/types.js';
import { onlyKeys, optObject, optString, readJsonObject, wantsWait, type JsonObject } from '../body.js';
import { parseRunFilter } from '../query.js';
import { findRun, summaryJson } from '../views.js';
import type { ApiContext } from './context.js';

const RESUME_KEYS = ['step', 'resumeData', 'label', 'forEachIndex', 'requestContext'];
const RERUN_KEYS = ['step', 'inputData', 'runId', 'initialState'];

function resumeOptions(body: JsonObject): ResumeOptions {
  const opts: ResumeOptions = {};
  const step = body.step;
  if (step !== undefined) {
    const ok = (typeof step === 'string' && step.length > 0) || (Array.isArray(step) && step.length > 0 && step.every((s) => typeof s === 'string' && s.length > 0));
    if (!ok) throw new InvalidArgumentError('step must be a step id, a dotted path, or an array of ids');
    opts.step = step as string | string[];
  }
  if ('resumeData' in body) opts.resumeData = body.resumeData;
  const label = optString(body, 'label');
  if (label) opts.label = label;
  // Checked by the engine (a non-negative integer), like every other resume option.
  if (body.forEachIndex !== undefined) opts.forEachIndex = body.forEachIndex as number;
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) opts.requestContext = requestContext;
  return opts;
}

/** Per-run routes under /workflows/:id/runs/:runId, plus GET /runs (all workflows) and GET /runs/:runId. */
export function runRoutes(ctx: ApiContext): { perRun: Hono; allRuns: Hono } {
  const { weft, feeds } = ctx;
  const perRun = new Hono();

  perRun.get('/:id/runs/:runId', async (c) => {
    const { wf } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    const runId = c.req.param('runId');
    const [result, view] = await Promise.all([wf.getWorkflowRunExecutionResult(runId), wf.getWorkflowRunById(runId)]);
    return c.json({ result, view });
  });

  perRun.delete('/:id/runs/:runId', async (c) => {
    const { wf, run } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    const deleted = await wf.deleteWorkflowRunById(run.runId);
    feeds.drop(run.runId);
    return c.json({ runId: run.runId, deleted });
  });

  perRun.post('/:id/runs/:runId/resume', async (c) => {
    const { wf, run: record } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    const wait = wantsWait(c);
    const body = await readJsonObject(c);
    onlyKeys(body, RESUME_KEYS, 'resume request');
    const opts = resumeOptions(body);
    await feeds.get(record.runId).ready;
    const run = await wf.createRun({ runId: record.runId });
    if (wait) return c.json(await run.resume(opts), 200);
    await run.resumeAsync(opts);
    return c.json({ runId: record.runId }, 202);
  });

  perRun.post('/:id/runs/:runId/cancel', async (c) => {
    const { wf, run: record } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    onlyKeys(await readJsonObject(c), [], 'cancel request');
    const run = await wf.createRun({ runId: record.runId });
    await run.cancel();
    const after = await weft.getRunSummary(record.runId);
    void feeds.get(record.runId).sync();
    return c.json({ runId: record.runId, status: after.status });
  });

  perRun.post('/:id/runs/:runId/retry', async (c) => {
    const { run: record } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    onlyKeys(await readJsonObject(c), [], 'retry request');
    await feeds.get(record.runId).ready;
    await weft.retryRun(c.req.param('id'), record.runId);
    return c.json({ runId: record.runId }, 202);
  });

  perRun.post('/:id/runs/:runId/rerun', async (c) => {
    const { run: record } = await findRun(weft, c.req.param('id'), c.req.param('runId'));
    const body = await readJsonObject(c);
    onlyKeys(body, RERUN_KEYS, 'rerun request');
    // Checked by the engine (checkRerunOptions), like a library caller's options.
    const res = await weft.rerun(record.runId, body as unknown as RerunOptions);
    return c.json(res, 202);
  });

  const allRuns = new Hono();
  allRuns.get('/', async (c) => {
    const filter = parseRunFilter(c, true);
    const res = await weft.listRuns(filter);
    return c.json({ runs: res.runs.map(summaryJson), total: res.total, page: filter.page, perPage: filter.perPage, ...(res.nextCursor ? { nextCursor: res.nextCursor } : {}) });
  });

  allRuns.get('/:runId', async (c) => {
    return c.json(summaryJson(await weft.getRunSummary(c.req.param('runId'))));
  });

  allRuns.get('/:runId/links', async (c) => {
    const links = await weft.getRunLinks(c.req.param('runId'));
    const json = (l: RunLinkView) => ({ runId: l.runId, step: l.step, createdAt: l.createdAt.toISOString() });
    const child = (l: ChildLinkView) => ({ runId: l.runId, step: l.step, path: l.path, createdAt: l.createdAt.toISOString() });
    return c.json({
      rerunOf: links.rerunOf ? json(links.rerunOf) : null,
      reruns: links.reruns.map(json),
      parent: links.parent ? child(links.parent) : null,
      children: links.children.map(child),
    });
  });

  allRuns.get('/:runId/loops', async (c) => {
    const runId = c.req.param('runId');
    const body: RunLoopsJson = { runId, loops: (await weft.getRunLoops(runId)) as RunLoopsJson['loops'] };
    return c.json(body);
  });

  return { perRun, allRuns };
}
