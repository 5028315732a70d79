import { WorkflowDefinitionError } from '../errors.js';
import { isStandardSchema, type AnySchema } from './schema.js';
import type { StepContext } from './types.js';

/**
 * Events in workflow definitions: `.waitForEvent(event, step, options)` and `triggers`. Checked here at
 * definition time, so a bad option fails where the workflow is built, not when a run reaches the wait.
 */

/** Computes a wait's correlation key from the run (the wait takes only events sent with this key). */
export type MatchKeyFn = (ctx: StepContext) => unknown;

export interface WaitForEventOptions {
  /** Correlates by key: the wait takes only events sent with `key` equal to what this returns. */
  match?: { key: MatchKeyFn };
  /** Ends the wait: ms, or a duration string ('90s', '15m', '48h', '7d'). */
  timeout?: number | string;
  /**
   * At the timeout: 'continue' (default) runs the step with `timedOut: true` and no event; 'fail' fails
   * the run with EVENT_TIMEOUT.
   */
  onTimeout?: 'continue' | 'fail';
  /** The event's data schema: sends of these events are checked against it (default: the step's resumeSchema). */
  schema?: AnySchema;
}

/** A wait for events, as the graph keeps it. */
export interface WaitSpec {
  events: string[];
  key?: MatchKeyFn;
  timeoutMs?: number;
  onTimeout: 'continue' | 'fail';
  schema?: AnySchema;
}

/** A workflow started by events: one run per event sent with this name (and passing `filter`). */
export interface EventTrigger {
  event: string;
  /** Only events whose data passes start a run. */
  filter?: (data: any) => boolean;
  /** The run's input from the event's data (default: the data itself). */
  input?: (data: any) => unknown;
}

/** The event a completion token sends to its run (`.waitForToken` waits for it). Names under `weft.` are reserved. */
export const TOKEN_EVENT = 'weft.token';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ms from a number of ms or a duration string ('500ms', '90s', '15m', '48h', '7d'); undefined when invalid. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(v);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/;

/** Whether a string can name an event (also what sendEvent and the HTTP route accept). */
export function isEventName(v: unknown): v is string {
  return typeof v === 'string' && NAME.test(v);
}

export function waitSpec(where: string, event: unknown, opts: unknown, internal = false): WaitSpec {
  const events = Array.isArray(event) ? event : [event];
  if (!internal && events.some((e) => typeof e === 'string' && e.startsWith('weft.'))) {
    throw new WorkflowDefinitionError(`${where}: event names starting with "weft." are reserved (use .waitForToken for tokens)`);
  }
  if (events.length === 0 || !events.every(isEventName)) {
    throw new WorkflowDefinitionError(`${where}: waitForEvent needs an event name or a non-empty list of names (letters, digits, _ . : / -)`);
  }
  if (new Set(events).size !== events.length) throw new WorkflowDefinitionError(`${where}: waitForEvent lists an event twice`);
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new WorkflowDefinitionError(`${where}: waitForEvent options must be an object`);
  const o = (opts ?? {}) as WaitForEventOptions;
  const spec: WaitSpec = { events: events as string[], onTimeout: o.onTimeout ?? 'continue' };
  if (o.match !== undefined) {
    if (!o.match || typeof o.match.key !== 'function') throw new WorkflowDefinitionError(`${where}: waitForEvent match must be { key: (ctx) => string }`);
    spec.key = o.match.key;
  }
  if (o.timeout !== undefined) {
    const ms = durationMs(o.timeout);
    if (ms === undefined) throw new WorkflowDefinitionError(`${where}: waitForEvent timeout must be ms or a duration such as '15m' or '48h'`);
    spec.timeoutMs = ms;
  }
  if (o.onTimeout !== undefined && o.onTimeout !== 'continue' && o.onTimeout !== 'fail') {
    throw new WorkflowDefinitionError(`${where}: waitForEvent onTimeout must be 'continue' or 'fail'`);
  }
  if (o.schema !== undefined) {
    if (!isStandardSchema(o.schema)) throw new WorkflowDefinitionError(`${where}: waitForEvent schema must be a Standard Schema value`);
    spec.schema = o.schema;
  }
  return spec;
}

export function checkTriggers(where: string, triggers: unknown): EventTrigger[] {
  if (triggers === undefined) return [];
  if (!Array.isArray(triggers)) throw new WorkflowDefinitionError(`${where}: triggers must be a list of { event, filter?, input? }`);
  return triggers.map((t: EventTrigger) => {
    if (!t || !isEventName(t.event)) throw new WorkflowDefinitionError(`${where}: a trigger needs an event name`);
    if (t.filter !== undefined && typeof t.filter !== 'function') throw new WorkflowDefinitionError(`${where}: a trigger's filter must be a function`);
    if (t.input !== undefined && typeof t.input !== 'function') throw new WorkflowDefinitionError(`${where}: a trigger's input must be a function`);
    return { ...t };
  });
}
