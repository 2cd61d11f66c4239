// Single-port mode in the supervisor: it owns PORT and hands each connection, unread, to the
// process of the worker its client address hashes to, over IPC.
import type { Worker as ClusterWorker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { listenFailure } from '../listen-failure.js';
import type { Membership } from '../registry/membership.js';
import type { SupervisorToChild } from '../supervisor/ipc-messages.js';
import { ConnectionRouter, type HandoffTarget } from './connection-router.js';

export interface PublicPortOptions {
  readonly config: Config;
  readonly membership: Membership;
  readonly logger: Logger;
  /** The process serving a worker id, when it can take a connection now (ready, IPC open). */
  readonly processOf: (workerId: string) => ClusterWorker | undefined;
}

export class PublicPort {
  readonly #router: ConnectionRouter;
  readonly #targets = new WeakMap<ClusterWorker, HandoffTarget>();
  readonly #options: PublicPortOptions;

  constructor(options: PublicPortOptions) {
    this.#options = options;
    this.#router = new ConnectionRouter({
      host: options.config.host,
      port: options.config.port,
      keyOptions: options.config,
      membership: options.membership,
      targetOf: (workerId) => this.#target(workerId),
      logger: options.logger.child({ part: 'connection-router' }),
    });
  }

  /** Listen before any worker starts; connections wait (bounded) until one is ready. Resolves with the port. */
  async listen(): Promise<number> {
    const { config, logger } = this.#options;
    let port: number;
    try {
      port = await this.#router.listen();
    } catch (error) {
      throw new Error(listenFailure('single-port mode', config.host, config.port, 'PORT', error));
    }
    logger.info({ port }, 'public port listening');
    return port;
  }

  /** A worker process can take no more connections (it exited, or its IPC channel closed). */
  gone(child: ClusterWorker): void {
    const target = this.#targets.get(child);
    if (target) this.#router.targetGone(target);
  }

  close(): void {
    this.#router.close();
    this.#options.logger.info({ connections: this.#router.stats() }, 'public port closed');
  }

  #target(workerId: string): HandoffTarget | undefined {
    const child = this.#options.processOf(workerId);
    if (!child) return undefined;
    let target = this.#targets.get(child);
    if (!target) {
      target = {
        workerId,
        send: (socket, done) => {
          // keepOpen: on a failed send the socket is still the primary's, to route elsewhere; the
          // router closes the primary's descriptor once the handle is written.
          const message: SupervisorToChild = { sioroute: 1, type: 'connection' };
          child.send(message, socket, { keepOpen: true }, (error) => done(error ?? null));
        },
      };
      this.#targets.set(child, target);
    }
    return target;
  }
}
