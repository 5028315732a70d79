import { chromium } from 'playwright-core';
import { startWeft, tempDir, freePort } from './lib/procs.mjs';
import { startStudio } from './lib/studio.mjs';
const tmp = tempDir('weft-st-');
const studioPort = await freePort();
const weft = await startWeft({ store: { kind: 'sqlite', path: `${tmp.dir}/w.db` }, corsOrigins: [`http://localhost:${studioPort}`] });
const studio = await startStudio({ port: studioPort, apiPort: weft.port });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage();
const seen = new Set();
page.on('response', (r) => { const u = new URL(r.url()); if (u.port === String(weft.port) && r.status() !== 200) seen.add(`${r.status()} ${r.request().method()} ${u.pathname}`); });
page.on('pageerror', (e) => seen.add('PAGEERROR ' + e.message.slice(0, 150)));
for (const p of ['/agents', '/tools', '/scorers', '/datasets', '/experiments', '/observability', '/traces', '/logs', '/metrics', '/settings', '/request-context', '/mcps', '/processors', '/workspaces', '/inbox', '/review', '/workflows/math/graph']) {
  await page.goto(`${studio.url}${p}`);
  await page.waitForTimeout(2500);
  const failed = await page.getByText(/Failed to load|Something went wrong|error/i).count();
  seen.add(`PAGE ${p} error-texts=${failed}`);
  if (['/agents', '/traces', '/logs', '/metrics'].includes(p)) await page.screenshot({ path: `/tmp/p${p.replace(/\//g, '_')}.png` });
}
console.log([...seen].join('\n'));
await browser.close(); await studio.close(); await weft.stop(); tmp.remove();
