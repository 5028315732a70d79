import { serve as nodeServe } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Weft } from '../engine/weft.js';
import { createApp } from './app.js';
import type { ServerOptions } from './options.js';

export interface WeftServer {
  /** Base address, e.g. http://127.0.0.1:4700 (the dashboard is at `${url}/`, the API at `${url}/api`). */
  url: string;
  host: string;
  port: number;
  /** Stops listening and ends open connections. The engine keeps running; stop it with `weft.stop()`. */
  close(): Promise<void>;
}

/**
 * Starts the engine (if needed) and serves the HTTP API and dashboard on `host:port`.
 * Binds 127.0.0.1 by default and refuses any other address unless a token is set.
 */
export async function serve(weft: Weft, options: ServerOptions = {}): Promise<WeftServer> {
  const { app, options: opts, close: closeApp } = createApp(weft, options);
  await weft.start();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = nodeServe({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    host: opts.host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closeApp();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Same as `serve`: creates the server and listens. */
export const createServer = serve;
