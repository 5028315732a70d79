// The shared wait-until helper (wait.mjs), for the TypeScript tests.
export { waitUntil, type WaitOptions } from './wait.mjs';
