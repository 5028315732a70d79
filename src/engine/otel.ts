import { createRequire } from 'node:module';
import type * as Api from '@opentelemetry/api';

export type OtelApi = typeof Api;

/**
 * @opentelemetry/api keeps what an SDK registers (tracer provider, context manager, propagator) on
 * this global, whichever copy of the package registered it. Until something is there every tracer is
 * a no-op, so weft does not load the package (a tenth of its import time) and builds its non-recording
 * spans itself (tracing.ts).
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const load = createRequire(import.meta.url);
let api: OtelApi | undefined;

/** The API once anything was registered with it (checked per run, so a late SDK is picked up). */
export function otelApi(): OtelApi | undefined {
  if (api) return api;
  if ((globalThis as Record<symbol, unknown>)[GLOBAL_KEY] === undefined) return undefined;
  api = load('@opentelemetry/api') as OtelApi;
  return api;
}
