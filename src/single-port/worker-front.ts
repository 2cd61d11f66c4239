// Single-port mode, in each worker: the front's routes (page, /ws-endpoint, /status, /healthz,
// static files) served by the worker that received the connection, because the primary cannot
// split a connection by path without reading it. The routing answers come from a mirror of the
// supervisor's membership and the same key the primary uses (the TCP peer address), so every
// worker hands out the worker the primary will pick.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { buildFrontApp, type FrontMetricsOptions } from '../front/build-front-app.js';
import { Membership } from '../registry/membership.js';

export interface WorkerFront {
  /** Mirror of the supervisor's membership: replace it with every snapshot received. */
  readonly membership: Membership;
  /** Serve one request that is not socket.io's. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export async function buildWorkerFront(options: { config: Config; secret: string; logger: Logger; metrics?: FrontMetricsOptions }): Promise<WorkerFront> {
  const membership = new Membership();
  const app = await buildFrontApp({
    config: options.config,
    membership,
    secret: options.secret,
    logger: options.logger.child({ part: 'front' }),
    answerPrimaryPick: true,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    // A worker's loop is busy with socket.io by design, and is busiest just after it starts: its
    // utilisation is no reason to refuse the page. A loop that falls behind still is.
    loadGuard: { maxEventLoopUtilization: 0 },
  });
  // The app never listens: its router is called from the worker's own HTTP server.
  await app.ready();
  return {
    membership,
    handle: (req, res) => app.routing(req, res),
    close: () => app.close(),
  };
}
