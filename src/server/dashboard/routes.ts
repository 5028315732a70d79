import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { dashboardHtml } from './page.js';
import { dashboardCss } from './styles.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The dashboard's browser script, bundled at build time into dist/server/dashboard/dashboard.js. This
 * module sits at src/server/dashboard/ under vitest and at dist/server/dashboard/ after a build, so
 * three levels up is the package root in both.
 */
const BUNDLE = fileURLToPath(new URL('../../../dist/server/dashboard/dashboard.js', import.meta.url));

function dashboardScript(): string {
  try {
    return readFileSync(BUNDLE, 'utf8');
  } catch {
    // A checkout that was never built: say so in the page instead of failing the server.
    return `document.getElementById('main').textContent = 'The dashboard is not built: run npm run build.';`;
  }
}

/** Serves the dashboard: the HTML shell at `/` and its two assets. No data is embedded in any of them. */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  const html = dashboardHtml();
  const js = dashboardScript();
  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
  });
  app.get('/', (c) => c.html(html));
  app.get('/assets/dashboard.js', (c) => c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  app.get('/assets/dashboard.css', (c) => c.body(dashboardCss, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));
  return app;
}
