// `sioroute start`: the supervisor in this process; it forks the front and the workers, which run
// this same CLI as children (src/commands/child.ts).
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { redactedConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { CLI_PATH } from '../paths.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { EXIT_FAILURE, fail, loadConfigOrExit, refuseExtraArguments, type RawCommandLine } from './cli-support.js';
import { gracefulStop } from './graceful-stop.js';
import { pidFilePath } from './pid-file.js';

/** Past the drain, how long a stop may take before the supervisor exits anyway. */
const STOP_MARGIN_MS = 8_000;

export async function runStartCommand(raw: RawCommandLine): Promise<void> {
  refuseExtraArguments(raw, 'start');
  const config = loadConfigOrExit(raw, 'start');
  const logger = createLogger(config.logLevel, { role: 'supervisor' });
  logger.info({ config: redactedConfig(config) }, 'starting');
  if (config.redisUrl) logger.warn('REDIS_URL is set, but the embedded mode keeps membership in the supervisor and does not use Redis');
  // A random secret per start is enough when the supervisor hands it to every child it forks.
  const secret = config.routingSecret ?? randomBytes(32).toString('base64url');
  const supervisor = new Supervisor({ config, secret, logger, exec: CLI_PATH });

  // A stop is a drain; a second signal kills every child and exits at once.
  gracefulStop({
    logger,
    delayMs: config.drainSeconds * 1000 + STOP_MARGIN_MS,
    skip: ['SIGHUP'],
    onSecondSignal: () => supervisor.killAll(),
    stop: async () => {
      await supervisor.stop({ drain: true });
      logger.info('stopped');
    },
  });
  process.on('SIGHUP', () => {
    if (supervisor.state !== 'running') return;
    supervisor.rollingRestart().catch((error: unknown) => logger.error({ err: error }, 'rolling restart failed'));
  });

  try {
    const info = await supervisor.start();
    const pidFile = pidFilePath(config.pidFile, info.frontPort);
    writeFileSync(pidFile, `${process.pid}\n`);
    process.on('exit', () => rmSync(pidFile, { force: true }));
    logger.info({ frontUrl: info.frontUrl, frontPort: info.frontPort, workers: info.workers }, `sioroute ready: open ${info.frontUrl}/`);
  } catch (error) {
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
}
