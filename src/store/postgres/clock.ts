import type pg from 'pg';
import { ClockSkewError } from '../../errors.js';

export { ClockSkewError };

export const DEFAULT_CLOCK_SKEW_WARN_MS = 2_000;
/** How often the offset is measured again after open (a clock can be stepped or drift later). */
export const CLOCK_CHECK_EVERY_MS = 60_000;
const SAMPLES = 3;

/**
 * The offset between this process's clock and the database's, measured the NTP way: the database's
 * clock_timestamp() against the midpoint of the local send and receive times, keeping the sample with
 * the shortest round trip (its error is at most half that round trip).
 */
export class DbClock {
  private offset = 0;
  private reported = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private local: () => number,
    private readonly warnMs: number,
    private readonly report: (err: unknown) => void,
  ) {}

  /** The clock the offset is measured against: the engine's (a test may skew or fake it). */
  setLocal(now: () => number): void {
    this.local = now;
  }

  /** The database's clock minus this process's clock, in ms, as last measured (0 before the first). */
  get offsetMs(): number {
    return this.offset;
  }

  async measure(pool: pg.Pool): Promise<void> {
    let best: { rtt: number; offset: number } | null = null;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = this.local();
      const { rows } = await pool.query<{ ms: number }>(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`);
      const received = this.local();
      const db = Number(rows[0]?.ms);
      if (!Number.isFinite(db)) continue;
      const sample = { rtt: received - sent, offset: db - (sent + received) / 2 };
      if (!best || sample.rtt < best.rtt) best = sample;
    }
    if (!best) return;
    this.offset = Math.round(best.offset);
    const skewed = Math.abs(this.offset) > this.warnMs;
    // Once per episode: reported when it first passes the threshold, again only after it came back.
    if (skewed && !this.reported) this.report(new ClockSkewError(this.offset, this.warnMs));
    this.reported = skewed;
  }

  /** Measures again now and then; failures are left to the store's other calls to report. */
  start(pool: pg.Pool): void {
    this.stop();
    this.timer = setInterval(() => void this.measure(pool).catch(() => {}), CLOCK_CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
