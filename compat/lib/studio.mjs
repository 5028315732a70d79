/**
 * Serves Mastra Studio's bundle (shipped in the `mastra` CLI package, dist/studio) the way
 * `mastra studio --server-port <port>` does: index.html with its placeholders filled in (the API's
 * host, port, protocol and prefix), the assets as files, and every other path as the SPA's page.
 * The CLI itself is not run because it needs TypeScript and a Mastra project around it.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';

const require = createRequire(import.meta.url);
const DIST = join(dirname(require.resolve('mastra/package.json')), 'dist', 'studio');
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2', '.woff': 'font/woff', '.png': 'image/png', '.ico': 'image/x-icon' };

export function startStudio({ port, apiPort, apiHost = 'localhost', apiPrefix = '/api' }) {
  const values = {
    MASTRA_STUDIO_BASE_PATH: '',
    MASTRA_SERVER_HOST: apiHost,
    MASTRA_SERVER_PORT: String(apiPort),
    MASTRA_SERVER_PROTOCOL: 'http',
    MASTRA_API_PREFIX: apiPrefix,
    MASTRA_TELEMETRY_DISABLED: 'true',
    MASTRA_EXPERIMENTAL_FEATURES: 'false',
    MASTRA_TEMPLATES: 'false',
    MASTRA_AGENT_SIGNALS: 'false',
    MASTRA_SIGNALS_UI: 'false',
    MASTRA_EXPERIMENTAL_UI: 'false',
  };
  const html = readFileSync(join(DIST, 'index.html'), 'utf8').replace(/%%([A-Z_]+)%%/g, (_, k) => values[k] ?? '');
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    // The dev server's live-reload channel: keep it open and quiet.
    if (path === '/refresh-events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: connected\n\n');
      return;
    }
    const file = join(DIST, path);
    if (file.startsWith(DIST + sep) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://localhost:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}
