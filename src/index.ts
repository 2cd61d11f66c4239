// `sioroute`: the server API. Add routing to a socket.io Server you made (attachWorker), pick how
// fronts learn who is alive (membership sources), or start the whole embedded cluster from code.
// The front plug-ins live in `sioroute/fastify` and `sioroute/express`, the client in `sioroute/client`.
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config/load-config.js';
import { SETTINGS, type Config } from './config/settings.js';
import { createLogger } from './logger.js';
import { CLI_PATH } from './paths.js';
import { Supervisor, type ClusterInfo } from './supervisor/supervisor.js';

export { attachWorker, type AttachWorkerOptions, type DrainHooks, type WorkerHandle } from './worker/attach-worker.js';
export { redisRegistration, type RedisRegistrationOptions, type WorkerRegistration } from './worker/worker-registration.js';
export {
  manualMembership, redisMembership, staticMembership,
  type ManualMembershipOptions, type MembershipSource, type RedisMembershipOptions, type StaticMembershipOptions,
} from './registry/membership-source.js';
export type { RegisterHandlers, WorkerContext } from './worker/worker-context.js';
export { Membership, type WorkerInfo, type WorkerState } from './registry/membership.js';
export type { RoutingOptions } from './front/routing-options.js';
export { SiorouteOptionError } from './front/routing-options.js';
export { buildFrontApp as createFront, type FrontOptions } from './front/build-front-app.js';
export { createWorkerServer as createWorker, type WorkerServer, type WorkerServerOptions } from './worker/create-worker-server.js';
export { ConfigError } from './config/load-config.js';
export type { Config } from './config/settings.js';
export { clientKey, type ClientKey, type ClientKeyOptions } from './routing/client-key.js';
export { createRoutingTable, type RoutableWorker, type RoutingTable } from './routing/select-worker.js';
export { signToken, verifyToken, type TokenClaims, type TokenCheck } from './routing/token.js';
export * from './protocol/wire.js';
export type { ClusterInfo } from './supervisor/supervisor.js';

/** The settings of the embedded cluster, camelCase (`{ port: 0, workers: 4 }`); each as its variable in the README. */
export type ClusterOptions = Partial<{ -readonly [K in keyof Config]: Config[K] }>;

export interface StartedCluster extends ClusterInfo {
  stop(): Promise<void>;
}

/** Typed options as the raw values the settings table validates (one set of rules for CLI and code). */
function rawValues(options: ClusterOptions): Record<string, string> {
  const values: Record<string, string> = {};
  for (const spec of SETTINGS) {
    const value: unknown = options[spec.key];
    if (value === undefined) continue;
    values[spec.env] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return values;
}

/**
 * Start the embedded cluster (supervisor in this process, front and workers forked), e.g.
 * `startCluster({ port: 0, workers: 4, handlers: './handlers.js' })`. Throws ConfigError for bad
 * options, and an Error with the reason when the start cannot succeed.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<StartedCluster> {
  const unknown = Object.keys(options).filter((key) => !SETTINGS.some((spec) => spec.key === key));
  if (unknown.length > 0) throw new TypeError(`startCluster: unknown option ${unknown[0]}: expected one of ${SETTINGS.map((s) => s.key).join(', ')}`);
  const values = rawValues(options);
  const sources = Object.fromEntries(SETTINGS.filter((s) => values[s.env] !== undefined).map((s) => [s.env, s.key]));
  const config: Config = loadConfig({ values, sources, issues: [] });
  const logger = createLogger(config.logLevel, { role: 'supervisor' });
  const secret = config.routingSecret ?? randomBytes(32).toString('base64url');
  const supervisor = new Supervisor({ config, secret, logger, exec: CLI_PATH });
  const info = await supervisor.start();
  return { ...info, stop: () => supervisor.stop() };
}
