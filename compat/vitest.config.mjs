// Vitest runs only the TypeScript tests under agents/ (the rest of compat/ runs on node --test).
// `weft` resolves to the repository's build, or WEFT_DIST when set, the same build `weft serve` runs.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dist = process.env.WEFT_DIST ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));

export default defineConfig({
  resolve: { alias: { weft: dist } },
  test: { include: ['agents/**/*.test.ts'], testTimeout: 30_000 },
});
