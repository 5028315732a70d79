import type { RunSummaryJson } from '../../../wire/types.js';
import type { Api } from './api.js';
import type { Dom } from './dom.js';

/** A streamed text chunk as a step writes it (`ctx.writer.write`, an agent step's `text-delta`). */
interface TextChunk {
  type: string;
  payload?: { id?: unknown; index?: unknown; text?: unknown };
}

/**
 * The conversation page (#/chat/<workflow>/<runId>): follows a run's SSE stream and shows the text its
 * steps stream (`text-delta` chunks, grouped by their `payload.id`) as it is written. It follows with
 * Last-Event-ID across reconnects and server restarts; when the stream ends because the run suspended
 * (a human must approve), it waits for the run to go on and follows again from the last event it had.
 * A token that carries an `index` fills its place once. When a step is retried or taken over after a
 * crash, the stream sends a `workflow-step-output-reset` naming the chunks of the superseded attempt
 * this reader received: their tokens are taken out before the new attempt's arrive. Self-contained.
 */
export function chatView(dom: Dom, api: Api) {
  const { h } = dom;
  const FINAL = ['success', 'failed', 'canceled'];

  async function render(root: HTMLElement, wfKey: string, runId: string): Promise<() => void> {
    const base = `/workflows/${encodeURIComponent(wfKey)}/runs/${encodeURIComponent(runId)}`;
    const runHref = `#/runs/${encodeURIComponent(wfKey)}/${encodeURIComponent(runId)}`;
    const first = await api.get<{ result: { status: string; input?: unknown } }>(base);
    const question = (first.result.input as { question?: unknown } | undefined)?.question;
    const transcript = h('ol', { className: 'chat', id: 'chat', 'aria-label': 'conversation' });
    const statusEl = h('span', { id: 'chat-status', role: 'status', 'aria-live': 'polite' });
    const activity = h('p', { id: 'chat-activity', className: 'muted' });
    const notice = h('div', { id: 'chat-notice' });
    dom.clear(root);
    root.append(
      h('p', {}, h('a', { href: runHref }, '← Run')),
      h('h1', {}, 'Conversation ', h('code', {}, runId)),
      h('p', {}, 'Workflow ', h('strong', {}, wfKey), ' · status ', statusEl),
      notice,
      transcript,
      activity,
    );
    if (typeof question === 'string') transcript.appendChild(h('li', { className: 'msg customer' }, h('strong', {}, 'Customer'), h('p', {}, question)));

    /** Streamed messages by id: each token in its place (by index when the chunk has one). */
    const messages = new Map<string, { tokens: (string | undefined)[]; el: HTMLElement }>();
    /** Where each received chunk's token went, by event id, for a reset to take it out. */
    const placed = new Map<string, { id: string; index: number }>();
    function show(msg: { tokens: (string | undefined)[]; el: HTMLElement }): void {
      msg.el.textContent = msg.tokens.join('');
      msg.el.dataset.tokens = String(msg.tokens.filter((t) => t !== undefined).length);
    }
    function dropTokens(voided: unknown): void {
      if (!Array.isArray(voided)) return;
      for (const eventId of voided) {
        const at = placed.get(String(eventId));
        const msg = at && messages.get(at.id);
        if (!at || !msg) continue;
        placed.delete(String(eventId));
        msg.tokens[at.index] = undefined;
        show(msg);
      }
    }
    function addToken(chunk: TextChunk, eventId: string | undefined): void {
      const id = String(chunk.payload?.id ?? 'text');
      const text = typeof chunk.payload?.text === 'string' ? chunk.payload.text : '';
      let msg = messages.get(id);
      if (!msg) {
        const el = h('p', { className: 'text' });
        transcript.appendChild(h('li', { className: 'msg agent', 'data-message': id }, h('strong', {}, 'Agent'), el));
        messages.set(id, (msg = { tokens: [], el }));
      }
      const index = typeof chunk.payload?.index === 'number' ? chunk.payload.index : msg.tokens.length;
      msg.tokens[index] = text;
      if (eventId) placed.set(eventId, { id, index });
      show(msg);
    }

    function setStatus(status: string): void {
      statusEl.textContent = status;
      statusEl.className = `badge st-${status}`;
    }
    setStatus(first.result.status);

    let lastEventId: string | undefined;
    let stop = () => {};
    let poll: ReturnType<typeof setTimeout> | undefined;
    let closed = false;

    const onEvent = (e: { type: string; id?: string; payload: Record<string, unknown> }) => {
      if (e.id) lastEventId = e.id;
      const p = e.payload;
      if (e.type === 'workflow-step-output') {
        const chunk = p.output as TextChunk | undefined;
        if (chunk?.type === 'text-delta') addToken(chunk, e.id);
      } else if (e.type === 'workflow-step-output-reset') {
        dropTokens(p.voided);
      } else if (e.type === 'workflow-step-start' || e.type === 'workflow-step-result' || e.type === 'workflow-step-suspended') {
        activity.textContent = `${String(p.id)}: ${String(p.status ?? e.type.replace('workflow-step-', ''))}`;
      } else if (e.type === 'workflow-finish') {
        const status = String(p.workflowStatus ?? '');
        if (status) setStatus(status);
        if (FINAL.includes(status)) activity.textContent = '';
      }
    };

    /** The stream ended: the run settled, or it suspended and waits for a human. */
    const onEnd = () => {
      void api
        .get<RunSummaryJson>(`/runs/${encodeURIComponent(runId)}`)
        .then((s) => {
          if (closed) return;
          setStatus(s.status);
          dom.clear(notice);
          if (FINAL.includes(s.status)) {
            notice.appendChild(h('p', { id: 'chat-ended' }, `The conversation ended (${s.status}).`));
            return;
          }
          if (s.status === 'suspended') {
            notice.appendChild(h('p', { className: 'approval' }, 'Waiting for a human: approve or decline on the ', h('a', { href: runHref, target: '_blank' }, 'run page'), '.'));
          }
          // Follow again, from the last event seen, once the run is running again.
          poll = setTimeout(() => (s.status === 'suspended' ? onEnd() : resume()), 1000);
        })
        .catch(() => {
          if (!closed) poll = setTimeout(onEnd, 1000);
        });
    };
    const resume = () => {
      dom.clear(notice);
      stop = api.follow(`${base}/events`, onEvent, { ...(lastEventId ? { lastEventId } : {}), onEnd });
    };
    resume();
    return () => {
      closed = true;
      stop();
      clearTimeout(poll);
    };
  }

  return { render };
}
