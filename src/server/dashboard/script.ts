import { apiLib } from './browser/api.js';
import { domLib } from './browser/dom.js';
import { graphLib } from './browser/graph.js';
import { mainApp } from './browser/main.js';
import { runView } from './browser/run-view.js';
import { runsView } from './browser/runs-view.js';
import { workflowsView } from './browser/workflows-view.js';

/**
 * Assembles the dashboard script from the browser modules: each is a self-contained function, emitted
 * with `Function.prototype.toString` (so the front end is type-checked and linted with the rest of the
 * code but needs no bundler). `__name` is a no-op shim for the helper some transpilers insert.
 */
export function dashboardScript(): string {
  return `// weft dashboard
const __name = (f) => f;
const dom = (${domLib.toString()})();
const api = (${apiLib.toString()})();
const graph = (${graphLib.toString()})(dom);
const announcer = document.getElementById('announcer');
const announce = (msg) => { announcer.textContent = ''; setTimeout(() => { announcer.textContent = msg; }, 30); };
const views = {
  workflows: (${workflowsView.toString()})(dom, api, graph, announce),
  runs: (${runsView.toString()})(dom, api),
  run: (${runView.toString()})(dom, api, graph, announce),
};
(${mainApp.toString()})(dom, api, views, announce);
`;
}
