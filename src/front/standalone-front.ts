// The front as a service of its own (`sioroute front`): membership from Redis (REDIS_URL) or from
// probing a static list of workers (WORKER_URLS), the same app as in the embedded mode.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import type { Config } from '../config/settings.js';
import { listenFailure } from '../listen-failure.js';
import { connectRedis, whenReady } from '../redis/connect-redis.js';
import { Membership } from '../registry/membership.js';
import { probeWorkers } from '../registry/probe-workers.js';
import { watchRedisMembership } from '../registry/redis-membership-watch.js';
import { buildFrontApp } from './build-front-app.js';

export interface StandaloneFrontOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
}

export interface StandaloneFront {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly membership: Membership;
  close(): Promise<void>;
}

export async function runStandaloneFront(options: StandaloneFrontOptions): Promise<StandaloneFront> {
  const { config, logger } = options;
  const membership = new Membership();
  let stopSource: () => Promise<void>;
  if (config.redisUrl) {
    const client = connectRedis({ url: config.redisUrl, logger, purpose: 'membership', failFast: true });
    // Serve once the first read is in; a Redis that is down leaves the set empty (503) until it answers.
    await whenReady(client, 2000);
    const watch = watchRedisMembership({ client, membership, logger });
    await watch.firstRead;
    stopSource = async () => {
      await watch.close();
      client.destroy();
    };
  } else {
    const probes = probeWorkers({ urls: config.workerUrls, membership, logger });
    await probes.firstRound;
    stopSource = async () => probes.close();
  }
  // Its /metrics is its own: each worker serves its own /metrics on its port (scrape them all).
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'front' });
  const app = await buildFrontApp({ config, membership, secret: options.secret, logger, embeddedSlots: false, metrics: { registry } });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await stopSource();
    throw new Error(listenFailure('front', config.host, config.port, 'PORT', error));
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    port,
    membership,
    async close() {
      await app.close();
      await stopSource();
    },
  };
}
