// A worker as a child of the supervisor: one socket.io server on its own port, the cluster adapter
// for broadcasts across workers, a heartbeat to the supervisor, ready reported with the real port.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { Socket } from 'node:net';
import { createAdapter } from '@socket.io/cluster-adapter';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config/settings.js';
import { clientErrorHandler } from '../front/build-front-app.js';
import { createClusterScrape } from '../metrics/cluster-scrape.js';
import { collectProcessMetrics } from '../metrics/process-metrics.js';
import { isSupervisorMessage, type ChildToSupervisor } from '../registry/ipc-messages.js';
import { listenFailure } from '../listen-failure.js';
import { buildWorkerFront, type WorkerFront } from '../single-port/worker-front.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { register as demoRegister } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

export interface WorkerProcessOptions {
  readonly config: Config;
  readonly secret: string;
  readonly index: number;
  readonly frontPort: number | undefined;
  readonly logger: Logger;
  readonly send: (message: ChildToSupervisor) => void;
  /** Messages from the supervisor, with the handle one may carry (single-port mode: membership and connections). */
  readonly onMessage: (listener: (message: unknown, handle: unknown) => void) => void;
  /** @default HEARTBEAT_MS */
  readonly heartbeatMs?: number;
}

/** How often a worker tells the supervisor it is alive (and how many clients it has). */
export const HEARTBEAT_MS = 500;

export async function loadHandlers(path: string | undefined): Promise<RegisterHandlers> {
  if (path === undefined) return demoRegister as unknown as RegisterHandlers;
  const module = (await import(pathToFileURL(resolve(path)).href)) as { register?: unknown; default?: { register?: unknown } };
  const register = module.register ?? module.default?.register;
  if (typeof register !== 'function') throw new Error(`HANDLERS module ${path} exports no register(io, context) function`);
  return register as RegisterHandlers;
}

export interface WorkerProcess {
  readonly server: WorkerServer;
  /** Drain over DRAIN_SECONDS, telling the supervisor as soon as the port is free; resolves when closed. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { config, index, send } = options;
  const workerId = `w${index}`;
  if (config.singlePort && options.frontPort === undefined) throw new Error('single-port mode: the worker was not told the public port');
  // Single-port mode: no port of its own; the public one is where browsers reach it.
  const port = config.singlePort ? options.frontPort! : config.workerBasePort === 0 ? 0 : config.workerBasePort + index;
  let register: RegisterHandlers;
  try {
    register = await loadHandlers(config.handlers);
  } catch (error) {
    const reason = `worker ${workerId} cannot load HANDLERS=${JSON.stringify(config.handlers)}: ${(error as Error).message}`;
    send({ sioroute: 1, type: 'fatal', reason });
    throw new Error(reason);
  }
  const metrics = new Registry();
  collectProcessMetrics(metrics, { role: 'worker', worker: workerId });
  // Single-port mode: the public port's /metrics is answered by whichever worker the scraper's
  // address hashes to, so that worker asks the supervisor for everyone's, as the front does.
  const cluster = config.singlePort
    ? createClusterScrape({ registry: metrics, request: (requestId) => send({ sioroute: 1, type: 'metrics-request', requestId }) })
    : undefined;
  const front: WorkerFront | undefined = config.singlePort
    ? await buildWorkerFront({ config, secret: options.secret, logger: options.logger, metrics: { registry: metrics, scrape: cluster!.text } })
    : undefined;
  const server = createWorkerServer({
    workerId,
    index,
    host: config.host,
    port,
    secret: options.secret,
    allowedOrigins: config.allowedOrigins,
    frontPort: options.frontPort,
    logger: options.logger,
    register,
    adapter: createAdapter(),
    ...(front ? { handedOff: true, otherRequests: front.handle, clientErrorHandler } : {}),
    metricsRegistry: metrics,
    metricsFrom: config.metricsFrom,
  });
  options.onMessage((message, handle) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === 'membership') front?.membership.replace(message.workers);
    // A connection may close between the primary's send and its arrival: then there is no handle.
    if (message.type === 'connection' && handle instanceof Socket) {
      if (front) server.accept(handle);
      else handle.destroy();
    }
  });
  let boundPort: number;
  try {
    boundPort = await server.start();
  } catch (error) {
    const setting = config.workerBasePort === 0 ? 'WORKER_BASE_PORT=0' : `WORKER_BASE_PORT=${config.workerBasePort} + ${index}`;
    const reason = listenFailure(`worker ${workerId}`, config.host, port, setting, error);
    send({ sioroute: 1, type: 'fatal', reason });
    throw new Error(reason);
  }
  // Before ready: the supervisor asks ready workers only, and expects an answer.
  options.onMessage((message) => {
    if (isSupervisorMessage(message) && message.type === 'metrics-answer') cluster?.onAnswer(message);
    if (!isSupervisorMessage(message) || message.type !== 'metrics-collect') return;
    const { collectId } = message;
    metrics.getMetricsAsJSON().then(
      (json) => send({ sioroute: 1, type: 'metrics-part', collectId, metrics: json }),
      (error: unknown) => options.logger.error({ err: error }, 'metrics failed'),
    );
  });
  send({ sioroute: 1, type: 'worker-ready', id: workerId, index, port: boundPort, pid: process.pid });
  const heartbeat = setInterval(() => send({ sioroute: 1, type: 'heartbeat', id: workerId, clients: server.clientCount() }), options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const stopHeartbeat = () => clearInterval(heartbeat);
  return {
    server,
    drain: async () => {
      // A draining worker sends no heartbeat: it is already out of routing.
      stopHeartbeat();
      await server.drain(
        config.drainSeconds * 1000,
        () => send({ sioroute: 1, type: 'worker-draining', id: workerId }),
        () => send({ sioroute: 1, type: 'worker-leaving', id: workerId }),
      );
      await front?.close();
    },
    close: async () => {
      stopHeartbeat();
      await server.close();
      await front?.close();
    },
  };
}
