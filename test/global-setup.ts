import { execFileSync } from 'node:child_process';

/**
 * Tests that spawn real processes (crash tests, CLI) run the built package, and the dashboard serves
 * its bundled browser script, so build both once up front.
 * Set WEFT_SKIP_BUILD=1 to reuse an existing dist/.
 */
export default function setup(): void {
  if (process.env.WEFT_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'inherit' });
}
