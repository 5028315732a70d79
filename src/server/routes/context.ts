import type { Weft } from '../../engine/weft.js';
import type { ResolvedServerOptions } from '../options.js';
import type { FeedRegistry } from '../run-feed.js';

/** What every route module needs: the engine, the SSE feeds and the server options. */
export interface ApiContext {
  weft: Weft;
  feeds: FeedRegistry;
  opts: ResolvedServerOptions;
  /** Resolves when the server is closing; open SSE streams end then. */
  closing: Promise<void>;
}
