import { createHash, randomUUID } from 'node:crypto';
import { isEventName } from '../define/events.js';
import { validate } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { checkId, MAX_ID_LENGTH } from '../domain/ids.js';
import { InvalidArgumentError, RunNotFoundError, UnknownEventError } from '../errors.js';
import type { NewRun, SendEventResult, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import type { Worker } from '../worker/worker.js';
import { checkObject } from './checks.js';
import { eventCatalog, type EventDeclaration } from './event-catalog.js';
import { encode } from './payload.js';
import { newTraceId } from './tracing.js';
import { eventExpiresAt, findToken, TOKEN_EVENT, useToken, type EventLifetimes } from './tokens.js';

/** What `weft.sendEvent` takes besides the name. */
export interface SendEventOptions {
  /** Correlation key: waits with `match` take only events sent with their key. */
  key?: string;
  /** The event's data (JSON): the waiting step's resumeData, or the triggered run's input. */
  data?: unknown;
  /** Idempotency key: a second send with the same id does nothing (default: a new id). */
  id?: string;
}

/** What a send did. */
export interface SendEventOutcome {
  id: string;
  /** False when an event with this id was sent before: nothing was delivered or started this time. */
  created: boolean;
  /** Runs the event was delivered to at once (waiting for it now). */
  delivered: string[];
  /** Runs the event started (workflow triggers). */
  started: string[];
}

export interface EventDeps {
  store: Store;
  seams: Seams;
  worker: Worker | null;
  maxPayloadBytes: number;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  workflows(): Iterable<AnyWorkflow>;
  /** How long stored events are kept (the engine's `events` options). */
  lifetimes: EventLifetimes;
}

/**
 * Sending events: checks the name and data against what the registered workflows declare, stores the
 * event with the runs it starts and delivers it (one store transaction), then wakes this process's
 * worker for the runs it made runnable (other processes learn it from notifications or their poll).
 */
export class EventCommands {
  private catalog: { list: AnyWorkflow[]; map: Map<string, EventDeclaration> } | null = null;

  constructor(private readonly d: EventDeps) {}

  private declarations(): Map<string, EventDeclaration> {
    const list = [...this.d.workflows()];
    const c = this.catalog;
    if (c && c.list.length === list.length && c.list.every((w, i) => w === list[i])) return c.map;
    this.catalog = { list, map: eventCatalog(list) };
    return this.catalog.map;
  }

  /** Sends an event to every run waiting for it (and starts the workflows it triggers). */
  async send(name: unknown, opts: unknown, target?: { runId: string; wf: AnyWorkflow }): Promise<SendEventOutcome> {
    if (!isEventName(name)) throw new InvalidArgumentError('an event name must be 1-200 letters, digits or _ . : / - (starting with a letter, digit or _)');
    if (name.startsWith('weft.')) throw new InvalidArgumentError('event names starting with "weft." are reserved (tokens are completed through their URL)');
    checkObject(opts, 'sendEvent options');
    const o = (opts ?? {}) as SendEventOptions;
    if (o.key !== undefined) checkId(o.key, 'event key');
    if (o.id !== undefined) checkId(o.id, 'event id');
    const decl = target ? eventCatalog([target.wf]).get(name) : this.declarations().get(name);
    if (!decl) throw new UnknownEventError(name);
    let data = o.data;
    for (const s of decl.schemas) data = await validate(s, data, `Invalid data for event "${name}"`);
    const id = o.id ?? randomUUID();
    const now = this.d.seams.now();
    const max = this.d.maxPayloadBytes;
    const startRuns: NewRun[] = [];
    if (!target) {
      for (const t of decl.triggers) {
        if (t.filter && !t.filter(o.data)) continue;
        startRuns.push(await this.triggered(t.wf, id, t.input ? t.input(o.data) : o.data, now));
      }
    }
    // The data as sent (validation may coerce it for the check, but the step validates it again itself).
    const text = encode(o.data, `data of event "${name}"`, max);
    const res: SendEventResult = await this.d.storeCall(() => {
      if (!this.d.store.sendEvent) throw new InvalidArgumentError(`the ${this.d.store.kind} store does not support events`);
      const expiresAt = eventExpiresAt(now, this.d.lifetimes);
      return this.d.store.sendEvent({ event: { id, name, key: o.key ?? null, runId: target?.runId ?? null, data: text, now, expiresAt }, startRuns });
    });
    if (res.delivered.length || res.started.length) this.d.worker?.nudge();
    return { id, created: res.created, delivered: res.delivered.map((r) => r.runId), started: res.started };
  }

  /** Sends an event to one run (run.sendEvent): only that run's waits for the name take it. */
  async sendToRun(wf: AnyWorkflow, runId: string, name: unknown, data: unknown): Promise<SendEventOutcome> {
    const run = await this.d.storeCall(() => this.d.store.loadRun(runId));
    if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    return this.send(name, { data }, { runId, wf });
  }

  /**
   * Completes a token (POST /api/weft/tokens/:token): the body is checked against the schema of the
   * run's `.waitForToken` (its step's resumeSchema) before anything is written; a token works once.
   */
  async completeToken(token: unknown, data: unknown): Promise<{ runId: string; delivered: boolean }> {
    const now = this.d.seams.now();
    const found = await this.d.storeCall(() => findToken(this.d.store, token, now));
    const run = await this.d.storeCall(() => this.d.store.loadRun(found.runId));
    const wf = run ? [...this.d.workflows()].find((w) => w.id === run.workflowId) : undefined;
    for (const s of (wf ? eventCatalog([wf]).get(TOKEN_EVENT)?.schemas : undefined) ?? []) await validate(s, data, 'Invalid token data');
    const text = encode(data, 'token data', this.d.maxPayloadBytes);
    const res = await this.d.storeCall(() => useToken(this.d.store, found, text, now, this.d.lifetimes));
    if (res.delivered) this.d.worker?.nudge();
    return res;
  }

  /** A run started by an event: its id derives from the event's, so a resend starts nothing twice. */
  private async triggered(wf: AnyWorkflow, eventId: string, input: unknown, now: number): Promise<NewRun> {
    let runId = `event:${wf.id}:${eventId}`;
    if (runId.length > MAX_ID_LENGTH) runId = `event:${createHash('sha256').update(`${wf.id}\n${eventId}`).digest('hex')}`;
    const value = wf.options.validateInputs ? await validate(wf.inputSchema, input, 'Invalid input data') : input;
    const max = this.d.maxPayloadBytes;
    return {
      runId,
      workflowId: wf.id,
      status: 'pending',
      resourceId: null,
      input: encode(value, `input of workflow "${wf.id}"`, max),
      state: encode({}, 'initialState', max),
      requestContext: null,
      tracing: encode({ traceId: newTraceId(runId) }, 'tracingOptions', max),
      priority: wf.priority,
      concurrencyKey: wf.concurrency?.key ? String(wf.concurrency.key(value)) : null,
      owner: null,
      leaseExpiresAt: null,
      now,
    };
  }
}
