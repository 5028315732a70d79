/** An SSE message of a run's event stream. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: any;
}

/**
 * Reads an SSE response message by message (into `msgs`, which callers may watch) until `stop` says so
 * (then aborts the connection), the server ends the stream, or the connection drops. Returns what was read.
 */
export async function readUntil(
  url: string,
  headers: Record<string, string>,
  stop: (msgs: SseMessage[]) => boolean,
  msgs: SseMessage[] = [],
): Promise<{ msgs: SseMessage[]; ended: boolean }> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers, signal: ctl.signal });
  if (!res.ok || !res.body) throw new Error(`SSE request failed: ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { msgs, ended: msgs.some((m) => m.event === 'end') };
      buf += decoder.decode(value, { stream: true });
      let idx: number;
      while ((idx = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const m: SseMessage = { data: null };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const c = line.indexOf(':');
          const field = line.slice(0, c);
          const v = line.slice(c + 1).replace(/^ /, '');
          if (field === 'id') m.id = v;
          else if (field === 'event') m.event = v;
          else if (field === 'data') data.push(v);
        }
        if (data.length === 0) continue;
        m.data = JSON.parse(data.join('\n'));
        msgs.push(m);
        if (m.event === 'end') return { msgs, ended: true };
        if (stop(msgs)) {
          ctl.abort();
          return { msgs, ended: false };
        }
      }
    }
  } catch {
    // Aborted here, or the connection dropped (the server stopped): what was read so far.
    return { msgs, ended: false };
  }
}

/** The output chunks a reader keeps: every workflow-step-output, minus those a reset voided. */
export function appliedOutputs(msgs: SseMessage[]): unknown[] {
  const kept = new Map<string, unknown>();
  for (const m of msgs) {
    if (!m.id) continue;
    if (m.data.type === 'workflow-step-output') kept.set(m.id, m.data.payload.output);
    if (m.data.type === 'workflow-step-output-reset') for (const v of m.data.payload.voided as string[]) kept.delete(v);
  }
  return [...kept.values()];
}

export const outputsOf = (msgs: SseMessage[]) => msgs.filter((m) => m.id && m.data.type === 'workflow-step-output').map((m) => m.data.payload.output);

/** Ids of the messages as [position, n], checked to increase strictly. */
export function strictlyIncreasing(ids: string[]): boolean {
  const pos = ids.map((id) => id.split(':').map(Number) as [number, number]);
  return pos.every((p, i) => i === 0 || p[0] > pos[i - 1]![0] || (p[0] === pos[i - 1]![0] && p[1] > pos[i - 1]![1]));
}
