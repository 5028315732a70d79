/**
 * Browser-side DOM helpers. Like every module in this folder, the function is serialised with
 * `Function.prototype.toString` and runs in the page, so it must not reference anything outside itself.
 * All user data goes through `textContent` (never innerHTML), so a run output containing markup shows as
 * text.
 */
export function domLib() {
  type Child = Node | string | number | null | undefined | false;
  type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

  function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
      else if (k === 'className') el.className = String(v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }

  function append(el: Node, children: Child[]): void {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
  }

  function clear(el: Element): void {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function pretty(v: unknown): string {
    if (v === undefined) return '—';
    try {
      return JSON.stringify(v, null, 2) ?? String(v);
    } catch {
      return String(v);
    }
  }

  function jsonBlock(v: unknown, label: string): HTMLElement {
    return h('pre', { className: 'json', tabindex: 0, 'aria-label': label }, pretty(v));
  }

  function fmtTime(v: string | number | undefined): string {
    if (v === undefined) return '—';
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
  }

  function fmtDuration(ms: number | undefined): string {
    if (ms === undefined || !Number.isFinite(ms)) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  }

  function badge(status: string): HTMLElement {
    return h('span', { className: `badge st-${status}` }, status);
  }

  /**
   * Asks before a consequential action, in a modal <dialog> (focus moves into it and back; Escape
   * cancels). Resolves true only for the confirm button.
   */
  function confirmDialog(message: string, confirmLabel: string): Promise<boolean> {
    return new Promise((resolve) => {
      const back = document.activeElement as HTMLElement | null;
      const yes = h('button', { type: 'button', className: 'danger' }, confirmLabel);
      const no = h('button', { type: 'button', className: 'secondary' }, 'Keep them');
      const dlg = h('dialog', { className: 'confirm', 'aria-label': 'confirm' }, h('p', {}, message), h('div', { className: 'actions' }, no, yes));
      const close = (ok: boolean) => {
        dlg.close();
        dlg.remove();
        back?.focus();
        resolve(ok);
      };
      yes.addEventListener('click', () => close(true));
      no.addEventListener('click', () => close(false));
      dlg.addEventListener('cancel', (ev) => {
        ev.preventDefault();
        close(false);
      });
      document.body.appendChild(dlg);
      dlg.showModal();
      no.focus();
    });
  }

  return { h, append, clear, pretty, jsonBlock, fmtTime, fmtDuration, badge, confirmDialog };
}

export type Dom = ReturnType<typeof domLib>;
