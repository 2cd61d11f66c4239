// A worker as a service of its own (`sioroute worker`): no supervisor. It registers in Redis when
// REDIS_URL is set (fronts watch that) and answers /healthz with its record either way (fronts
// with WORKER_URLS probe that); broadcasts cross workers through the Redis streams adapter.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import type { Config } from '../config/settings.js';
import { listenFailure } from '../listen-failure.js';
import { connectRedis, whenReady, type RedisClient } from '../redis/connect-redis.js';
import { registerWorker, type RedisRegistration } from '../registry/redis-registration.js';
import type { WorkerRecord } from '../registry/worker-record.js';
import { bindWorkerTemplate } from '../routing/worker-address.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { loadHandlers } from './worker-process.js';

/** The id a worker gets when WORKER_ID is unset: stable across restarts, distinct across machines. */
export function defaultWorkerId(index: number, machine = hostname()): string {
  const label = machine.split('.')[0]!.replace(/[^A-Za-z0-9-]/g, '').slice(0, 48) || 'host';
  return `${label}-w${index}`;
}

export interface StandaloneWorkerOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  readonly id: string;
  readonly index: number;
}

export interface StandaloneWorker {
  readonly server: WorkerServer;
  readonly port: number;
  readonly record: () => WorkerRecord;
  /** Out of routing at once, clients moved over DRAIN_SECONDS, then closed and unregistered. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function runStandaloneWorker(options: StandaloneWorkerOptions): Promise<StandaloneWorker> {
  const { config, logger, id, index } = options;
  const register = await loadHandlers(config.handlers);
  const redisUrl = config.redisUrl;
  // The adapter's client queues commands while Redis is away (broadcasts go out when it is back);
  // the membership client fails fast (the next heartbeat retries).
  const adapterClient: RedisClient | undefined = redisUrl ? connectRedis({ url: redisUrl, logger, purpose: 'adapter' }) : undefined;
  const membershipClient: RedisClient | undefined = redisUrl ? connectRedis({ url: redisUrl, logger, purpose: 'membership', failFast: true }) : undefined;
  const instance = randomBytes(8).toString('hex');
  const startedAt = Date.now();
  let draining = false;
  let publicUrl = '';
  let port = config.workerBasePort === 0 ? 0 : config.workerBasePort + index;

  const metricsRegistry = new Registry();
  collectProcessMetrics(metricsRegistry, { role: 'worker', worker: id });
  const record = (): WorkerRecord => ({
    id, index, port, publicUrl, weight: config.workerWeight, state: draining ? 'draining' : 'ready',
    clients: server.clientCount(), pid: process.pid, startedAt, instance,
  });
  const server = createWorkerServer({
    workerId: id,
    index,
    host: config.host,
    port,
    secret: options.secret,
    allowedOrigins: config.allowedOrigins,
    // Pages served by a front on this host at PORT may connect; other fronts' origins go in ALLOWED_ORIGINS.
    frontPort: config.port,
    logger,
    register,
    record,
    metricsRegistry,
    metricsFrom: config.metricsFrom,
    ...(adapterClient ? { adapter: createAdapter(adapterClient) } : {}),
  });
  const disconnectRedis = () => {
    for (const client of [adapterClient, membershipClient]) if (client?.isOpen) client.destroy();
  };
  try {
    port = await server.start();
  } catch (error) {
    disconnectRedis();
    const setting = config.workerBasePort === 0 ? 'WORKER_BASE_PORT=0' : `WORKER_BASE_PORT=${config.workerBasePort} + WORKER_INDEX=${index}`;
    throw new Error(listenFailure(`worker ${id}`, config.host, port, setting, error));
  }
  publicUrl = bindWorkerTemplate(config.workerPublicUrl, { id, index, port });

  let registration: RedisRegistration | undefined;
  if (membershipClient) {
    try {
      await whenReady(membershipClient, 2000);
      registration = await registerWorker({ client: membershipClient, logger, record });
    } catch (error) {
      await server.close();
      disconnectRedis();
      throw error;
    }
  }

  let leaving: Promise<void> | undefined;
  const finish = async (how: 'drain' | 'close') => {
    draining = true;
    if (how === 'drain') {
      // Out of routing first (fronts hear it at once), then move the clients.
      await registration?.announce();
      await server.drain(config.drainSeconds * 1000);
    }
    await registration?.leave();
    await server.close();
    disconnectRedis();
  };
  return {
    server,
    port,
    record,
    drain: () => (leaving ??= finish('drain')),
    close: () => (leaving ??= finish('close')),
  };
}
