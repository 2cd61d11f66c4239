// A front's view of the workers registered in Redis: a full read (SMEMBERS + MGET) every
// MEMBERSHIP_REFRESH_MS and on every notification. While Redis is unreachable the front keeps
// routing from the last set it read; just after Redis comes back it adds and updates workers but
// removes none for one record lifetime, because a restarted Redis is empty until every worker's
// next heartbeat has registered it again.
import type { Logger } from 'pino';
import type { RedisClient } from '../redis/connect-redis.js';
import type { Membership, WorkerInfo } from './membership.js';
import { parseWorkerRecord, workerInfoFromRecord, type WorkerRecord } from './worker-record.js';
import { MEMBERS_SET, MEMBERSHIP_CHANNEL, MEMBERSHIP_REFRESH_MS, RECORD_TTL_MS, recordKey } from './redis-schema.js';

/**
 * The membership after a read. Pure. With `trustRemovals` false, workers missing from the read
 * stay as they were (their records may simply not be back yet).
 */
export function mergeRead(previous: readonly WorkerInfo[], read: readonly WorkerRecord[], trustRemovals: boolean, now: number): WorkerInfo[] {
  const next = new Map<string, WorkerInfo>();
  if (!trustRemovals) for (const worker of previous) next.set(worker.id, worker);
  for (const record of read) next.set(record.id, workerInfoFromRecord(record, now));
  return [...next.values()];
}

export interface RedisMembershipWatchOptions {
  readonly client: RedisClient;
  readonly membership: Membership;
  readonly logger: Logger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default MEMBERSHIP_REFRESH_MS */
  readonly refreshMs?: number;
}

export interface RedisMembershipWatch {
  /** Resolves after the first successful read (or at once if Redis is down; reads keep trying). */
  readonly firstRead: Promise<void>;
  /** Reads so far that failed because Redis was unreachable. */
  failedReads(): number;
  close(): Promise<void>;
}

export function watchRedisMembership(options: RedisMembershipWatchOptions): RedisMembershipWatch {
  const { client, membership } = options;
  const now = options.now ?? Date.now;
  // Removals are trusted only once Redis has been reachable for a whole record lifetime.
  let reachableSince = now();
  let failed = 0;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  client.on('ready', () => {
    reachableSince = now();
  });

  const readOnce = async (): Promise<void> => {
    const ids = (await client.sMembers(MEMBERS_SET)).slice(0, 10_000);
    const values = ids.length === 0 ? [] : await client.mGet(ids.map(recordKey));
    const records: WorkerRecord[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      const record = parseWorkerRecord(value);
      if (record && record.id === ids[i]) records.push(record);
      else expired.push(ids[i]!);
    });
    const trustRemovals = now() - reachableSince >= RECORD_TTL_MS;
    membership.replace(mergeRead(membership.list(), records, trustRemovals, now()));
    // Tidy the set: ids whose record expired (a crashed worker). Another front may do the same.
    if (trustRemovals && expired.length > 0) await client.sRem(MEMBERS_SET, expired).catch(() => {});
  };

  const read = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = readOnce()
      .catch(() => {
        failed++;
        // Keep routing from the last set; the client logs the outage once.
        reachableSince = Number.POSITIVE_INFINITY;
      })
      .finally(() => {
        reading = undefined;
        if (client.isReady && reachableSince === Number.POSITIVE_INFINITY) reachableSince = now();
        if (again && !closed) {
          again = false;
          void read();
        }
      });
    return reading;
  };

  const subscriber = client.duplicate();
  subscriber.on('error', () => {
    // The main client reports outages; periodic reads cover missed notifications.
  });
  subscriber.connect()
    .then(() => subscriber.subscribe(MEMBERSHIP_CHANNEL, () => void read()))
    .catch(() => {});
  const timer = setInterval(() => void read(), options.refreshMs ?? MEMBERSHIP_REFRESH_MS);
  timer.unref();

  return {
    firstRead: read(),
    failedReads: () => failed,
    async close() {
      closed = true;
      clearInterval(timer);
      await subscriber.quit().catch(() => subscriber.destroy());
    },
  };
}
