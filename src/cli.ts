#!/usr/bin/env node
// The command line, and the only place that reads process.env, installs signal handlers and exits.
//   sioroute [start] [--flag value ...]    supervisor + front + workers on this machine
//   sioroute front | worker [...]          one front or one worker as a service of its own
//   sioroute nginx-config [--listen 8088]   print the nginx configuration for one public port
// Children forked by the supervisor run this same file with SIOROUTE_ROLE set.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatIssue, loadConfig, readRawSettings, redactedConfig } from './config/load-config.js';
import { SETTINGS, type Config } from './config/settings.js';
import { commandIssues, workerIndexFrom, type Command } from './config/command-settings.js';
import { runStandaloneFront } from './front/standalone-front.js';
import { defaultWorkerId, runStandaloneWorker } from './worker/standalone-worker.js';
import { checkNginxListen, DEFAULT_NGINX_LISTEN, renderNginxConfig } from './deploy/nginx-config.js';
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
  const rows = SETTINGS.map((s) => {
    const flag = 'isSwitch' in s && s.isSwitch ? s.flag : `${s.flag} <value>`;
    return `  ${flag.padEnd(34)} ${s.env.padEnd(22)} ${s.description} (default: ${s.defaultText})`;
  });
  return [
    'Usage: sioroute [start] [options]     run the supervisor, the front and the workers',
    '       sioroute restart [--port N]    rolling restart of the workers of a running sioroute',
    '       sioroute front [options]       one front as a service of its own (needs ROUTING_SECRET and REDIS_URL or WORKER_URLS)',
    '       sioroute worker [options]      one worker as a service of its own (needs ROUTING_SECRET; REDIS_URL to register and broadcast)',
    `       sioroute nginx-config [--listen ${DEFAULT_NGINX_LISTEN}] [options]`,
    '                                      print an nginx configuration for one public port: / to the',
    '                                      front, /w/N/ to worker N (from HOST, PORT, WORKERS and',
    '                                      WORKER_BASE_PORT); --listen is a port or address:port',
    '',
    'Starts a supervisor, one front (the page and GET /ws-endpoint) and N socket.io workers on this',
    'machine. Every option is also an environment variable; options win over the environment.',
    'With --single-port, everything is served on PORT alone: the supervisor hands each connection to',
    'the worker its client address hashes to, and the workers serve the front\'s routes too.',
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
function loadConfigOrExit(raw: ReturnType<typeof readRawSettings>, command?: Command): Config {
  try {
    const config = loadConfig(raw);
    const issues = command ? commandIssues(command, config, raw.sources) : [];
    if (issues.length > 0) throw new ConfigError(issues);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) fail(EXIT_CONFIG, error.message);
    throw error;
  }
}

function refuseExtraArguments(rest: readonly string[], command: string): void {
  const unknown = rest[0];
  if (unknown !== undefined) fail(EXIT_CONFIG, `unknown option ${unknown} for ${command} (see sioroute --help)`);
}

/** SIGTERM/SIGINT run `leave` once (a second signal exits at once); exit 0 when it is done, bounded. */
function exitAfter(leave: () => Promise<void>, boundMs: number, logger: ReturnType<typeof createLogger>): void {
  let leaving = false;
  const onSignal = (signal: string) => {
    if (leaving) process.exit(EXIT_FAILURE);
    leaving = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => process.exit(0), boundMs).unref();
    leave().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/** `sioroute front`: membership from Redis or WORKER_URLS, no supervisor. */
async function runFrontCommand(raw: ReturnType<typeof readRawSettings>): Promise<void> {
  refuseExtraArguments(raw.rest.slice(1), 'front');
  const config = loadConfigOrExit(raw, 'front');
  const logger = createLogger(config.logLevel, { role: 'front' });
  logger.info({ config: redactedConfig(config) }, 'starting');
  let front: Awaited<ReturnType<typeof runStandaloneFront>>;
  try {
    front = await runStandaloneFront({ config, secret: config.routingSecret!, logger });
  } catch (error) {
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
  exitAfter(() => front.close(), CHILD_CLOSE_TIMEOUT_MS, logger);
  const frontUrl = `http://${loopbackFor(config.host)}:${front.port}`;
  logger.info({ frontUrl, frontPort: front.port, workers: front.membership.list().map((w) => w.id) }, `sioroute front ready: open ${frontUrl}/`);
}

/** `sioroute worker`: one worker; SIGTERM or SIGINT drains it (a second signal exits at once). */
async function runWorkerCommand(raw: ReturnType<typeof readRawSettings>): Promise<void> {
  refuseExtraArguments(raw.rest.slice(1), 'worker');
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
  let worker: Awaited<ReturnType<typeof runStandaloneWorker>>;
  try {
    worker = await runStandaloneWorker({ config, secret: config.routingSecret!, logger, id, index });
  } catch (error) {
    fail(EXIT_FAILURE, `cannot start: ${(error as Error).message}`);
  }
  exitAfter(() => worker.drain(), config.drainSeconds * 1000 + CHILD_CLOSE_TIMEOUT_MS, logger);
  logger.info({ workerId: id, index, port: worker.port, publicUrl: worker.record().publicUrl, weight: config.workerWeight }, 'sioroute worker ready');
}

async function runPrimary(): Promise<void> {
  const raw = readRawSettings(process.env, process.argv.slice(2));
  if (raw.rest[0] === 'restart') return runRestartCommand(raw);
  if (raw.rest[0] === 'front') return runFrontCommand(raw);
  if (raw.rest[0] === 'worker') return runWorkerCommand(raw);
  if (raw.rest[0] === 'nginx-config') return runNginxConfigCommand(raw);
  const rest = raw.rest.filter((arg) => arg !== 'start');
  if (rest.includes('--help') || rest.includes('-h') || rest.includes('help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const unknown = rest.find(() => true);
  if (unknown !== undefined) {
    fail(EXIT_CONFIG, unknown.startsWith('-') ? `unknown option ${unknown} (see sioroute --help)` : `unknown command ${JSON.stringify(unknown)}: expected start, front, worker, restart or nginx-config (see sioroute --help)`);
  }
  const config = loadConfigOrExit(raw, 'start');
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

/** `sioroute nginx-config`: print the configuration for these settings; the worker ports must be fixed. */
function runNginxConfigCommand(raw: ReturnType<typeof readRawSettings>): void {
  let listen = DEFAULT_NGINX_LISTEN;
  const args = raw.rest.slice(1);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--listen' || arg.startsWith('--listen=')) {
      const value = arg === '--listen' ? args[++i] : arg.slice('--listen='.length);
      const problem = value === undefined ? 'expected a value after --listen' : checkNginxListen(value);
      if (problem) fail(EXIT_CONFIG, `invalid option --listen=${JSON.stringify(value ?? '')}: ${problem}`);
      listen = value!;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage()}\n`);
      return;
    } else {
      fail(EXIT_CONFIG, `unknown option ${arg} for nginx-config (see sioroute --help)`);
    }
  }
  const config = loadConfigOrExit(raw);
  // nginx cannot ask sioroute where a port-0 process landed: both must be fixed.
  for (const [env, value] of [['PORT', config.port], ['WORKER_BASE_PORT', config.workerBasePort]] as const) {
    if (value === 0) fail(EXIT_CONFIG, `invalid setting ${raw.sources[env] ?? env}="0": expected a fixed port for nginx-config (nginx cannot follow a port picked at start)`);
  }
  process.stdout.write(
    renderNginxConfig({ listen, upstreamHost: loopbackFor(config.host), frontPort: config.port, workerBasePort: config.workerBasePort, workers: config.workers }),
  );
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
