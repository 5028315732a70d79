/** Browser-side API access (fetch + SSE over fetch so the bearer token can be sent). Self-contained. */
export function apiLib() {
  const TOKEN_KEY = 'weft-token';

  class ApiError extends Error {
    constructor(
      readonly status: number,
      readonly code: string,
      message: string,
      /** VALIDATION_FAILED: the failing fields (dotted paths) and why. */
      readonly issues: { path: string; message: string }[] = [],
    ) {
      super(message);
    }
  }

  function headers(json: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) out.authorization = `Bearer ${token}`;
    if (json) out['content-type'] = 'application/json';
    return out;
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`/api/weft${path}`, {
      method,
      headers: headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } } | null)?.error;
      throw new ApiError(res.status, err?.code ?? 'HTTP_ERROR', err?.message ?? `HTTP ${res.status}`, Array.isArray(err?.issues) ? err.issues : []);
    }
    return data as T;
  }

  /**
   * Follows a run's SSE stream, reconnecting with Last-Event-ID; calls `onEvent` per event. Returns a
   * function that stops it.
   */
  function follow(path: string, onEvent: (e: { type: string; payload: Record<string, unknown> }) => void): () => void {
    const ctl = new AbortController();
    let lastId: string | undefined;
    const loop = async () => {
      while (!ctl.signal.aborted) {
        try {
          const h = headers(false);
          if (lastId) h['last-event-id'] = lastId;
          const res = await fetch(`/api/weft${path}`, { headers: h, signal: ctl.signal });
          if (!res.ok || !res.body) return;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          let finished = false;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buf += value;
            let idx: number;
            while ((idx = buf.indexOf('\n\n')) !== -1) {
              const block = buf.slice(0, idx);
              buf = buf.slice(idx + 2);
              let data = '';
              for (const line of block.split('\n')) {
                if (line.startsWith('event:') && line.slice(6).trim() === 'end') finished = true;
                if (line.startsWith('id:')) lastId = line.slice(3).trim();
                else if (line.startsWith('data:')) data += line.slice(5).trim();
              }
              if (!data || finished) continue;
              const ev = JSON.parse(data) as { type: string; payload: Record<string, unknown> };
              onEvent(ev);
            }
          }
          if (finished) return;
        } catch {
          if (ctl.signal.aborted) return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void loop();
    return () => ctl.abort();
  }

  return {
    ApiError,
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
    follow,
    hasToken: () => sessionStorage.getItem(TOKEN_KEY) !== null,
    setToken: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  };
}

export type Api = ReturnType<typeof apiLib>;
