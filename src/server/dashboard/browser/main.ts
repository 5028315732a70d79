import type { Api } from './api.js';
import type { chatView } from './chat-view.js';
import type { Dom } from './dom.js';
import type { runsView } from './runs-view.js';
import type { runView } from './run-view.js';
import type { workflowsView } from './workflows-view.js';

interface Views {
  workflows: ReturnType<typeof workflowsView>;
  runs: ReturnType<typeof runsView>;
  run: ReturnType<typeof runView>;
  chat: ReturnType<typeof chatView>;
}

/** Hash router: #/workflows, #/runs?filters, #/runs/<workflow>/<runId>, #/chat/<workflow>/<runId>. Self-contained. */
export function mainApp(dom: Dom, api: Api, views: Views, announce: (msg: string) => void) {
  const { h } = dom;
  const root = document.getElementById('main') as HTMLElement;
  let cleanup: (() => void) | undefined;

  function tokenForm(): void {
    dom.clear(root);
    const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', name: 'token' });
    const form = h('form', { 'aria-label': 'sign in' }, h('h1', {}, 'Token required'), h('p', {}, 'This server requires a bearer token.'), h('label', { for: 'token' }, 'Token'), input, h('button', { type: 'submit' }, 'Sign in'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      api.setToken(input.value);
      void route();
    });
    root.appendChild(form);
    input.focus();
  }

  function markNav(name: string): void {
    document.querySelectorAll<HTMLAnchorElement>('nav.top a').forEach((a) => {
      if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  async function route(): Promise<void> {
    cleanup?.();
    cleanup = undefined;
    const hash = location.hash.replace(/^#/, '') || '/workflows';
    const [path = '', query = ''] = hash.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (parts[0] === 'chat' && parts.length === 3) {
        markNav('runs');
        cleanup = await views.chat.render(root, parts[1] ?? '', parts[2] ?? '');
      } else if (parts[0] === 'runs' && parts.length === 3) {
        markNav('runs');
        cleanup = await views.run.render(root, parts[1] ?? '', parts[2] ?? '');
      } else if (parts[0] === 'runs') {
        markNav('runs');
        cleanup = await views.runs.render(root, new URLSearchParams(query));
      } else {
        markNav('workflows');
        await views.workflows.render(root);
      }
      const heading = root.querySelector('h1');
      if (heading) document.title = `${heading.textContent ?? ''} · weft`;
    } catch (e) {
      const err = e as Error & { status?: number };
      if (err.status === 401) return tokenForm();
      dom.clear(root);
      root.append(h('h1', {}, 'Something went wrong'), h('p', { className: 'error', role: 'alert' }, err.message));
      announce(err.message);
    }
  }

  window.addEventListener('hashchange', () => void route());
  void route();
}
