import type { Context } from 'hono';
import type { ResumeOptions, StartOptions } from '../../define/run-types.js';
import { InvalidArgumentError } from '../../errors.js';
import { checkId } from '../../domain/ids.js';
import { optObject, optString, readJsonObject, type JsonObject } from '../body.js';
import { HttpError } from '../http-errors.js';

/**
 * Request bodies and queries of Mastra's workflow routes, checked the way Mastra's route schemas
 * check them (zod objects: known fields typed, unknown fields ignored, since newer Mastra clients may
 * send fields an older server does not know) plus weft's id rules for run and resource ids.
 */

/** A body that may be absent: @mastra/client-js sends some POSTs and DELETEs with neither body nor type. */
export async function readMastraBody(c: Context): Promise<JsonObject> {
  if (c.req.header('content-type') === undefined) return {};
  return readJsonObject(c);
}

export function runIdQuery(c: Context, required: true): string;
export function runIdQuery(c: Context, required: false): string | undefined;
export function runIdQuery(c: Context, required: boolean): string | undefined {
  const runId = c.req.query('runId');
  if (runId === undefined || runId === '') {
    if (required) throw new InvalidArgumentError('the runId query parameter is required (…?runId=<id>)');
    return undefined;
  }
  checkId(runId, 'runId');
  return runId;
}

function optBoolean(body: JsonObject, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${key} must be a boolean`);
  return v;
}

function stepField(body: JsonObject, required: boolean): string | string[] | undefined {
  const step = body.step;
  if (step === undefined) {
    if (required) throw new InvalidArgumentError('step is required: a step id, or an array of ids for a step in a nested workflow');
    return undefined;
  }
  const ok = (typeof step === 'string' && step.length > 0) || (Array.isArray(step) && step.length > 0 && step.every((s) => typeof s === 'string' && s.length > 0));
  if (!ok) throw new InvalidArgumentError('step must be a step id or an array of step ids');
  return step as string | string[];
}

/** An option weft's engine does not have yet (named in the message, with the method Mastra uses). */
export class NotImplementedError extends HttpError {
  constructor(message: string) {
    super('NOT_IMPLEMENTED', message);
  }
}


export interface MastraStart {
  opts: StartOptions;
  resourceId?: string;
  closeOnSuspend: boolean;
}

/** Body of start, start-async and stream: `{ inputData?, initialState?, requestContext?, tracingOptions?, resourceId?, perStep?, closeOnSuspend? }`. */
export function startBody(body: JsonObject): MastraStart {
  const opts: StartOptions = {};
  const perStep = optBoolean(body, 'perStep');
  if (perStep !== undefined) opts.perStep = perStep;
  if (body.inputData !== undefined) opts.inputData = body.inputData;
  if (body.initialState !== undefined) opts.initialState = body.initialState;
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) opts.requestContext = requestContext;
  const tracingOptions = optObject(body, 'tracingOptions');
  if (tracingOptions) opts.tracingOptions = tracingOptions;
  const resourceId = optString(body, 'resourceId');
  return { opts, ...(resourceId ? { resourceId } : {}), closeOnSuspend: optBoolean(body, 'closeOnSuspend') ?? true };
}

/** Body of resume, resume-async, resume-no-wait and resume-stream. */
export function resumeBody(body: JsonObject): ResumeOptions {
  if (body.forEachIndex !== undefined) {
    throw new NotImplementedError('forEachIndex needs the engine to resume one iteration of a foreach (run.resume({ forEachIndex })), which weft does not have yet; resume without it resumes every suspended iteration');
  }
  const opts: ResumeOptions = {};
  const perStep = optBoolean(body, 'perStep');
  if (perStep !== undefined) opts.perStep = perStep;
  const step = stepField(body, false);
  if (step !== undefined) opts.step = step;
  if (body.resumeData !== undefined) opts.resumeData = body.resumeData;
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) opts.requestContext = requestContext;
  // tracingOptions: a resumed run continues the trace it was started with (weft stores it).
  optObject(body, 'tracingOptions');
  return opts;
}

/** Body of restart and restart-async: `{ requestContext?, tracingOptions? }`. */
export function restartBody(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) out.requestContext = requestContext;
  const tracingOptions = optObject(body, 'tracingOptions');
  if (tracingOptions) out.tracingOptions = tracingOptions;
  return out;
}

/** Body of time-travel, -async and -stream: `step` is required, the rest as Mastra's `TimeTravelParams`. */
export function timeTravelBody(body: JsonObject): JsonObject {
  const out: JsonObject = { step: stepField(body, true) };
  for (const key of ['inputData', 'resumeData', 'initialState'] as const) if (body[key] !== undefined) out[key] = body[key];
  for (const key of ['context', 'nestedStepsContext', 'requestContext', 'tracingOptions'] as const) {
    const v = optObject(body, key);
    if (v) out[key] = v;
  }
  const perStep = optBoolean(body, 'perStep');
  if (perStep !== undefined) out.perStep = perStep;
  return out;
}

/** Body of create-run: `{ resourceId?, disableScorers? }` (weft has no scorers; the flag is accepted). */
export function createRunBody(body: JsonObject): { resourceId?: string } {
  optBoolean(body, 'disableScorers');
  const resourceId = optString(body, 'resourceId');
  return resourceId ? { resourceId } : {};
}
