// `sioroute front`: one front as a service of its own, over Redis or a static list of workers.
import { Registry } from 'prom-client';
import { redactedConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import { redisMembership, staticMembership } from '../registry/membership-source.js';
import { startFrontRole } from '../roles/front-role.js';
import { EXIT_FAILURE, fail, loadConfigOrExit, loopbackFor, refuseExtraArguments, type RawCommandLine } from './cli-support.js';
import { gracefulStop } from './graceful-stop.js';
import { tellProcessManager } from './ready-signal.js';

const CLOSE_BOUND_MS = 4000;

export async function runFrontCommand(raw: RawCommandLine): Promise<void> {
  refuseExtraArguments(raw, 'front');
  const config = loadConfigOrExit(raw, 'front');
  const logger = createLogger(config.logLevel, { role: 'front' });
  logger.info({ config: redactedConfig(config) }, 'starting');
  const membership = config.redisUrl ? redisMembership({ url: config.redisUrl, logger }) : staticMembership({ urls: config.workerUrls, logger });
  // Its /metrics is its own: each worker serves its own /metrics on its port (scrape them all).
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'front' });
  let front: Awaited<ReturnType<typeof startFrontRole>>;
  try {
    front = await startFrontRole({ config, secret: config.routingSecret!, logger, membership, port: config.port, metrics: { registry } });
  } catch (error) {
    await membership.close();
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
  gracefulStop({ logger, delayMs: CLOSE_BOUND_MS, stop: () => front.close() });
  const frontUrl = `http://${loopbackFor(config.host)}:${front.port}`;
  logger.info({ frontUrl, frontPort: front.port, workers: membership.membership.list().map((w) => w.id) }, `sioroute front ready: open ${frontUrl}/`);
  tellProcessManager();
}
