// GET /metrics: Prometheus text for METRICS_FROM peers only, checked against the TCP peer.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createScrapeAccess } from '../metrics/scrape-access.js';
import { FrontError } from './errors.js';
import { UNGUARDED } from './load-guard.js';

export function registerMetricsRoute(app: FastifyInstance, options: { registry: Registry; scrape: () => Promise<string>; metricsFrom: readonly string[] }): void {
  const scrapeAllowed = createScrapeAccess(options.metricsFrom);
  app.get('/metrics', UNGUARDED, async (request, reply) => {
    // The TCP peer, not request.ip: X-Forwarded-For is written by whoever sends the request.
    if (!scrapeAllowed(request.socket.remoteAddress)) throw new FrontError('METRICS_FORBIDDEN');
    reply.header('cache-control', 'no-store');
    let text: string;
    try {
      text = await options.scrape();
    } catch (error) {
      request.log.warn({ err: error }, 'metrics could not be collected');
      reply.header('retry-after', '1');
      throw new FrontError('METRICS_UNAVAILABLE');
    }
    return reply.type(options.registry.contentType).send(text);
  });
}
