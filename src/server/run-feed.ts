import { randomBytes } from 'node:crypto';
import type { WorkflowResult } from '../define/run-types.js';
import { isActive } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import { eventKey, suspendKey, synthesize } from './synth-events.js';


/** An event with its SSE id: `<feed epoch>.<sequence>`. */
export interface FeedEvent {
  id: string;
  seq: number;
  event: WorkflowEvent;
}

export interface FeedSource {
  /** Subscribes to live in-process events of the run. */
  subscribe(runId: string, listener: (e: WorkflowEvent) => void): () => void;
  /** Loads the run's current result from the store (null when it no longer exists). */
  load(runId: string): Promise<WorkflowResult | null>;
}

export interface FeedOptions {
  /** Events kept per run for replay on reconnect. */
  capacity: number;
  /** How often the store is read while someone listens to an unfinished run. */
  pollMs: number;
}

/**
 * The server's record of one run's events, for SSE replay. It merges two sources:
 * - live events from this process's EventHub (everything, including output chunks and data-* events);
 * - events synthesized from the stored result, read when the feed opens and then every `pollMs` while a
 *   listener is attached and the run is unfinished. This covers runs executed by other workers and the
 *   time before the server subscribed. Dedupe keys keep an event seen both ways from being sent twice.
 * Ids are `<epoch>.<seq>`; the epoch changes whenever a feed is (re)created, so a Last-Event-ID from an
 * older feed replays the whole retained history instead of silently skipping events.
 */
export class RunFeed {
  readonly epoch = randomBytes(4).toString('hex');
  private readonly events: FeedEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  private seq = 0;
  private settled = false;
  /** Steps seen suspending live since the last live workflow-start (to key a live suspended finish). */
  private liveSuspends: { id: string; startedAt: unknown }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | null = null;
  private readonly unsubscribe: () => void;
  private pendingLive: WorkflowEvent[] | null = [];
  readonly ready: Promise<void>;
  lastUsed = Date.now();

  constructor(
    readonly runId: string,
    private readonly source: FeedSource,
    private readonly opts: FeedOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    // Live events that arrive while the first store read is in flight are held back, then appended
    // after the synthesized history, so the order stays "history, then live".
    this.unsubscribe = source.subscribe(runId, (e) => {
      if (this.pendingLive) this.pendingLive.push(e);
      else this.append(e, false);
    });
    this.ready = this.sync().finally(() => {
      const held = this.pendingLive ?? [];
      this.pendingLive = null;
      for (const e of held) this.append(e, false);
    });
  }

  /**
   * True when the run's latest known state is settled: the last event is a workflow-finish (ended or
   * suspended) and no later store read showed it active again (a resume reopens it).
   */
  get isFinished(): boolean {
    return this.settled;
  }

  /** Retained events after `lastEventId` (all of them when the id is absent or from another epoch). */
  since(lastEventId: string | undefined): FeedEvent[] {
    if (!lastEventId) return [...this.events];
    const [epoch, seqText] = lastEventId.split('.');
    const seq = Number(seqText);
    if (epoch !== this.epoch || !Number.isInteger(seq)) return [...this.events];
    return this.events.filter((e) => e.seq > seq);
  }

  listen(fn: (e: FeedEvent) => void): () => void {
    this.listeners.add(fn);
    this.lastUsed = Date.now();
    this.schedulePoll();
    return () => {
      this.listeners.delete(fn);
      this.lastUsed = Date.now();
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  close(): void {
    this.stopPolling();
    this.unsubscribe();
    this.listeners.clear();
  }

  private liveKey(event: WorkflowEvent): string | null {
    const p = event.payload;
    if (event.type === 'workflow-start') this.liveSuspends = [];
    if (event.type === 'workflow-step-suspended') this.liveSuspends.push({ id: String(p.id), startedAt: p.startedAt });
    if (event.type === 'workflow-finish' && p.workflowStatus === 'suspended') {
      return eventKey({ ...event, payload: { ...p, suspendKey: suspendKey(this.liveSuspends) } });
    }
    return eventKey(event);
  }

  private append(event: WorkflowEvent, synthesized: boolean, key: string | null = synthesized ? eventKey(event) : this.liveKey(event)): void {
    if (key !== null) {
      if (synthesized && this.seen.has(key)) return;
      this.seen.add(key);
    }
    const fe: FeedEvent = { id: `${this.epoch}.${++this.seq}`, seq: this.seq, event };
    this.events.push(fe);
    if (this.events.length > this.opts.capacity) this.events.shift();
    this.settled = event.type === 'workflow-finish';
    if (this.settled) this.stopPolling();
    for (const l of this.listeners) l(fe);
  }

  /** Reads the stored result and appends the events it implies that were not seen yet. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const result = await this.source.load(this.runId);
        if (result) for (const k of synthesize(result)) this.append(k.event, true, k.key);
        if (result && isActive(result.status)) this.settled = false;
      } catch (err) {
        this.onError(err);
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  private schedulePoll(): void {
    if (this.timer || this.isFinished || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync().then(() => this.schedulePoll());
    }, this.opts.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Feeds by run id, bounded: idle feeds beyond `maxFeeds` are dropped, least recently used first. */
export class FeedRegistry {
  private readonly feeds = new Map<string, RunFeed>();

  constructor(
    private readonly source: FeedSource,
    private readonly opts: FeedOptions & { maxFeeds: number },
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The feed of a run, created (and subscribed to live events) on first use. */
  get(runId: string): RunFeed {
    let feed = this.feeds.get(runId);
    if (!feed) {
      feed = new RunFeed(runId, this.source, this.opts, this.onError);
      this.feeds.set(runId, feed);
      this.evict();
    }
    feed.lastUsed = Date.now();
    return feed;
  }

  has(runId: string): boolean {
    return this.feeds.has(runId);
  }

  drop(runId: string): void {
    this.feeds.get(runId)?.close();
    this.feeds.delete(runId);
  }

  closeAll(): void {
    for (const f of this.feeds.values()) f.close();
    this.feeds.clear();
  }

  private evict(): void {
    if (this.feeds.size <= this.opts.maxFeeds) return;
    const idle = [...this.feeds.values()].filter((f) => f.listenerCount === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const f of idle) {
      if (this.feeds.size <= this.opts.maxFeeds) break;
      this.drop(f.runId);
    }
  }
}
