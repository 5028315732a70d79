import type { Dom } from './dom.js';

/**
 * Errors as people read them: the name and code as labels, the message as text, the stack as lines
 * (the app's own frames apart from node internals), then the cause chain and any other fields. Never
 * raw JSON with literal `\n`.
 */
export function errorLib(dom: Dom) {
  const { h } = dom;
  type ErrorShape = { name?: unknown; message?: unknown; code?: unknown; stack?: unknown; cause?: unknown; [k: string]: unknown };
  const SHOWN = new Set(['name', 'message', 'code', 'stack', 'cause']);

  function stackBlock(stack: string, message: string, label: string): HTMLElement | null {
    // A stack starts with "Name: message"; that line is already shown above it.
    const lines = stack.split('\n').filter((l, i) => !(i === 0 && l.includes(message)));
    if (lines.length === 0) return null;
    const pre = h('pre', { className: 'stack', tabindex: 0, 'aria-label': label });
    for (const l of lines) {
      const internal = /\(node:|node:internal|node_modules/.test(l);
      pre.appendChild(h('span', { className: internal ? 'frame-line internal' : 'frame-line' }, l.trim()));
      pre.appendChild(document.createTextNode('\n'));
    }
    return h('details', { className: 'stack-details', open: true }, h('summary', {}, `Stack (${lines.length} frames)`), pre);
  }

  function renderError(value: unknown, label: string, depth = 0): HTMLElement {
    if (value === null || typeof value !== 'object') return h('div', { className: 'error-box', role: 'group', 'aria-label': label }, h('p', { className: 'error-message' }, String(value)));
    const e = value as ErrorShape;
    const message = typeof e.message === 'string' ? e.message : '';
    const box = h(
      'div',
      { className: 'error-box', role: 'group', 'aria-label': label },
      h(
        'p',
        { className: 'error-head' },
        typeof e.name === 'string' ? h('span', { className: 'error-name' }, e.name) : null,
        typeof e.code === 'string' ? h('code', { className: 'error-code' }, e.code) : null,
      ),
      h('p', { className: 'error-message' }, message || '(no message)'),
    );
    if (typeof e.stack === 'string') {
      const s = stackBlock(e.stack, message, `stack of ${label}`);
      if (s) box.appendChild(s);
    }
    const extra = Object.entries(e).filter(([k]) => !SHOWN.has(k));
    if (extra.length) box.append(h('p', { className: 'muted' }, 'Details'), dom.jsonBlock(Object.fromEntries(extra), `details of ${label}`));
    if (e.cause !== undefined && depth < 5) box.append(h('p', { className: 'muted' }, 'Caused by'), renderError(e.cause, `cause of ${label}`, depth + 1));
    return box;
  }

  /** One line for lists: "Name [CODE]: message". */
  function errorLine(value: unknown): string {
    if (value === null || typeof value !== 'object') return String(value);
    const e = value as ErrorShape;
    return `${typeof e.name === 'string' ? e.name : 'Error'}${typeof e.code === 'string' ? ` [${e.code}]` : ''}: ${typeof e.message === 'string' ? e.message : ''}`;
  }

  return { renderError, errorLine };
}

export type ErrorView = ReturnType<typeof errorLib>;
