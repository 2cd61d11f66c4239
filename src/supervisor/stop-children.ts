// Stopping the cluster. A drain (SIGTERM, SIGINT): every worker leaves routing at once (the front
// answers 503 with Retry-After), then drains over DRAIN_SECONDS keeping its port (/readyz 503),
// then the front closes. Otherwise every child is asked to close at once. Stragglers are killed.
import type { Logger } from 'pino';
import type { Membership } from '../registry/membership.js';
import type { Children } from './children.js';

/** A drained worker still running this long after DRAIN_SECONDS is killed (its flush, its close). */
const STOP_MARGIN_MS = 4000;

export interface StopOptions {
  readonly drain: boolean;
  readonly drainMs: number;
  /** Children still running this long after a close request are killed. */
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Single-port mode: the public port, closed once the workers have drained. */
  readonly closePublicPort?: () => void;
}

export async function stopChildren(children: Children, membership: Membership, options: StopOptions): Promise<void> {
  if (options.drain) {
    for (const worker of membership.list()) membership.upsert({ ...worker, state: 'draining' });
    const workers = children.alive().filter((child) => children.slotOf(child)?.role !== 'front');
    options.logger.info({ workers: workers.length, drainMs: options.drainMs }, 'stopping: draining every worker');
    // Nothing will replace them: they keep their ports until they exit.
    await children.ended(workers, { sioroute: 1, type: 'drain', keepPort: true }, options.drainMs + STOP_MARGIN_MS);
  }
  options.closePublicPort?.();
  await children.ended(children.alive(), { sioroute: 1, type: 'shutdown' }, options.shutdownTimeoutMs);
}
