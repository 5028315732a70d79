import type { ResumeOptions, RunStatus, StartOptions, WorkflowResult } from '../define/run-types.js';
import { stepEntries } from '../domain/step-entries.js';
import { WeftError, errorForResult } from '../errors.js';
import { createTransport, type ClientOptions, type Transport } from './http.js';
import { watchEvents, type StreamEvent, type WatchOptions } from './sse.js';
import type {
  RemoteRun,
  RemoteStartResult,
  RemoteStream,
  RemoteWorkflow,
  RerunResponse,
  RunList,
  RunLinksJson,
  RunLoopsJson,
  RunSummary,
  RunListFilter,
  RunViewJson,
  SentEvent,
  WeftClient,
  WorkflowInfo,
  WorkflowRegistry,
} from './types.js';

export { WeftRemoteError } from './http.js';
export type { ClientOptions } from './http.js';
export type { StreamEvent, WatchOptions } from './sse.js';
export type * from './types.js';
export { WeftError } from '../errors.js';
export type { WorkflowResult, StartOptions, ResumeOptions, StepResult, RunStatus } from '../define/run-types.js';

const enc = encodeURIComponent;

function time(v: Date | number | string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function listQuery(f: RunListFilter & { workflowId?: string } = {}): Record<string, string | undefined> {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.metadata ?? {})) metadata[`metadata.${k}`] = String(v);
  return {
    ...metadata,
    tags: f.tags?.join(','),
    workflowId: f.workflowId,
    status: Array.isArray(f.status) ? f.status.join(',') : f.status,
    resourceId: f.resourceId,
    runIdPrefix: f.runIdPrefix,
    cursor: f.cursor,
    from: time(f.fromDate),
    to: time(f.toDate),
    page: f.page !== undefined ? String(f.page) : undefined,
    perPage: f.perPage !== undefined ? String(f.perPage) : undefined,
  };
}

/** Returns null for RUN_NOT_FOUND, like the engine's lookups. */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WeftError && err.code === 'RUN_NOT_FOUND') return null;
    throw err;
  }
}

/**
 * A result read over HTTP carries its steps' errors in their plain JSON shape; they are rebuilt as Error
 * instances (custom properties included), so a result reads the same from the client as from the library
 * (`result.error` is a plain object on both, as in Mastra).
 */
function withErrors(r: WorkflowResult): WorkflowResult {
  if (r === null || typeof r !== 'object') return r;
  const out = r as { steps?: Record<string, { error?: unknown; attemptHistory?: { error?: unknown }[] }> };
  for (const [, s] of stepEntries(out.steps ?? {})) {
    if (s === null || typeof s !== 'object') continue;
    if (s.error !== undefined) s.error = errorForResult(s.error);
    for (const a of Array.isArray(s.attemptHistory) ? s.attemptHistory : []) if (a?.error !== undefined) a.error = errorForResult(a.error);
  }
  return r;
}

function newRunId(): string {
  return globalThis.crypto.randomUUID();
}

function remoteRun(t: Transport, key: string, runId: string, resourceId: string | undefined): RemoteRun {
  const base = `/workflows/${enc(key)}/runs/${enc(runId)}`;
  const startBody = (opts: StartOptions | undefined) => ({ ...opts, runId, ...(resourceId !== undefined ? { resourceId } : {}) });
  const watch = (opts?: WatchOptions) => watchEvents(t, `${base}/events`, opts);
  const result = () => t.request<{ result: WorkflowResult }>('GET', base).then((r) => withErrors(r.result));
  const run: RemoteRun = {
    runId,
    workflowId: key,
    resourceId,
    start: (opts) => t.request<WorkflowResult>('POST', `/workflows/${enc(key)}/runs`, startBody(opts), { wait: 'true' }).then(withErrors),
    startAsync: (opts) => t.request<{ runId: string }>('POST', `/workflows/${enc(key)}/runs`, startBody(opts)),
    stream(opts): RemoteStream<any, any> {
      const started = run.startAsync(opts);
      async function* events(): AsyncGenerator<StreamEvent> {
        await started;
        yield* watch();
      }
      // The result must not depend on anyone reading fullStream, so it follows its own connection.
      const settled = started.then(async () => {
        for await (const _ of watch()) {
          // drain until workflow-finish
        }
        return result();
      });
      settled.catch(() => {});
      return { runId, fullStream: events(), result: settled };
    },
    watch,
    resume: (opts?: ResumeOptions) => t.request<WorkflowResult>('POST', `${base}/resume`, opts ?? {}, { wait: 'true' }).then(withErrors),
    resumeAsync: (opts?: ResumeOptions) => t.request<{ runId: string }>('POST', `${base}/resume`, opts ?? {}),
    cancel: () => t.request<{ runId: string; status: RunStatus }>('POST', `${base}/cancel`, {}),
    retry: () => t.request<{ runId: string }>('POST', `${base}/retry`, {}),
    sendEvent: (event, data) => t.request<SentEvent>('POST', `/events/${enc(event)}`, { runId, ...(data !== undefined ? { data } : {}) }),
    rerun: (opts) => t.request<RerunResponse>('POST', `${base}/rerun`, opts),
    getWorkflowRunExecutionResult: () => orNull(result()),
  };
  return run;
}

function remoteWorkflow(t: Transport, key: string): RemoteWorkflow {
  const runsPath = (runId: string) => `/workflows/${enc(key)}/runs/${enc(runId)}`;
  return {
    key,
    async createRun(opts = {}) {
      if (opts.runId !== undefined && (typeof opts.runId !== 'string' || opts.runId.length === 0 || opts.runId.length > 200)) {
        throw new WeftError('INVALID_ARGUMENT', 'runId must be a non-empty string of at most 200 characters');
      }
      return remoteRun(t, key, opts.runId ?? newRunId(), opts.resourceId);
    },
    startMany: async (items, opts = {}) => {
      if (!Array.isArray(items)) throw new WeftError('INVALID_ARGUMENT', 'startMany items must be an array');
      if (opts === null || typeof opts !== 'object') throw new WeftError('INVALID_ARGUMENT', 'startMany options must be an object');
      const body = { items, ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}) };
      return (await t.request<{ results: RemoteStartResult[] }>('POST', `/workflows/${enc(key)}/runs/batch`, body)).results;
    },
    getWorkflowRunExecutionResult: (runId) => orNull(t.request<{ result: WorkflowResult }>('GET', runsPath(runId)).then((r) => withErrors(r.result))),
    getWorkflowRunById: (runId) => orNull(t.request<{ view: RunViewJson }>('GET', runsPath(runId)).then((r) => r.view)),
    listWorkflowRuns: (filter) => t.request<RunList>('GET', `/workflows/${enc(key)}/runs`, undefined, listQuery(filter)),
    deleteWorkflowRunById: async (runId) => (await orNull(t.request<{ deleted: boolean }>('DELETE', runsPath(runId))))?.deleted ?? false,
    describe: () => t.request<WorkflowInfo>('GET', `/workflows/${enc(key)}`),
  };
}

/**
 * A typed HTTP client for a weft server. Pass your registry's type to get typed inputs and results:
 *
 *   import type { workflows } from './workflows.js';
 *   const client = createClient<typeof workflows>({ baseUrl: 'http://127.0.0.1:4700' });
 *   const run = await client.getWorkflow('onboarding').createRun();
 *   const result = await run.start({ inputData: { userId: 'u1' } });
 *
 * It only uses fetch and streams, so it runs in browsers, Node 20+, Deno and workers.
 */
export function createClient<W extends WorkflowRegistry = WorkflowRegistry>(opts: ClientOptions): WeftClient<W> {
  const t = createTransport(opts);
  return {
    getWorkflow: (key) => remoteWorkflow(t, key) as ReturnType<WeftClient<W>['getWorkflow']>,
    listWorkflows: () => t.request<{ workflows: WorkflowInfo[] }>('GET', '/workflows').then((r) => r.workflows),
    listRuns: (filter) => t.request<RunList>('GET', '/runs', undefined, listQuery(filter)),
    getRun: (runId) => orNull(t.request<RunSummary>('GET', `/runs/${enc(runId)}`)),
    bulk: (request) => t.request('POST', '/runs/bulk', request),
    getBulk: (id) => t.request('GET', `/runs/bulk/${enc(id)}`),
    stopBulk: (id) => t.request('POST', `/runs/bulk/${enc(id)}/stop`, {}),
    sendEvent: (name, o = {}) => t.request<SentEvent>('POST', `/events/${enc(name)}`, o),
    getRunLinks: (runId) => orNull(t.request<RunLinksJson>('GET', `/runs/${enc(runId)}/links`)),
    getRunLoops: (runId) => orNull(t.request<RunLoopsJson>('GET', `/runs/${enc(runId)}/loops`)).then((r) => r && r.loops),
  };
}
