// What a front routes over: one interface for every way of knowing which workers are alive.
// A deployment mode is the source you pass (supervised, Redis, a static list), not a flag.
import type { Logger } from 'pino';
import { Membership } from './membership.js';
import { probeWorkers } from './probe-workers.js';
import { connectRedis, whenReady } from '../redis/connect-redis.js';
import { watchRedisMembership } from './redis-membership-watch.js';

export interface MembershipSource {
  /** The live set, kept current by the source. */
  readonly membership: Membership;
  /** Resolves once the first view is in (the first probe round, the first Redis read...). */
  readonly ready: Promise<void>;
  /** Worker slots that may join later, so a page's CSP can name them before they do. @default none */
  readonly expectedSlots?: readonly { readonly id: string; readonly index: number }[];
  /**
   * Single-port mode: connections reach the worker their TCP peer address hashes to, whatever a
   * header says, so answers are keyed the same way and the `avoid` hint is not followed.
   */
  readonly routesByPeer?: boolean;
  /** Stop watching; idempotent. */
  close(): Promise<void>;
}

export interface StaticMembershipOptions {
  /** The workers' internal base URLs, e.g. `http://10.0.0.2:3131`; each is probed on `/healthz`. */
  readonly urls: readonly string[];
  readonly logger?: Logger;
  /** @default 1000 */
  readonly probeEveryMs?: number;
}

/** A fixed list of workers, each probed on `/healthz` every second: in while it answers with its record. */
export function staticMembership(options: StaticMembershipOptions): MembershipSource {
  if (!Array.isArray(options.urls) || options.urls.length === 0) {
    throw new TypeError(`staticMembership: invalid option urls=${JSON.stringify(options.urls)}: expected a non-empty array of worker base URLs`);
  }
  const membership = new Membership();
  const probes = probeWorkers({ urls: options.urls, membership, logger: options.logger ?? silentLogger(), ...(options.probeEveryMs ? { everyMs: options.probeEveryMs } : {}) });
  return { membership, ready: probes.firstRound, close: once(async () => probes.close()) };
}

export interface RedisMembershipOptions {
  /** `redis://` or `rediss://` URL where the workers register. */
  readonly url: string;
  readonly logger?: Logger;
}

/** Workers registered in Redis with a TTL (`sioroute worker` with REDIS_URL, or `attachWorker` with `redisRegistration`). */
export function redisMembership(options: RedisMembershipOptions): MembershipSource {
  if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
    throw new TypeError(`redisMembership: invalid option url=${JSON.stringify(options.url)}: expected a redis:// or rediss:// URL`);
  }
  const logger = options.logger ?? silentLogger();
  const membership = new Membership();
  const client = connectRedis({ url: options.url, logger, purpose: 'membership', failFast: true });
  // Serve once the first read is in; a Redis that is down leaves the set empty (503) until it answers.
  const watch = whenReady(client, 2000).then(() => watchRedisMembership({ client, membership, logger }));
  return {
    membership,
    ready: watch.then((w) => w.firstRead),
    close: once(async () => {
      await (await watch).close();
      if (client.isOpen) client.destroy();
    }),
  };
}

export function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= run());
}

function silentLogger(): Logger {
  const noop = () => {};
  const logger = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop, level: 'silent', child: () => logger };
  return logger as unknown as Logger;
}

export interface ManualMembershipOptions {
  /** A membership to wrap. @default a new, empty one */
  readonly membership?: Membership;
  readonly expectedSlots?: MembershipSource['expectedSlots'];
  readonly routesByPeer?: boolean;
}

/** A membership you keep yourself (`source.membership.upsert(...)`); also what the IPC mirrors feed. */
export function manualMembership(options: ManualMembershipOptions = {}): MembershipSource {
  return {
    membership: options.membership ?? new Membership(),
    ready: Promise.resolve(),
    ...(options.expectedSlots ? { expectedSlots: options.expectedSlots } : {}),
    ...(options.routesByPeer ? { routesByPeer: true } : {}),
    close: async () => {},
  };
}
