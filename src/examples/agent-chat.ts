import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/**
 * Agent chat: a support agent as a durable loop.
 *
 * Each turn of the loop (`.dountil`) is the nested workflow `agent-turn`:
 *   1. `model`: the model writes its reply, streamed token by token into the run's stream with
 *      `ctx.writer.write`, and decides on a tool call;
 *   2. the tool runs as its own durable step (`lookup-order`, `refund`), chosen with `.branch`;
 *      a refund above the approval limit suspends for a human, who resumes the run from the
 *      dashboard's resume form with `{ "approved": true }` (or false, with a `note`);
 *   3. the conversation, with the tool's result added, goes round again until the model is done.
 *
 * The model is a deterministic stand-in (no network, no provider): its reply depends only on the
 * conversation, so the example behaves the same every time. With a real model, the `model` step calls
 * it and forwards its text deltas the same way (or use `createStep(agent)`, see support-reply.ts).
 *
 * Durability: every step's output is journaled. After a crash the run continues from its journal: a
 * looked-up order is not looked up again and a refund is not issued twice; a model turn that had not
 * finished is asked again (at-least-once, like any step) and streams its reply again, from the start.
 * The loop keeps the values of its last `loopHistory` turns (docs/durability.md, loop history); the
 * dashboard's run page shows them, and `/chat/<runId>` follows the tokens as they stream.
 */

const Message = z.object({ role: z.enum(['customer', 'agent', 'tool']), text: z.string() });
const Order = z.object({ orderId: z.string(), item: z.string(), amount: z.number(), charges: z.number() });

/** What goes round the loop: the transcript and what the tools found out. */
const Conversation = z.object({
  customer: z.string(),
  orderId: z.string(),
  approvalLimit: z.number(),
  tokenDelayMs: z.number(),
  turn: z.number(),
  messages: z.array(Message),
  order: Order.nullable(),
  refund: z.object({ approved: z.boolean(), amount: z.number(), note: z.string() }).nullable(),
  done: z.boolean(),
});
type Conversation = z.infer<typeof Conversation>;

/** The model's decision: which tool to call next ('none' ends the conversation). */
const ToolCall = z.object({ tool: z.enum(['lookup-order', 'refund', 'none']), amount: z.number().optional() });
const Decision = z.object({ conversation: Conversation, call: ToolCall });
type Decision = z.infer<typeof Decision>;

/** The mock model: what it says and which tool it calls, given the conversation so far. */
function mockModel(c: Conversation): { reply: string; call: z.infer<typeof ToolCall> } {
  if (!c.order) return { reply: `Hi ${c.customer}, let me look up order ${c.orderId} for you.`, call: { tool: 'lookup-order' } };
  if (!c.refund) {
    const { item, amount, charges } = c.order;
    if (charges < 2) return { reply: `Order ${c.orderId} (${item}) was charged once, so there is nothing to refund.`, call: { tool: 'none' } };
    return { reply: `I see order ${c.orderId} (${item}) was charged twice, ${amount.toFixed(2)} each. I will refund the duplicate charge.`, call: { tool: 'refund', amount } };
  }
  if (c.refund.approved) return { reply: `Done: ${c.refund.amount.toFixed(2)} is on its way back to your card. Anything else I can help with?`, call: { tool: 'none' } };
  return { reply: `I am sorry, the refund was not approved (${c.refund.note}). A colleague will contact you.`, call: { tool: 'none' } };
}

const model = createStep({
  id: 'model',
  description: 'The support agent (mock model): streams its reply and picks a tool',
  inputSchema: Conversation,
  outputSchema: Decision,
  execute: async ({ inputData, writer, abortSignal }) => {
    const turn = inputData.turn + 1;
    const { reply, call } = mockModel(inputData);
    // Token by token, as a model writes: each chunk is a `workflow-step-output` event of the run's
    // stream (SSE, `run.stream()`, `client.watch`). `index` lets a reader place each token once.
    const tokens = reply.split(/(?= )/);
    for (const [index, text] of tokens.entries()) {
      await new Promise((r) => setTimeout(r, inputData.tokenDelayMs));
      if (abortSignal.aborted) throw abortSignal.reason;
      await writer.write({ type: 'text-delta', from: 'AGENT', payload: { id: `turn-${turn}`, index, text } });
    }
    await writer.write({ type: 'text-end', from: 'AGENT', payload: { id: `turn-${turn}`, tokens: tokens.length } });
    const messages = [...inputData.messages, { role: 'agent' as const, text: reply }];
    return { conversation: { ...inputData, turn, messages, done: call.tool === 'none' }, call };
  },
});

/** A tool: reads the order from the (mock) order system. Its result is journaled like any step's. */
const lookupOrder = createStep({
  id: 'lookup-order',
  description: 'Tool: looks up the order',
  inputSchema: Decision,
  outputSchema: Conversation,
  execute: async ({ inputData: { conversation: c } }) => {
    const order = { orderId: c.orderId, item: 'espresso machine', amount: 240, charges: c.orderId.endsWith('1') ? 1 : 2 };
    const text = `order ${order.orderId}: ${order.item}, ${order.amount.toFixed(2)}, charged ${order.charges}x`;
    return { ...c, order, messages: [...c.messages, { role: 'tool' as const, text }] };
  },
});

/** A risky tool: refunds above the approval limit wait for a human (the run suspends, durably). */
const refund = createStep({
  id: 'refund',
  description: 'Tool: refunds a charge; above the approval limit a human approves first',
  inputSchema: Decision,
  outputSchema: Conversation,
  suspendSchema: z.object({ question: z.string(), amount: z.number() }),
  resumeSchema: z.object({ approved: z.boolean(), note: z.string().optional() }),
  execute: async ({ inputData: { conversation: c, call }, resumeData, suspend }) => {
    const amount = call.amount ?? 0;
    if (amount > c.approvalLimit && !resumeData) {
      return suspend({ question: `Refund ${amount.toFixed(2)} to ${c.customer} for order ${c.orderId}?`, amount });
    }
    const approved = resumeData?.approved ?? true;
    const note = resumeData?.note ?? (resumeData ? 'approved' : 'under the approval limit');
    const text = approved ? `refunded ${amount.toFixed(2)}` : `refund declined: ${note}`;
    return { ...c, refund: { approved, amount, note }, messages: [...c.messages, { role: 'tool' as const, text }] };
  },
});

/** No tool: the conversation passes through (the model said it is done). */
const answer = createStep({
  id: 'answer',
  inputSchema: Decision,
  outputSchema: Conversation,
  execute: async ({ inputData }) => inputData.conversation,
});

/** One turn: the model, then the tool it chose. `.branch` outputs `{ [stepId]: output }` of the one that ran. */
const agentTurn = createWorkflow({ id: 'agent-turn', inputSchema: Conversation, outputSchema: Conversation })
  .then(model)
  .branch([
    [async ({ inputData }) => inputData.call.tool === 'lookup-order', lookupOrder],
    [async ({ inputData }) => inputData.call.tool === 'refund', refund],
    [async ({ inputData }) => inputData.call.tool === 'none', answer],
  ])
  .map(async ({ inputData }) => Object.values(inputData)[0]!)
  .commit();

/** The start form on the dashboard is built from this schema (descriptions become hints). */
const ChatInput = z.object({
  customer: z.string().describe('The customer\'s name'),
  orderId: z.string().describe('The order they write about (one ending in 1 was charged once)'),
  question: z.string().describe('Their first message'),
  approvalLimit: z.number().default(100).describe('Refunds above this wait for a human'),
  tokenDelayMs: z.number().int().min(0).max(2000).default(60).describe('How fast the mock model types (ms per token)'),
});

export const agentChat = createWorkflow({
  id: 'agent-chat',
  description: 'A support agent loop: streamed replies, tool calls as steps, human approval for big refunds',
  inputSchema: ChatInput,
  outputSchema: z.object({ reply: z.string(), turns: z.number(), messages: z.array(Message) }),
  metadata: { exampleInput: { customer: 'Ada', orderId: '1042', question: 'I was charged twice for my order.', approvalLimit: 100, tokenDelayMs: 60 } },
})
  .map(async ({ inputData: { question, ...settings } }) => {
    const start: Conversation = { ...settings, turn: 0, messages: [{ role: 'customer', text: question }], order: null, refund: null, done: false };
    return start;
  })
  .dountil(agentTurn, async ({ inputData }) => inputData.done)
  .map(async ({ inputData: { messages, turn } }) => ({ reply: messages.filter((m) => m.role === 'agent').at(-1)?.text ?? '', turns: turn, messages }))
  .commit();
