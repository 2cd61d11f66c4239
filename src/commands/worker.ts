// `sioroute worker`: one worker as a service of its own; it registers in Redis when REDIS_URL is
// set and broadcasts through the Redis streams adapter. SIGTERM or SIGINT drains it.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Registry } from 'prom-client';
import { formatIssue, redactedConfig } from '../config/load-config.js';
import { defaultWorkerId, workerIndexFrom } from '../config/command-settings.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import { connectRedis } from '../redis/connect-redis.js';
import { startWorkerRole } from '../roles/worker-role.js';
import { redisRegistration } from '../worker/worker-registration.js';
import { EXIT_CONFIG, EXIT_FAILURE, fail, loadConfigOrExit, refuseExtraArguments, type RawCommandLine } from './cli-support.js';
import { gracefulStop } from './graceful-stop.js';
import { tellProcessManager } from './ready-signal.js';

const CLOSE_BOUND_MS = 4000;

export async function runWorkerCommand(raw: RawCommandLine): Promise<void> {
  refuseExtraArguments(raw, 'worker');
  const config = loadConfigOrExit(raw, 'worker');
  const index = workerIndexFrom(config, process.env);
  if (typeof index !== 'number') fail(EXIT_CONFIG, formatIssue(index));
  if (config.workerBasePort !== 0 && config.workerBasePort + index > 65535) {
    fail(EXIT_CONFIG, formatIssue({ setting: 'WORKER_INDEX', shown: String(index), expected: `expected WORKER_BASE_PORT + WORKER_INDEX <= 65535 (WORKER_BASE_PORT is ${config.workerBasePort})` }));
  }
  const id = config.workerId ?? defaultWorkerId(index);
  const logger = createLogger(config.logLevel, { role: 'worker', workerId: id });
  logger.info({ config: redactedConfig(config) }, 'starting');
  if (!config.redisUrl) logger.warn('REDIS_URL is unset: this worker registers nowhere (list it in the front\'s WORKER_URLS) and broadcasts stay within it');
  // The adapter's client queues commands while Redis is away (broadcasts go out when it is back).
  const adapterClient = config.redisUrl ? connectRedis({ url: config.redisUrl, logger, purpose: 'adapter' }) : undefined;
  const metricsRegistry = new Registry();
  collectProcessMetrics(metricsRegistry, { role: 'worker', worker: id });
  let worker: Awaited<ReturnType<typeof startWorkerRole>>;
  try {
    worker = await startWorkerRole({
      config, secret: config.routingSecret!, logger, id, index,
      port: config.workerBasePort === 0 ? 0 : config.workerBasePort + index,
      portSetting: config.workerBasePort === 0 ? 'WORKER_BASE_PORT=0' : `WORKER_BASE_PORT=${config.workerBasePort} + WORKER_INDEX=${index}`,
      // Pages served by a front on this host at PORT may connect; other fronts' origins go in ALLOWED_ORIGINS.
      frontPort: config.port === 0 ? undefined : config.port,
      registration: config.redisUrl ? redisRegistration({ url: config.redisUrl }) : undefined,
      adapter: adapterClient ? createAdapter(adapterClient) : undefined,
      metricsRegistry,
    });
  } catch (error) {
    if (adapterClient?.isOpen) adapterClient.destroy();
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
  gracefulStop({
    logger,
    delayMs: config.drainSeconds * 1000 + CLOSE_BOUND_MS,
    stop: async () => {
      await worker.drain(config.drainSeconds * 1000);
      if (adapterClient?.isOpen) adapterClient.destroy();
    },
  });
  const record = worker.handle.record();
  logger.info({ workerId: id, index, port: record?.port, publicUrl: record?.publicUrl, weight: config.workerWeight }, 'sioroute worker ready');
  tellProcessManager();
}
