import type pg from 'pg';
import { loadPg } from './driver.js';
import type { StoreEvent } from '../types.js';

/** The NOTIFY channel of a schema; migrations/postgres/0002_workers.sql builds the same name. */
export function channelFor(schema: string): string {
  return `weft_${schema}`.slice(0, 63);
}

/** Parses a payload sent by the weft_notify_run() trigger; null for anything else. */
export function parsePayload(payload: string | undefined): StoreEvent | null {
  if (!payload) return null;
  const a = payload.indexOf('\n');
  if (a < 0) return null;
  const kind = payload.slice(0, a);
  if (kind === 'p') return { type: 'runnable', workflowId: payload.slice(a + 1) };
  const b = payload.indexOf('\n', a + 1);
  if (b < 0) return null;
  const workflowId = payload.slice(a + 1, b);
  const runId = payload.slice(b + 1);
  if (kind === 'c') return { type: 'canceled', workflowId, runId };
  if (kind === 's') return { type: 'settled', workflowId, runId };
  return null;
}

export interface ListenerSource {
  connectionString?: string;
  pool?: pg.Pool;
}

/**
 * One dedicated connection per store that LISTENs on the schema's channel and fans events out to the
 * store's subscribers. A pooled client cannot LISTEN (it is handed to other queries between uses), so
 * the connection is its own: a new pg.Client from the connection string, or a client checked out of the
 * caller's pool for good. When the connection drops it reconnects with jittered back-off and reports
 * `reconnected`, since notifications sent meanwhile are lost (subscribers re-check by polling).
 */
export class PgListener {
  private client: pg.Client | pg.PoolClient | null = null;
  private readonly handlers = new Set<(e: StoreEvent) => void>();
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;

  constructor(
    private readonly source: ListenerSource,
    private readonly channel: string,
  ) {}

  get size(): number {
    return this.handlers.size;
  }

  async add(handler: (e: StoreEvent) => void): Promise<void> {
    this.handlers.add(handler);
    // Unreachable now: keep trying in the background; until then subscribers live on polling.
    await this.ensure().catch(() => this.scheduleReconnect());
  }

  remove(handler: (e: StoreEvent) => void): void {
    this.handlers.delete(handler);
  }

  private emit(e: StoreEvent): void {
    for (const h of [...this.handlers]) {
      try {
        h(e);
      } catch {
        // A subscriber's failure must not stop delivery to the others.
      }
    }
  }

  private ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    let client: pg.Client | pg.PoolClient;
    let pooled = false;
    if (this.source.connectionString !== undefined || !this.source.pool) {
      const c = new (await loadPg()).Client({ connectionString: this.source.connectionString, keepAlive: true });
      client = c;
      await c.connect().catch(async (err: unknown) => {
        await c.end().catch(() => {});
        throw err;
      });
    } else {
      client = await this.source.pool.connect();
      pooled = true;
    }
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = null;
      if (pooled) (client as pg.PoolClient).release(true);
      else void (client as pg.Client).end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel) return;
      const e = parsePayload(msg.payload);
      if (e) this.emit(e);
    });
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      client.removeAllListeners('end');
      if (pooled) (client as pg.PoolClient).release(true);
      else await (client as pg.Client).end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      if (pooled) (client as pg.PoolClient).release(true);
      else await (client as pg.Client).end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempts = 0;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const base = Math.min(5000, 100 * 2 ** this.attempts++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure().then(
        () => this.emit({ type: 'reconnected' }),
        () => this.scheduleReconnect(),
      );
    }, base + Math.floor(Math.random() * base));
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.handlers.clear();
    await this.connecting?.catch(() => {});
    const c = this.client;
    this.client = null;
    if (!c) return;
    c.removeAllListeners('end');
    c.removeAllListeners('error');
    c.on('error', () => {});
    if ('release' in c && typeof c.release === 'function') c.release(true);
    else await (c as pg.Client).end().catch(() => {});
  }
}
