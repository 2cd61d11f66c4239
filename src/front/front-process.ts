// The front as a child of the supervisor: mirrors the membership the supervisor sends over IPC,
// serves the front app, and reports ready with its real port. Its /metrics is the whole cluster's:
// its own metrics plus every worker's, collected by the supervisor.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createClusterScrape } from '../metrics/cluster-scrape.js';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import type { Config } from '../config/settings.js';
import { isSupervisorMessage, type ChildToSupervisor } from '../registry/ipc-messages.js';
import { Membership } from '../registry/membership.js';
import { buildFrontApp } from './build-front-app.js';
import { listenFailure } from '../listen-failure.js';

export interface FrontProcessOptions {
  readonly config: Config;
  readonly secret: string;
  readonly port: number;
  readonly logger: Logger;
  readonly send: (message: ChildToSupervisor) => void;
  readonly onMessage: (listener: (message: unknown) => void) => void;
}

export async function runFrontProcess(options: FrontProcessOptions): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const membership = new Membership();
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'front' });
  const cluster = createClusterScrape({ registry, request: (requestId) => options.send({ sioroute: 1, type: 'metrics-request', requestId }) });
  options.onMessage((message) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === 'membership') membership.replace(message.workers);
    if (message.type === 'metrics-answer') cluster.onAnswer(message);
  });
  const app = await buildFrontApp({
    config: options.config,
    membership,
    secret: options.secret,
    logger: options.logger,
    metrics: { registry, scrape: cluster.text },
  });
  try {
    await app.listen({ host: options.config.host, port: options.port });
  } catch (error) {
    const reason = listenFailure('front', options.config.host, options.port, 'PORT', error);
    options.send({ sioroute: 1, type: 'fatal', reason });
    throw new Error(reason);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.send({ sioroute: 1, type: 'front-ready', port, pid: process.pid });
  return { app, close: () => app.close() };
}
