import { apiLib } from './api.js';
import { chatView } from './chat-view.js';
import { domLib } from './dom.js';
import { errorLib } from './error-view.js';
import { ganttLib } from './gantt.js';
import { graphLib } from './graph.js';
import { loopViewLib } from './loop-view.js';
import { mainApp } from './main.js';
import { runView } from './run-view.js';
import { runsView } from './runs-view.js';
import { schemaFormLib } from './schema-form.js';
import { stepPanelLib } from './step-panel.js';
import { workflowsView } from './workflows-view.js';

/**
 * The dashboard's browser entry point, bundled by scripts/build-dashboard.mjs into one script (a bad
 * import fails the build, not the browser). It wires the views to the DOM helpers and the API client.
 */
const dom = domLib();
const api = apiLib();
const graph = graphLib(dom);
const errors = errorLib(dom);
const forms = schemaFormLib(dom);
const gantt = ganttLib(dom);
const panel = stepPanelLib(dom, errors);
const loops = loopViewLib(dom);
const announcer = document.getElementById('announcer') as HTMLElement;
const announce = (msg: string): void => {
  announcer.textContent = '';
  // A pause lets screen readers notice the same message announced twice in a row.
  setTimeout(() => {
    announcer.textContent = msg;
  }, 30);
};
const views = {
  workflows: workflowsView(dom, api, graph, forms, announce),
  runs: runsView(dom, api, announce),
  run: runView(dom, api, { graph, gantt, errors, forms, panel, loops }, announce),
  chat: chatView(dom, api),
};
mainApp(dom, api, views, announce);
