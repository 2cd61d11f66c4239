// The front as a child of the supervisor: mirrors the membership the supervisor sends over IPC,
// serves the front app, and reports ready with its real port.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { isSupervisorMessage, type ChildToSupervisor } from '../registry/ipc-messages.js';
import { Membership } from '../registry/membership.js';
import { buildFrontApp } from './build-front-app.js';
import { listenFailure } from '../listen-failure.js';

export interface FrontProcessOptions {
  readonly config: Config;
  readonly secret: string;
  readonly port: number;
  readonly logger: Logger;
  readonly send: (message: ChildToSupervisor) => void;
  readonly onMessage: (listener: (message: unknown) => void) => void;
}

export async function runFrontProcess(options: FrontProcessOptions): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const membership = new Membership();
  options.onMessage((message) => {
    if (isSupervisorMessage(message) && message.type === 'membership') membership.replace(message.workers);
  });
  const app = await buildFrontApp({ config: options.config, membership, secret: options.secret, logger: options.logger });
  try {
    await app.listen({ host: options.config.host, port: options.port });
  } catch (error) {
    const reason = listenFailure('front', options.config.host, options.port, 'PORT', error);
    options.send({ sioroute: 1, type: 'fatal', reason });
    throw new Error(reason);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.send({ sioroute: 1, type: 'front-ready', port, pid: process.pid });
  return { app, close: () => app.close() };
}
