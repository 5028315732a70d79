import { MAX_JSON_DEPTH } from '../../domain/limits.js';
import { newCodecState, type StoredBlob } from '../../domain/value-codec.js';
import { PayloadError } from '../../errors.js';
import { encode, encodeChecked, encodeForJournal, reviveDates, tagDates, type RunCodec } from '../payload.js';
import type { Value } from './outcome.js';

/** What a run's value encoding needs from the engine. */
export interface RunValuesHost {
  maxPayloadBytes: number;
  /** Values stored by content (blobs) above `inlineBytes`; absent: plain JSON only. */
  values?: { inlineBytes: number; arrayChunk: number };
  /** The run's budget for stored bytes (maxRunBytes); null or absent: none. */
  maxRunBytes?: number | null;
  runBlobBytes?(runId: string): Promise<number>;
}

/**
 * How one execution encodes the values it stores: journal values through the run's codec (large ones by
 * content, their new blobs queued until the next write takes them), run-row fields as plain JSON, and
 * the run's size budget, which stored blobs and stream chunks count against.
 */
export class RunValues {
  /** How this run's journal values are stored (null: plain JSON only). */
  private readonly codec: RunCodec | null;

  constructor(private readonly host: RunValuesHost) {
    this.codec = host.values
      ? {
          opts: { inlineMax: host.values.inlineBytes, chunk: host.values.arrayChunk, maxDepth: MAX_JSON_DEPTH },
          state: newCodecState(),
          pending: [],
          used: 0,
          budget: host.maxRunBytes ?? null,
        }
      : null;
  }

  /** The blobs encoded since the last call, for the write that stores the rows referencing them. */
  takeBlobs(): StoredBlob[] | null {
    const c = this.codec;
    if (c === null || c.pending.length === 0) return null;
    const blobs = c.pending;
    c.pending = [];
    return blobs;
  }

  /**
   * When the run may already hold blobs (it was loaded with a journal), the budget counts them: read
   * once, before the first step of an execution. A store failure here parks the run like any other.
   */
  async loadBudget(runId: string, hasJournal: boolean): Promise<void> {
    const c = this.codec;
    if (c === null || c.budget === null || !hasJournal || !this.host.runBlobBytes) return;
    c.used = await this.host.runBlobBytes(runId);
  }

  /** Encodes a step's value for its journal row; `value` becomes what a replay decodes. */
  encodeValue(value: Value, what: string): string | null {
    let v = value.v;
    let { text, lossy } = this.encodeJournal(v, what);
    if (lossy) {
      // Only a value JSON changes is looked at again (not every step's): its Dates are stored tagged (see
      // encodeKeepingDates), so the next step, a resume and a replay all see a Date. Tagging copies only
      // the containers on the way to a Date, so the codec's memo still knows the rest.
      const tagged = tagDates(v);
      if (tagged !== v) ({ text, lossy } = this.encodeJournal((v = tagged), what));
      // The value passed on is the one a replay decodes (the text may reference blobs).
      value.v = text === null ? undefined : reviveDates(JSON.parse(JSON.stringify(v)));
    }
    value.json = text;
    return text;
  }

  /** Plain JSON within the payload limit (never by content). */
  encode(value: unknown, what: string): string | null {
    return encode(value, what, this.host.maxPayloadBytes);
  }

  encodeRow(value: unknown, what: string): string | null {
    return this.encodeJournal(value, what).text;
  }

  /** Run-row fields (result, state, context) are plain JSON, never stored by content. */
  encodeRunField(value: unknown, what: string): string | null {
    return encode(value, what, this.host.maxPayloadBytes);
  }

  /** encodeRunField, or null when the value cannot be stored (a canceled run keeps what it can). */
  safeEncode(value: unknown, what: string): string | null {
    try {
      return this.encodeRunField(value, what);
    } catch {
      return null;
    }
  }

  /** Stream chunks count against the run's size budget (maxRunBytes) like its stored values. */
  chargeBudget(bytes: number, what: string): void {
    const c = this.codec;
    if (!c || c.budget === null) return;
    if (c.used + bytes > c.budget) {
      throw new PayloadError('RUN_BUDGET_EXCEEDED', `${what} would bring the run's stored values to ${c.used + bytes} bytes, over its budget of ${c.budget} (maxRunBytes)`);
    }
    c.used += bytes;
  }

  private encodeJournal(value: unknown, what: string): { text: string | null; lossy: boolean } {
    if (value === undefined) return { text: null, lossy: false };
    if (this.codec === null) return encodeChecked(value, what, this.host.maxPayloadBytes);
    return encodeForJournal(value, what, this.host.maxPayloadBytes, this.codec);
  }
}
