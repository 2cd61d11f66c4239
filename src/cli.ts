#!/usr/bin/env node
// The command line, and the only place that reads process.env, installs signal handlers and exits.
//   sioroute [start] [--flag value ...]    supervisor + front + workers on this machine
// Children forked by the supervisor run this same file with SIOROUTE_ROLE set.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Where a running supervisor leaves its pid, so `sioroute restart` can find it by front port. */
function pidFilePath(port: number): string {
  return join(tmpdir(), `sioroute-${port}.pid`);
}

function loopbackFor(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}

function usage(): string {
  const rows = SETTINGS.map((s) => `  ${`${s.flag} <value>`.padEnd(34)} ${s.env.padEnd(22)} ${s.description} (default: ${s.defaultText})`);
  return [
    'Usage: sioroute [start] [options]     run the supervisor, the front and the workers',
    '       sioroute restart [--port N]    rolling restart of the workers of a running sioroute',
    '',
    'Starts a supervisor, one front (the page and GET /ws-endpoint) and N socket.io workers on this',
    'machine. Every option is also an environment variable; options win over the environment.',
    'SIGHUP to the supervisor restarts the workers one by one, draining each; SIGTERM to one worker',
    'drains and replaces that worker; SIGTERM or SIGINT to the supervisor stops everything.',
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

/** Settings, or exit 2 with one line per bad setting. */
function loadConfigOrExit(raw: ReturnType<typeof readRawSettings>): Config {
  try {
    return loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) fail(EXIT_CONFIG, error.message);
    throw error;
  }
}

async function runPrimary(): Promise<void> {
  const raw = readRawSettings(process.env, process.argv.slice(2));
  if (raw.rest[0] === 'restart') return runRestartCommand(raw);
  const rest = raw.rest.filter((arg) => arg !== 'start');
  if (rest.includes('--help') || rest.includes('-h') || rest.includes('help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const unknown = rest.find(() => true);
  if (unknown !== undefined) {
    fail(EXIT_CONFIG, unknown.startsWith('-') ? `unknown option ${unknown} (see sioroute --help)` : `unknown command ${JSON.stringify(unknown)}: expected start (see sioroute --help)`);
  }
  const config = loadConfigOrExit(raw);
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
  process.on('SIGHUP', () => {
    if (supervisor.state !== 'running') return;
    supervisor.rollingRestart().catch((error: unknown) => logger.error({ err: error }, 'rolling restart failed'));
  });

  try {
    const info = await supervisor.start();
    const pidFile = pidFilePath(info.frontPort);
    writeFileSync(pidFile, `${process.pid}\n`);
    process.on('exit', () => rmSync(pidFile, { force: true }));
    logger.info({ frontUrl: info.frontUrl, frontPort: info.frontPort, workers: info.workers }, `sioroute ready: open ${info.frontUrl}/`);
  } catch (error) {
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
}

interface StatusList {
  list: { id: string; pid: number; state: string }[];
}

/** `sioroute restart`: SIGHUP to the running supervisor, then follow /status.json until every worker is replaced. */
async function runRestartCommand(raw: ReturnType<typeof readRawSettings>): Promise<void> {
  const unknown = raw.rest.slice(1)[0];
  if (unknown !== undefined) fail(EXIT_CONFIG, `unknown option ${unknown} for restart (see sioroute --help)`);
  const config = loadConfigOrExit(raw);
  const pidFile = pidFilePath(config.port);
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    fail(EXIT_FAILURE, `no running sioroute found for PORT=${config.port} (no ${pidFile})`);
  }
  const statusUrl = `http://${loopbackFor(config.host)}:${config.port}/status.json`;
  const status = async (): Promise<StatusList> => (await (await fetch(statusUrl, { signal: AbortSignal.timeout(5000) })).json()) as StatusList;
  const before = await status().catch((error: unknown) => fail(EXIT_FAILURE, `cannot read ${statusUrl}: ${(error as Error).message}`));
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    fail(EXIT_FAILURE, `cannot signal the supervisor (pid ${pid} from ${pidFile}): ${(error as Error).message}`);
  }
  process.stdout.write(`sioroute: rolling restart of ${before.list.length} workers (pid ${pid})\n`);
  const deadline = Date.now() + before.list.length * (config.drainSeconds + 30) * 1000;
  const done = new Set<string>();
  while (done.size < before.list.length) {
    if (Date.now() > deadline) fail(EXIT_FAILURE, `restart not finished in time; replaced so far: ${[...done].join(', ') || 'none'}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await status().catch(() => undefined);
    for (const old of before.list) {
      const current = now?.list.find((w) => w.id === old.id);
      if (!done.has(old.id) && current && current.pid !== old.pid && current.state === 'ready') {
        done.add(old.id);
        process.stdout.write(`sioroute: ${old.id} replaced (pid ${old.pid} -> ${current.pid})\n`);
      }
    }
  }
  // The replaced processes finish moving their clients before the restart is done.
  const stillDraining = () => before.list.filter((w) => isAlive(w.pid));
  while (stillDraining().length > 0) {
    if (Date.now() > deadline) fail(EXIT_FAILURE, `restart not finished in time; still draining: ${stillDraining().map((w) => w.id).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  process.stdout.write('sioroute: rolling restart done\n');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  // Workers drain (move their clients away first); the front just closes.
  let drain: (() => Promise<void>) | undefined;
  let leaving: 'drain' | 'close' | undefined;
  const leave = (how: 'drain' | 'close') => {
    // A shutdown may cut a drain short; nothing else runs twice.
    if (leaving === 'close' || (leaving === 'drain' && how === 'drain')) return;
    leaving = how;
    const run = how === 'drain' && drain ? drain : close;
    const bound = how === 'drain' && drain ? config.drainSeconds * 1000 + CHILD_CLOSE_TIMEOUT_MS : CHILD_CLOSE_TIMEOUT_MS;
    const timer = setTimeout(() => process.exit(0), bound);
    timer.unref();
    run().finally(() => process.exit(0));
  };
  process.on('message', (message: unknown) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === 'shutdown') leave('close');
    if (message.type === 'drain') leave('drain');
  });
  // SIGTERM to one worker is a graceful restart of that worker: drain, and the supervisor replaces it.
  process.on('SIGTERM', () => leave('drain'));
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
      const worker = await runWorkerProcess({ config, secret, index, frontPort, logger, send, onMessage: (listener) => process.on('message', listener) });
      close = worker.close;
      drain = worker.drain;
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
