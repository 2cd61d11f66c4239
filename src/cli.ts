#!/usr/bin/env node
// The command line, and the only place that reads process.env, installs signal handlers and exits.
//   sioroute [start] [--flag value ...]    supervisor + front + workers on this machine
// Children forked by the supervisor run this same file with SIOROUTE_ROLE set.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, readRawSettings, redactedConfig } from './config/load-config.js';
import { SETTINGS, type Config } from './config/settings.js';
import { runFrontProcess } from './front/front-process.js';
import { createLogger } from './logger.js';
import { CLI_PATH } from './paths.js';
import { isSupervisorMessage, type ChildToSupervisor } from './registry/ipc-messages.js';
import { CHILD_ENV } from './supervisor/child-env.js';
import { Supervisor } from './supervisor/supervisor.js';
import { runWorkerProcess } from './worker/worker-process.js';

const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;
const CHILD_CLOSE_TIMEOUT_MS = 4000;

function usage(): string {
  const rows = SETTINGS.map((s) => `  ${`${s.flag} <value>`.padEnd(34)} ${s.env.padEnd(22)} ${s.description} (default: ${s.defaultText})`);
  return [
    'Usage: sioroute [start] [options]',
    '',
    'Starts a supervisor, one front (the page and GET /ws-endpoint) and N socket.io workers on this',
    'machine. Every option is also an environment variable; options win over the environment.',
    '',
    ...rows,
    '',
    '  --help                             this text',
  ].join('\n');
}

function fail(code: number, lines: string): never {
  for (const line of lines.split('\n')) process.stderr.write(`sioroute: ${line}\n`);
  process.exit(code);
}

async function runPrimary(): Promise<void> {
  const raw = readRawSettings(process.env, process.argv.slice(2));
  const rest = raw.rest.filter((arg) => arg !== 'start');
  if (rest.includes('--help') || rest.includes('-h') || rest.includes('help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const unknown = rest.find(() => true);
  if (unknown !== undefined) {
    fail(EXIT_CONFIG, unknown.startsWith('-') ? `unknown option ${unknown} (see sioroute --help)` : `unknown command ${JSON.stringify(unknown)}: expected start (see sioroute --help)`);
  }
  let config: Config;
  try {
    config = loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) fail(EXIT_CONFIG, error.message);
    throw error;
  }
  const logger = createLogger(config.logLevel, { role: 'supervisor' });
  logger.info({ config: redactedConfig(config) }, 'starting');
  if (config.redisUrl) logger.warn('REDIS_URL is set, but the embedded mode keeps membership in the supervisor and does not use Redis');
  // A random secret per start is enough when the supervisor hands it to every child it forks.
  const secret = config.routingSecret ?? randomBytes(32).toString('base64url');
  const supervisor = new Supervisor({ config, secret, logger, exec: CLI_PATH });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    supervisor.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    const info = await supervisor.start();
    logger.info({ frontUrl: info.frontUrl, frontPort: info.frontPort, workers: info.workers }, `sioroute ready: open ${info.frontUrl}/`);
  } catch (error) {
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
}

async function runChild(): Promise<void> {
  const role = process.env[CHILD_ENV.role];
  const index = Number(process.env[CHILD_ENV.index] ?? '0');
  const config = JSON.parse(process.env[CHILD_ENV.config] ?? '{}') as Config;
  const secret = process.env[CHILD_ENV.secret] ?? '';
  // Nothing below needs these any more; keep the secret out of anything that dumps the environment.
  delete process.env[CHILD_ENV.secret];
  const frontPortText = process.env[CHILD_ENV.frontPort];
  const frontPort = frontPortText === undefined ? undefined : Number(frontPortText);
  const logger = createLogger(config.logLevel, role === 'worker' ? { role, workerId: `w${index}` } : { role });
  const send = (message: ChildToSupervisor) => {
    if (process.connected) process.send?.(message);
  };

  let close: () => Promise<void> = async () => {};
  let closing = false;
  const exitCleanly = () => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(0), CHILD_CLOSE_TIMEOUT_MS);
    timer.unref();
    close().finally(() => process.exit(0));
  };
  process.on('message', (message: unknown) => {
    if (isSupervisorMessage(message) && message.type === 'shutdown') exitCleanly();
  });
  process.on('SIGTERM', exitCleanly);
  // Ctrl-C reaches the whole process group: the supervisor orders the shutdown, children wait for it.
  process.on('SIGINT', () => {});
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting (the supervisor respawns this process)');
    process.exit(EXIT_FAILURE);
  });

  try {
    if (role === 'front') {
      const front = await runFrontProcess({
        config,
        secret,
        port: frontPort ?? config.port,
        logger,
        send,
        onMessage: (listener) => process.on('message', listener),
      });
      close = front.close;
    } else if (role === 'worker') {
      const worker = await runWorkerProcess({ config, secret, index, frontPort, logger, send });
      close = worker.close;
    } else {
      throw new Error(`unknown role ${String(role)}`);
    }
  } catch (error) {
    logger.error({ err: error }, 'start failed');
    process.exit(EXIT_FAILURE);
  }
}

if (cluster.isPrimary) {
  await runPrimary();
} else {
  await runChild();
}
