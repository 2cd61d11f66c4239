// How a worker makes itself known to fronts: a value passed to attachWorker. Redis (records with
// a TTL that fronts watch), the embedded supervisor's IPC, or nothing (fronts with a static list
// probe the worker's /healthz).
import type { Logger } from 'pino';
import { connectRedis, whenReady } from '../redis/connect-redis.js';
import { registerWorker, type RedisRegistration } from '../registry/redis-registration.js';
import type { WorkerRecord } from '../registry/worker-record.js';

export interface WorkerRegistration {
  /** The worker serves on its port: join routing. Rejects when it cannot (e.g. the id is taken). */
  join(record: () => WorkerRecord, logger: Logger): Promise<void>;
  /** A drain started: out of routing at once. */
  leaving(): Promise<void>;
  /** The drain released the port (a replacement may bind it now). */
  portReleased?(): void;
  /** Gone: remove every trace; idempotent. */
  leave(): Promise<void>;
}

export interface RedisRegistrationOptions {
  /** `redis://` or `rediss://` URL the fronts watch. */
  readonly url: string;
}

/** Register in Redis with a heartbeat, as `sioroute worker` does with REDIS_URL. */
export function redisRegistration(options: RedisRegistrationOptions): WorkerRegistration {
  if (typeof options?.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
    throw new TypeError(`redisRegistration: invalid option url=${JSON.stringify(options?.url)}: expected a redis:// or rediss:// URL`);
  }
  let client: ReturnType<typeof connectRedis> | undefined;
  let registration: RedisRegistration | undefined;
  let left: Promise<void> | undefined;
  return {
    async join(record, logger) {
      client = connectRedis({ url: options.url, logger, purpose: 'membership', failFast: true });
      await whenReady(client, 2000);
      try {
        registration = await registerWorker({ client, logger, record });
      } catch (error) {
        client.destroy();
        throw error;
      }
    },
    async leaving() {
      await registration?.announce();
    },
    leave() {
      left ??= (async () => {
        await registration?.leave();
        if (client?.isOpen) client.destroy();
      })();
      return left;
    },
  };
}
