import { Hono } from 'hono';
import { dashboardHtml } from './page.js';
import { dashboardScript } from './script.js';
import { dashboardCss } from './styles.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Serves the dashboard: the HTML shell at `/` and its two assets. No data is embedded in any of them. */
export function dashboardRoutes(_opts: { tokenRequired: boolean }): Hono {
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
