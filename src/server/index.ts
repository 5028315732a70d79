export { createApp } from './app.js';
export type { WeftApp } from './app.js';
export { serve, createServer } from './serve.js';
export type { WeftServer } from './serve.js';
export type { ServerOptions } from './options.js';
export { DEFAULT_PORT, WEFT_API_PREFIX, isLoopback } from './options.js';
export type { WorkflowInfo, RunSummaryJson } from './views.js';
export { statusForCode } from './http-errors.js';
