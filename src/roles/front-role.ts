// One way to run a front, whatever the mode: build the app over the membership source it is given,
// listen on the port (exclusively: a respawned front reopens the same port itself), report the port.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { buildFrontApp, type FrontMetricsOptions } from '../front/build-front-app.js';
import { listenFailure } from '../listen-failure.js';
import type { MembershipSource } from '../registry/membership-source.js';
import { LISTEN_BACKLOG } from '../net/listen-backlog.js';

export interface FrontRoleOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  readonly membership: MembershipSource;
  /** The port to listen on (0: any). */
  readonly port: number;
  readonly metrics: FrontMetricsOptions;
}

export interface FrontRole {
  readonly app: FastifyInstance;
  readonly port: number;
  close(): Promise<void>;
}

export async function startFrontRole(options: FrontRoleOptions): Promise<FrontRole> {
  const { config } = options;
  const app = await buildFrontApp({ config, membership: options.membership, secret: options.secret, logger: options.logger, metrics: options.metrics });
  try {
    // exclusive: in a cluster child the port is this process's own, not shared through the primary.
    await app.listen({ host: config.host, port: options.port, exclusive: true, backlog: LISTEN_BACKLOG });
  } catch (error) {
    await app.close();
    throw new Error(listenFailure('front', config.host, options.port, 'PORT', error));
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { app, port, close: () => app.close() };
}
