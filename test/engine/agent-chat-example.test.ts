import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentChat } from '../../src/examples/agent-chat.js';
import { sqliteStore, type WorkflowEvent } from '../../src/index.js';
import { makeWeft, uid } from './helpers.js';

/** The agent-chat example on a SQLite file: streamed turns, tool steps, approval, the loop's view. */
const dir = mkdtempSync(join(tmpdir(), 'weft-agent-chat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = (over: Record<string, unknown> = {}) => ({ customer: 'Ada', orderId: '1042', question: 'I was charged twice.', approvalLimit: 100, tokenDelayMs: 0, ...over });
const agentReplies = (r: any): string[] => r.result.messages.filter((m: { role: string }) => m.role === 'agent').map((m: { text: string }) => m.text);

async function collect(stream: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const out: WorkflowEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe('the agent-chat example', () => {
  it('streams each reply, runs the tools as steps, suspends a big refund, and finishes after approval in a new engine', async () => {
    const path = join(dir, `${uid('chat')}.db`);
    const weft = makeWeft({ 'agent-chat': agentChat }, { store: sqliteStore({ path }) });
    const run = await agentChat.createRun();
    const s = run.stream({ inputData: input() });
    const events = await collect(s.fullStream as AsyncIterable<WorkflowEvent>);
    const suspended = await s.result;
    expect(suspended.status).toBe('suspended');
    if (suspended.status !== 'suspended') return;
    expect(suspended.suspended).toEqual([['agent-turn', 'refund']]);
    expect(suspended.suspendPayload['agent-turn.refund']).toMatchObject({ question: 'Refund 240.00 to Ada for order 1042?', amount: 240 });
    const deltas = events.filter((e) => e.type === 'workflow-step-output' && (e.payload.output as any).type === 'text-delta').map((e) => (e.payload.output as any).payload);
    expect(deltas.filter((d) => d.id === 'turn-1').map((d) => d.text).join('')).toBe('Hi Ada, let me look up order 1042 for you.');
    expect(deltas.filter((d) => d.id === 'turn-2').map((d) => d.index)).toEqual([...Array(17).keys()]);

    // Approved after a restart: the journal on the file carries the conversation.
    await weft.stop();
    const again = makeWeft({ 'agent-chat': agentChat }, { store: sqliteStore({ path }) });
    const done = await (await agentChat.createRun({ runId: run.runId })).resume({ step: 'agent-turn.refund', resumeData: { approved: true } });
    expect(done.status).toBe('success');
    expect(agentReplies(done)).toEqual([
      'Hi Ada, let me look up order 1042 for you.',
      'I see order 1042 (espresso machine) was charged twice, 240.00 each. I will refund the duplicate charge.',
      'Done: 240.00 is on its way back to your card. Anything else I can help with?',
    ]);
    expect((done as any).result).toMatchObject({ turns: 3, reply: 'Done: 240.00 is on its way back to your card. Anything else I can help with?' });
    expect((done as any).result.messages.filter((m: { role: string }) => m.role === 'tool').map((m: { text: string }) => m.text)).toEqual(['order 1042: espresso machine, 240.00, charged 2x', 'refunded 240.00']);

    const [loop] = await again.getRunLoops(run.runId);
    expect(loop).toMatchObject({ path: 'loop#1', step: 'agent-turn', iterations: 3, completed: 3, hidden: 0 });
    expect(loop!.shown.map((i) => (i.output as { turn: number }).turn)).toEqual([1, 2, 3]);
  });

  it('a declined refund, a refund under the limit and an order with nothing to refund each end the conversation', async () => {
    makeWeft({ 'agent-chat': agentChat }, { store: sqliteStore({ path: join(dir, `${uid('chat')}.db`) }) });
    const declined = await agentChat.createRun();
    expect((await declined.start({ inputData: input() })).status).toBe('suspended');
    const no = await declined.resume({ step: 'agent-turn.refund', resumeData: { approved: false, note: 'over budget' } });
    expect(agentReplies(no).at(-1)).toBe('I am sorry, the refund was not approved (over budget). A colleague will contact you.');

    const small = await (await agentChat.createRun()).start({ inputData: input({ approvalLimit: 500 }) });
    expect(small.status).toBe('success');
    expect(agentReplies(small).at(-1)).toMatch(/^Done: 240.00/);

    const once = await (await agentChat.createRun()).start({ inputData: input({ orderId: '1041' }) });
    expect(once).toMatchObject({ status: 'success', result: { turns: 2, reply: 'Order 1041 (espresso machine) was charged once, so there is nothing to refund.' } });
  });
});
