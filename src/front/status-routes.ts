// What the front tells people and platforms about the cluster: the /status page and its JSON,
// and the probes (/healthz, /livez, /readyz).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createScrapeAccess } from '../metrics/scrape-access.js';
import { FrontError } from './errors.js';
import type { FrontMetrics } from '../metrics/front-metrics.js';
import type { Membership } from '../registry/membership.js';
import { chartLayout, STATE_COLOURS } from '../client/status-chart.js';
import { UNGUARDED } from './load-guard.js';
import { healthOf, statusOf } from './status.js';

export function registerProbeRoutes(app: FastifyInstance, membership: Membership): void {
  // The cluster's health: 503 when no worker is ready.
  app.get('/healthz', UNGUARDED, async (_request, reply) => {
    const health = healthOf(membership.list());
    reply.header('cache-control', 'no-store');
    return reply.code(health.status === 'down' ? 503 : 200).send(health);
  });
  // Liveness: this process answers, whatever the workers do (a worker outage must not restart fronts).
  app.get('/livez', UNGUARDED, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  // Readiness: this front can route someone.
  app.get('/readyz', UNGUARDED, async (_request, reply) => {
    const health = healthOf(membership.list());
    reply.header('cache-control', 'no-store');
    const ready = health.workers.healthy > 0;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', workers: health.workers });
  });
}

export function registerStatusRoutes(app: FastifyInstance, membership: Membership, metrics: FrontMetrics, options: { now: () => number; statusFrom: readonly string[] }): void {
  const currentStatus = async () => statusOf(membership.list(), options.now(), await metrics.answersByWorker());
  const allowed = createScrapeAccess(options.statusFrom);
  // Pids, ports and client counts: for the peers listed in STATUS_FROM (the TCP peer, never X-Forwarded-For).
  const guard = { onRequest: (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void) => done(allowed(request.socket.remoteAddress) ? undefined : new FrontError('STATUS_FORBIDDEN')) };
  app.get('/status.json', guard, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return currentStatus();
  });
  app.get('/status', guard, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const status = await currentStatus();
    return reply.viewAsync('status.eta', { status, chart: chartLayout(status.list), colours: STATE_COLOURS });
  });
}
