/**
 * Mastra Studio (the bundle shipped in the `mastra` package, 1.31) in Debian's Chromium, pointed at a
 * real `weft serve` on SQLite (another origin, allowed with --cors-origin): it lists the workflows,
 * starts one from its form and shows it succeed, resumes a suspended run from its resume form, opens
 * past runs, cancels a run, and a run it started survives kill -9 of the server and finishes after a
 * restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MastraClient } from '@mastra/client-js';
import { chromium } from 'playwright-core';
import { freePort, startWeft, tempDir, waitFor } from '../lib/procs.mjs';
import { startStudio } from '../lib/studio.mjs';

const UI_TIMEOUT = 20_000;

describe('Mastra Studio against weft serve', { timeout: 240_000 }, () => {
  let tmp;
  let weft;
  let studio;
  let browser;
  let page;
  let client;
  const problems = [];

  before(async () => {
    tmp = tempDir('weft-studio-');
    const studioPort = await freePort();
    weft = await startWeft({ store: { kind: 'sqlite', path: `${tmp.dir}/weft.db` }, corsOrigins: [`http://localhost:${studioPort}`] });
    studio = await startStudio({ port: studioPort, apiPort: weft.port });
    client = new MastraClient({ baseUrl: weft.url, retries: 0 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage();
    // Anything Studio asked of weft that failed on weft's side, or that the browser blocked (CORS).
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.port === String(weft.port) && r.status() >= 500) problems.push(`${r.status()} ${r.request().method()} ${u.pathname}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /CORS|blocked/i.test(m.text())) problems.push(m.text().slice(0, 200));
    });
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    await weft?.stop();
    tmp?.remove();
  });

  const latestRun = async (workflowId) => (await client.getWorkflow(workflowId).runs({ perPage: 1 })).runs[0];

  it('loads and lists the workflows with their descriptions and step counts', async () => {
    await page.goto(`${studio.url}/workflows`);
    for (const name of ['math', 'approval', 'slow']) await page.getByText(name, { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    await page.getByText('adds one then doubles').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(problems, []);
  });

  it('starts a workflow from its form and shows it succeed', async () => {
    await page.goto(`${studio.url}/workflows/math/graph`);
    await page.locator('#n').fill('3');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('Success', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    const run = await latestRun('math');
    assert.equal(run.snapshot.status, 'success');
    assert.deepEqual(run.snapshot.result, { n: 8 });
    assert.deepEqual(problems, []);
  });

  it('resumes a suspended run from its resume form', async () => {
    await page.goto(`${studio.url}/workflows/approval/graph`);
    await page.getByLabel('Name').fill('zed');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor({ timeout: UI_TIMEOUT });
    await page.getByText('Suspended', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    const suspended = await latestRun('approval');
    assert.equal(suspended.snapshot.status, 'suspended');
    await page.getByRole('checkbox', { name: /Approved/ }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByText('Success', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    const done = await client.getWorkflow('approval').runById(suspended.runId);
    assert.equal(done.status, 'success');
    assert.deepEqual(done.result, { greeting: 'hello zed' });
    assert.deepEqual(problems, []);
  });

  it('opens a past run from the recent runs, with its steps and its timeline', async () => {
    const { runId } = await latestRun('math');
    await page.goto(`${studio.url}/workflows/math/graph`);
    await page.getByText(runId).first().click({ timeout: UI_TIMEOUT });
    await page.waitForURL(`**/workflows/math/graph/${runId}`, { timeout: UI_TIMEOUT });
    await page.getByText('Success', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    await waitFor('both steps shown completed', async () => (await page.getByText('Completed', { exact: true }).count()) === 2, { timeoutMs: UI_TIMEOUT });
    // The timeline lists one entry per step, from the run's stored steps.
    await page.getByRole('button', { name: /Expand timeline/ }).click({ timeout: UI_TIMEOUT });
    await page.getByText('2 events').first().waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(problems, []);
  });

  it('cancels a running run', async () => {
    await page.goto(`${studio.url}/workflows/slow/graph`);
    await page.locator('#ms').fill('60000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const run = await waitFor('the run to be running', async () => {
      const r = await latestRun('slow');
      return r?.snapshot.status === 'running' ? r : undefined;
    });
    await page.getByRole('button', { name: 'Cancel workflow run' }).click({ timeout: UI_TIMEOUT });
    // Studio may ask to confirm.
    const confirm = page.getByRole('button', { name: /^(Cancel run|Confirm|Yes)/ });
    if (await confirm.count()) await confirm.first().click();
    await waitFor('the run to be canceled', async () => (await client.getWorkflow('slow').runById(run.runId)).status === 'canceled', { timeoutMs: UI_TIMEOUT });
    assert.deepEqual(problems, []);
  });

  it('a run started from Studio survives kill -9 of weft serve and finishes after the restart', async () => {
    await page.goto(`${studio.url}/workflows/slow/graph`);
    await page.locator('#ms').fill('4000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const run = await waitFor('the run to be stored and running', async () => {
      const r = await latestRun('slow');
      return r?.snapshot.status === 'running' ? r : undefined;
    });
    await weft.kill9();
    const killedAt = Date.now();
    await weft.restart();
    // The new process takes the run over once the dead one's lease expires (15 s by default).
    const done = await waitFor('the run to finish after the restart', async () => {
      const r = await client.getWorkflow('slow').runById(run.runId);
      return r.status === 'success' ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    assert.deepEqual(done.result, { waited: 4000 });
    // The step was cut off by the kill and ran again in the new process (it is not a replay of a
    // step that had finished before the kill).
    assert.ok(done.steps.wait.startedAt >= killedAt, 'the wait step ran again after the restart');
    await page.goto(`${studio.url}/workflows/slow/graph`);
    await page.getByText(run.runId).first().click({ timeout: UI_TIMEOUT });
    await page.getByText('Success', { exact: true }).first().waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(problems, []);
  });
});
