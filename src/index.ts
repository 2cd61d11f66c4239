// The library API: start the embedded cluster from code, or build the parts yourself.
import { randomBytes } from 'node:crypto';
import { loadConfig, readRawSettings } from './config/load-config.js';
import type { Config } from './config/settings.js';
import { createLogger } from './logger.js';
import { CLI_PATH } from './paths.js';
import { Supervisor, type ClusterInfo } from './supervisor/supervisor.js';

export { buildFrontApp as createFront, type FrontMetricsOptions, type FrontOptions } from './front/build-front-app.js';
export { createWorkerServer as createWorker, type WorkerServer, type WorkerServerOptions } from './worker/create-worker-server.js';
export type { RegisterHandlers, WorkerContext } from './worker/worker-context.js';
export { Membership, type WorkerInfo, type WorkerState } from './registry/membership.js';
export { ConfigError, loadConfig, readRawSettings } from './config/load-config.js';
export type { Config } from './config/settings.js';
export { clientKey, type ClientKey, type ClientKeyOptions } from './routing/client-key.js';
export { createRoutingTable, type RoutableWorker, type RoutingTable } from './routing/select-worker.js';
export { signToken, verifyToken, type TokenClaims, type TokenCheck } from './routing/token.js';
export * from './client/protocol.js';
export type { ClusterInfo } from './supervisor/supervisor.js';

export interface StartedCluster extends ClusterInfo {
  stop(): Promise<void>;
}

/**
 * Start the embedded cluster (supervisor in this process, front and workers forked) with settings
 * given as environment-style values, e.g. `startCluster({ PORT: '0', WORKERS: '4' })`.
 * Throws ConfigError for bad settings, and an Error with the reason when the start cannot succeed.
 */
export async function startCluster(settings: Record<string, string> = {}): Promise<StartedCluster> {
  const config: Config = loadConfig(readRawSettings(settings, []));
  const logger = createLogger(config.logLevel, { role: 'supervisor' });
  const secret = config.routingSecret ?? randomBytes(32).toString('base64url');
  const supervisor = new Supervisor({ config, secret, logger, exec: CLI_PATH });
  const info = await supervisor.start();
  return { ...info, stop: () => supervisor.stop() };
}
