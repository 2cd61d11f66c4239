// The worker's own HTTP routes beside socket.io: /healthz (with the record fronts probe),
// /livez, /readyz (503 while draining) and /metrics (METRICS_FROM peers only).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createScrapeAccess, METRICS_FORBIDDEN_MESSAGE } from '../metrics/scrape-access.js';
import type { WorkerRecord } from '../registry/worker-record.js';

export interface WorkerRoutesOptions {
  readonly workerId: string;
  readonly clients: () => number;
  readonly draining: () => boolean;
  readonly record: () => WorkerRecord | undefined;
  readonly registry: Registry;
  readonly metricsFrom: readonly string[];
  readonly logger: Logger;
}

export const WORKER_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz', '/metrics']);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { statusCode: status, code, error: code, message });
}

/** Answers one of WORKER_ROUTES; the caller checked the path. */
export function createWorkerRoutes(options: WorkerRoutesOptions): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const scrapeAllowed = createScrapeAccess(options.metricsFrom);
  return (req, res, path) => {
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok', workerId: options.workerId, clients: options.clients(), worker: options.record() });
    } else if (path === '/livez') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const draining = options.draining();
      sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ready', workerId: options.workerId });
    } else if (!scrapeAllowed(req.socket.remoteAddress)) {
      // The TCP peer, not X-Forwarded-For: the worker's port is public.
      sendError(res, 403, 'METRICS_FORBIDDEN', METRICS_FORBIDDEN_MESSAGE);
    } else {
      options.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        (error: unknown) => {
          options.logger.error({ err: error }, 'metrics failed');
          sendError(res, 500, 'INTERNAL_ERROR', 'internal error');
        },
      );
    }
  };
}
