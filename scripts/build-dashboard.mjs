// Bundles the dashboard's browser code (src/server/dashboard/browser/entry.ts and what it imports) into
// dist/server/dashboard/dashboard.js. Run by `npm run build` and by the test setup.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['src/server/dashboard/browser/entry.ts'],
  outfile: 'dist/server/dashboard/dashboard.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  // Node built-ins have no place in browser code: importing one (through a shared module) fails here.
  external: [],
});
