// Single-port mode, in each worker: the front's routes (page, /ws-endpoint, /status, /healthz,
// static files) served by the worker that received the connection, because the primary cannot
// split a connection by path without reading it. The routing answers come from a mirror of the
// supervisor's membership keyed as the primary keys connections (the TCP peer address), so every
// worker hands out the worker the primary will pick.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { buildFrontApp, type FrontMetricsOptions } from '../front/build-front-app.js';
import type { MembershipSource } from '../registry/membership-source.js';

export interface WorkerFront {
  /** Serve one request that is not socket.io's. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export async function buildWorkerFront(options: { config: Config; secret: string; logger: Logger; membership: MembershipSource; metrics?: FrontMetricsOptions }): Promise<WorkerFront> {
  const app = await buildFrontApp({
    config: options.config,
    membership: options.membership,
    secret: options.secret,
    logger: options.logger.child({ part: 'front' }),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    // A worker's loop is busy with socket.io by design, and is busiest just after it starts: its
    // utilisation is no reason to refuse the page. A loop that falls behind still is.
    loadGuard: { maxEventLoopUtilization: 0 },
  });
  // The app never listens: its router is called from the worker's own HTTP server.
  await app.ready();
  return {
    handle: (req, res) => app.routing(req, res),
    close: () => app.close(),
  };
}
