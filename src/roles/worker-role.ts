// One way to run a worker, whatever the mode: load the handlers, make the server (attachWorker on
// a socket.io Server), listen; the mode is the registration, adapter and hand-over it is given.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config/settings.js';
import { listenFailure } from '../listen-failure.js';
import { createWorkerServer, type WorkerServer, type WorkerServerOptions } from '../worker/create-worker-server.js';
import { register as demoRegister } from '../worker/demo-handlers.js';
import type { RegisterHandlers } from '../worker/worker-context.js';
import type { WorkerRegistration } from '../worker/worker-registration.js';

export async function loadHandlers(path: string | undefined): Promise<RegisterHandlers> {
  if (path === undefined) return demoRegister as unknown as RegisterHandlers;
  const module = (await import(pathToFileURL(resolve(path)).href)) as { register?: unknown; default?: { register?: unknown } };
  const register = module.register ?? module.default?.register;
  if (typeof register !== 'function') throw new Error(`HANDLERS module ${path} exports no register(io, context) function`);
  return register as RegisterHandlers;
}

export interface WorkerRoleOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  readonly id: string;
  readonly index: number;
  readonly port: number;
  /** What the failure message names for the port, e.g. `WORKER_BASE_PORT=3131 + 2`. */
  readonly portSetting: string;
  readonly frontPort: number | undefined;
  readonly registration: WorkerRegistration | undefined;
  readonly adapter: ServerOptions['adapter'] | undefined;
  readonly metricsRegistry: Registry;
  readonly handOff?: WorkerServerOptions['handOff'];
}

/** Rejects with a reason for the user when the handlers cannot load or the port cannot be had. */
export async function startWorkerRole(options: WorkerRoleOptions): Promise<WorkerServer> {
  const { config, id } = options;
  let register: RegisterHandlers;
  try {
    register = await loadHandlers(config.handlers);
  } catch (error) {
    throw new Error(`worker ${id} cannot load HANDLERS=${JSON.stringify(config.handlers)}: ${(error as Error).message}`);
  }
  const server = createWorkerServer({
    workerId: id,
    index: options.index,
    host: config.host,
    port: options.port,
    secret: options.secret,
    allowedOrigins: config.allowedOrigins,
    frontPort: options.frontPort,
    logger: options.logger,
    register,
    publicUrl: config.workerPublicUrl,
    weight: config.workerWeight,
    metricsRegistry: options.metricsRegistry,
    metricsFrom: config.metricsFrom,
    headersTimeoutMs: config.headersTimeoutSeconds * 1000,
    recoveryMs: config.recoverySeconds * 1000,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    ...(options.adapter ? { adapter: options.adapter } : {}),
    ...(options.registration ? { registration: options.registration } : {}),
    ...(options.handOff ? { handOff: options.handOff } : {}),
  });
  try {
    await server.start();
  } catch (error) {
    await server.close().catch(() => {});
    throw new Error(listenFailure(`worker ${id}`, config.host, options.port, options.portSetting, error));
  }
  // A registration that cannot join (an id held by another live worker) is a failed start.
  try {
    await server.handle.ready;
  } catch (error) {
    await server.close().catch(() => {});
    throw error;
  }
  return server;
}
