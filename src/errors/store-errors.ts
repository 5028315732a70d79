import { WeftError } from './weft-error.js';

/** Errors of the store layer: the database, the sharded placement, the clock. */

export class StoreError extends WeftError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean; code?: string }) {
    super(options?.code ?? 'STORE_ERROR', message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/**
 * A sharded store (store/sharded) was asked for something that cannot be correct across its shards
 * in the placement it was built with: e.g. flow control or concurrency limits over a workflow whose
 * runs are spread by run-id hash. Not retryable: the request needs another placement (`by: 'workflow'`).
 */
export class ShardUnsupportedError extends StoreError {
  constructor(message: string) {
    super(message, { code: 'SHARD_UNSUPPORTED' });
  }
}

/**
 * A sharded store was given a run whose id does not route to the shard its workflow's coordination
 * lives on (flow control under `by: 'workflow'` needs every such run on its workflow's shard). Let the
 * engine make the run id, or take one from `store.newRunId(workflowId)`.
 */
export class ShardRoutingError extends StoreError {
  constructor(message: string) {
    super(message, { code: 'SHARD_ROUTING' });
  }
}

/** Reported (once, through the store's onError) when this process's clock is far from the database's. */
export class ClockSkewError extends StoreError {
  /** The database's clock minus this process's, in ms: positive when this process is behind. */
  readonly offsetMs: number;
  constructor(offsetMs: number, thresholdMs: number) {
    const dir = offsetMs > 0 ? 'behind' : 'ahead of';
    super(
      `this process's clock is ${Math.abs(offsetMs)} ms ${dir} the database's (threshold ${thresholdMs} ms). ` +
        `Leases follow the database's clock and run timestamps are corrected by the offset, but fix the host's time sync (NTP).`,
      { code: 'CLOCK_SKEW' },
    );
    this.offsetMs = offsetMs;
  }
}
