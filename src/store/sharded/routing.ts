import { newRunId } from '../../domain/ids.js';
import { InvalidArgumentError } from '../../errors.js';

/**
 * How a sharded store places the runs whose ids it makes (Store.newRunId, which the engine calls for
 * every run it starts without a caller-given id):
 * - 'runId': anywhere, by the id's hash (even load; a workflow's runs spread over every shard);
 * - 'workflow': on the shard its workflow id hashes to (a workflow's runs, its flow control and its
 *   concurrency limits stay on one shard);
 * - a function: on the shard it returns for the workflow id (0 .. shards - 1), e.g. to pin a hot
 *   workflow to a shard of its own.
 */
export type ShardBy = 'runId' | 'workflow' | ((workflowId: string) => number);

/**
 * FNV-1a (32 bits) over the UTF-8 bytes of a key. A run's shard is this hash of its id modulo the shard
 * count, so any process routes any id without a lookup; it must never change for a deployed set of
 * shards (it is part of the on-disk layout, like the shard order).
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(key, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `cron:<workflow id>:<ISO time>` and `cron:<workflow id>:manual:<ISO time>:<hex>` (domain/ids.ts). */
const CRON_ID = /^cron:(.+?):(?:manual:)?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z(?::[0-9a-f]+)?$/;

/** Where a sharded store's runs, schedules and coordination live. Pure: no I/O. */
export class ShardRouter {
  constructor(
    readonly count: number,
    readonly by: ShardBy,
  ) {}

  /**
   * The shard holding this run (every run-scoped operation goes there): the hash of its id, except that
   * under a workflow placement a cron fire's id (domain/ids.ts cronRunId, which names its workflow)
   * routes to its workflow's shard, so scheduled runs share their workflow's limits like the others.
   */
  ofRun(runId: string): number {
    if (this.count === 1) return 0;
    if (this.by !== 'runId' && runId.startsWith('cron:')) {
      const wf = CRON_ID.exec(runId)?.[1];
      if (wf !== undefined) return this.homeOf(wf)!;
    }
    return hashKey(runId) % this.count;
  }

  /** The shard of a workflow's shared rows (its cron schedule). */
  ofWorkflow(workflowId: string): number {
    return this.count === 1 ? 0 : hashKey(workflowId) % this.count;
  }

  /**
   * The shard a workflow's runs are placed on, or null when they are spread by run id ('runId'): then
   * nothing keeps a workflow's runs together and per-workflow coordination cannot be exact.
   */
  homeOf(workflowId: string): number | null {
    if (this.count === 1) return 0;
    if (this.by === 'runId') return null;
    if (this.by === 'workflow') return this.ofWorkflow(workflowId);
    const shard = this.by(workflowId);
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.count) {
      throw new InvalidArgumentError(`shardedStore: by(${JSON.stringify(workflowId)}) returned ${String(shard)}, not a shard index 0..${this.count - 1}`);
    }
    return shard;
  }

  /**
   * A new run id (UUIDv7, as the engine makes them) that routes to its workflow's home shard. Ids are
   * drawn until one hashes there: about `count` draws on average, each a UUID and a hash (microseconds).
   */
  newRunId(workflowId: string, now: number): string {
    const home = this.homeOf(workflowId);
    for (;;) {
      const id = newRunId(now);
      if (home === null || this.ofRun(id) === home) return id;
    }
  }

  /**
   * `candidate`, or the first of `candidate~1`, `candidate~2`, ... that routes to `nearRunId`'s shard:
   * deterministic, so a replayed parent derives the same child id. About `count` hashes on average.
   */
  colocatedRunId(nearRunId: string, candidate: string): string {
    const home = this.ofRun(nearRunId);
    if (this.ofRun(candidate) === home) return candidate;
    for (let i = 1; ; i++) {
      const id = `${candidate}~${i}`;
      if (this.ofRun(id) === home) return id;
    }
  }

  /** Groups items by shard, keeping each item's index in the input. */
  group<T>(items: readonly T[], shardOf: (item: T) => number): Map<number, { items: T[]; at: number[] }> {
    const out = new Map<number, { items: T[]; at: number[] }>();
    items.forEach((item, i) => {
      const s = shardOf(item);
      let g = out.get(s);
      if (!g) out.set(s, (g = { items: [], at: [] }));
      g.items.push(item);
      g.at.push(i);
    });
    return out;
  }
}
