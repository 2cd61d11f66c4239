// A child of the embedded supervisor (this CLI, forked with SIOROUTE_ROLE set): the front or one
// worker, its membership and registration over IPC. It stops when the supervisor says so: a
// `drain` (rolling restart) or a `shutdown`; SIGTERM to one worker drains it alone.
import { Socket } from 'node:net';
import { createAdapter } from '@socket.io/cluster-adapter';
import { createRecoveringClusterAdapter } from '../worker/recovering-cluster-adapter.js';
import { Registry } from 'prom-client';
import type { Config } from '../config/settings.js';
import { clientErrorHandler } from '../front/build-front-app.js';
import { createLogger } from '../logger.js';
import { createClusterScrape } from '../metrics/cluster-scrape.js';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import { startFrontRole } from '../roles/front-role.js';
import { startWorkerRole } from '../roles/worker-role.js';
import { buildWorkerFront } from '../single-port/worker-front.js';
import { CHILD_ENV } from '../supervisor/child-env.js';
import { processChannel, type ChildChannel } from '../supervisor/child-channel.js';
import { supervisedMembership, supervisedRegistration } from '../supervisor/supervised.js';
import { gracefulStop } from './graceful-stop.js';

const CLOSE_BOUND_MS = 4000;

interface ChildSetup {
  readonly config: Config;
  readonly secret: string;
  readonly index: number;
  readonly frontPort: number | undefined;
  readonly channel: ChildChannel;
  readonly logger: ReturnType<typeof createLogger>;
}

function readSetup(): ChildSetup {
  const index = Number(process.env[CHILD_ENV.index] ?? '0');
  const config = JSON.parse(process.env[CHILD_ENV.config] ?? '{}') as Config;
  const secret = process.env[CHILD_ENV.secret] ?? '';
  // Nothing below needs it any more; keep the secret out of anything that dumps the environment.
  delete process.env[CHILD_ENV.secret];
  const frontPortText = process.env[CHILD_ENV.frontPort];
  const role = process.env[CHILD_ENV.role];
  const logger = createLogger(config.logLevel, role === 'worker' ? { role, workerId: `w${index}` } : { role });
  return { config, secret, index, frontPort: frontPortText === undefined ? undefined : Number(frontPortText), channel: processChannel(), logger };
}

/** Metrics of the whole cluster, collected by the supervisor, for whoever serves the public /metrics. */
function clusterMetrics(setup: ChildSetup, registry: Registry) {
  const cluster = createClusterScrape({ registry, request: (requestId) => setup.channel.send({ sioroute: 1, type: 'metrics-request', requestId }) });
  setup.channel.onMessage((message) => {
    if (message.type === 'metrics-answer') cluster.onAnswer(message);
  });
  return { registry, scrape: cluster.text };
}

async function runFront(setup: ChildSetup): Promise<() => Promise<void>> {
  const { config, channel } = setup;
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'front' });
  const membership = supervisedMembership({ channel, workers: config.workers });
  const front = await startFrontRole({ config, secret: setup.secret, logger: setup.logger, membership, port: setup.frontPort ?? config.port, metrics: clusterMetrics(setup, registry) });
  channel.send({ sioroute: 1, type: 'front-ready', port: front.port, pid: process.pid });
  return () => front.close();
}

async function runWorker(setup: ChildSetup): Promise<{ close: () => Promise<void>; drain: (keepPort: boolean) => Promise<void> }> {
  const { config, channel, index } = setup;
  const id = `w${index}`;
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'worker', worker: id });
  // Single-port mode: this worker also serves the front's routes for the connections it is handed.
  const front = config.singlePort
    ? await buildWorkerFront({ config, secret: setup.secret, logger: setup.logger, membership: supervisedMembership({ channel, workers: config.workers, routesByPeer: true }), metrics: clusterMetrics(setup, registry) })
    : undefined;
  if (config.singlePort && setup.frontPort === undefined) throw new Error('single-port mode: the worker was not told the public port');
  const port = config.singlePort ? setup.frontPort! : config.workerBasePort === 0 ? 0 : config.workerBasePort + index;
  const worker = await startWorkerRole({
    config, secret: setup.secret, logger: setup.logger, id, index, port,
    portSetting: config.workerBasePort === 0 ? 'WORKER_BASE_PORT=0' : `WORKER_BASE_PORT=${config.workerBasePort} + ${index}`,
    frontPort: setup.frontPort,
    registration: supervisedRegistration({ channel }),
    // Broadcasts cross the workers over IPC; blips on the same worker recover their sessions.
    adapter: config.recoverySeconds > 0 ? createRecoveringClusterAdapter(config.recoverySeconds * 1000) : createAdapter(),
    metricsRegistry: registry,
    ...(front ? { handOff: { frontRequests: front.handle, clientErrorHandler } } : {}),
  });
  channel.onMessage((message, handle) => {
    // A connection may close between the primary's send and its arrival: then there is no handle.
    if (message.type === 'connection' && handle instanceof Socket) {
      if (front) worker.accept(handle);
      else handle.destroy();
    }
    if (message.type === 'metrics-collect') {
      const { collectId } = message;
      registry.getMetricsAsJSON().then(
        (json) => channel.send({ sioroute: 1, type: 'metrics-part', collectId, metrics: json }),
        (error: unknown) => setup.logger.error({ err: error }, 'metrics failed'),
      );
    }
  });
  return {
    close: async () => {
      await worker.close();
      await front?.close();
    },
    drain: async (keepPort) => {
      await worker.drain(config.drainSeconds * 1000, { keepPort });
      await front?.close();
    },
  };
}

export async function runChild(): Promise<void> {
  const setup = readSetup();
  const role = process.env[CHILD_ENV.role];
  let stopWith: () => Promise<void> = async () => {};
  let drainWith: ((keepPort: boolean) => Promise<void>) | undefined;
  let keepPort = false;
  let how: 'drain' | 'close' = 'close';
  const stop = gracefulStop({
    logger: setup.logger,
    delayMs: setup.config.drainSeconds * 1000 + CLOSE_BOUND_MS,
    // The supervisor orders every stop: Ctrl-C, systemd and `timeout` signal the whole group, and a
    // child that acted on its own would race the supervisor's stop (and be replaced).
    skip: ['SIGINT', 'SIGHUP', 'SIGTERM'],
    stop: async () => {
      await (how === 'drain' && drainWith ? drainWith(keepPort) : stopWith());
    },
  });
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => {
    // Alone, it is a restart of this child; the supervisor tells which (see Supervisor#signalled).
    if (process.connected) setup.channel.send({ sioroute: 1, type: 'signalled', signal: 'SIGTERM' });
    else stop.close();
  });
  let asked: 'drain' | 'close' | undefined;
  setup.channel.onMessage((message) => {
    if (message.type !== 'drain' && message.type !== 'shutdown') return;
    const wanted = message.type === 'drain' ? 'drain' : 'close';
    // A shutdown may cut a drain short; nothing else runs twice.
    if (asked === 'close' || asked === wanted) return;
    asked = how = wanted;
    keepPort = message.type === 'drain' && message.keepPort === true;
    stop.close();
  });
  try {
    if (role === 'front') stopWith = await runFront(setup);
    else if (role === 'worker') ({ close: stopWith, drain: drainWith } = await runWorker(setup));
    else throw new Error(`unknown role ${String(role)}`);
  } catch (error) {
    const reason = (error as Error).message;
    setup.channel.send({ sioroute: 1, type: 'fatal', reason });
    setup.logger.error({ err: error }, 'start failed');
    process.exit(1);
  }
}
