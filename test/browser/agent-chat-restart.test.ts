import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startWeft, type Running } from '../cli/helpers.js';
import { useBrowser } from '../support/browser.js';
import { waitUntil } from '../support/wait.js';

/**
 * The conversation page across a server restart: `weft dev` (a real process on a SQLite file) is
 * stopped with SIGTERM while the page follows a reply being streamed, a new `weft dev` starts on the
 * same file and port, and the page (reconnecting with Last-Event-ID) must end with the complete text,
 * every token once. A graceful stop lets the streaming step finish after the server stopped answering,
 * so the tokens written meanwhile reach the page only if the new server can replay them from the store
 * (durable output chunks).
 */
const dir = mkdtempSync(join(tmpdir(), 'weft-chat-restart-'));
const db = join(dir, 'weft.db');
let server: Running | undefined;

async function startServer(port: number): Promise<{ url: string; port: number }> {
  server = startWeft(['dev', '--db', db, '--port', String(port)]);
  const m = await server.waitFor(/dashboard\s+(http:\/\/127\.0\.0\.1:(\d+))\//);
  return { url: m[1]!, port: Number(m[2]) };
}

async function api(url: string, path: string, json?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/weft${path}`, json === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
  return { status: res.status, body: await res.json() };
}

// The servers are `weft dev` processes this file starts itself (twice, on one port); the browser stops before the last one.
beforeAll(() => ensureBuilt(), 60_000);
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});
const { page, pageErrors } = useBrowser();

const tokensOf = (text: string) => text.split(/(?= )/);

describe('agent-chat: the conversation page across a server restart', () => {
  it('ends with the complete text, every token once, after the server is stopped mid-reply and started again on the same file', async () => {
    const first = await startServer(0);
    const started = await api(first.url, '/workflows/agent-chat/runs', {
      runId: 'chat-restart',
      inputData: { customer: 'Ada', orderId: '1042', question: 'I was charged twice for my order.', approvalLimit: 100, tokenDelayMs: 150 },
    });
    expect(started.status).toBe(202);
    await page.goto(`${first.url}/#/chat/agent-chat/chat-restart`);

    // Stop the server while the second reply is being streamed to the page.
    const secondTokens = tokensOf('I see order 1042 (espresso machine) was charged twice, 240.00 each. I will refund the duplicate charge.').length;
    await waitUntil(async () => {
      const n = await page.evaluate(() => Number(document.querySelector('[data-message="turn-2"] .text')?.getAttribute('data-tokens') ?? 0));
      return n >= 3 && n < secondTokens - 3;
    }, { timeout: 20_000, interval: 20, message: 'the second reply to be part-streamed' });
    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);

    const again = await startServer(first.port);
    expect(again.url).toBe(first.url);
    await waitUntil(async () => (await api(again.url, '/runs/chat-restart')).body.status === 'suspended', { timeout: 20_000, message: 'the run to wait for the refund approval' });
    const resumed = await api(again.url, '/workflows/agent-chat/runs/chat-restart/resume', { step: 'agent-turn.refund', resumeData: { approved: true } });
    expect(resumed.status).toBe(202);

    await expect.poll(() => page.locator('#chat-ended').textContent(), { timeout: 30_000 }).toBe('The conversation ended (success).');
    const result = (await api(again.url, '/workflows/agent-chat/runs/chat-restart')).body.result;
    const replies: string[] = result.result.messages.filter((m: { role: string }) => m.role === 'agent').map((m: { text: string }) => m.text);
    expect(replies).toHaveLength(3);
    const shown = await page.locator('.msg.agent').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-message'), text: e.querySelector('.text')?.textContent, tokens: Number(e.querySelector('.text')?.getAttribute('data-tokens')) })));
    expect(shown).toEqual(replies.map((text, i) => ({ id: `turn-${i + 1}`, text, tokens: tokensOf(text).length })));
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
