// A worker's membership in Redis: register (refusing an id another live worker holds), renew the
// record with a heartbeat, say "draining" when a drain starts and leave when it ends. Redis being
// down never stops the worker: heartbeats fail quietly and the next one after Redis is back
// registers again (a restarted Redis without persistence has forgotten everyone).
import type { Logger } from 'pino';
import type { RedisClient } from '../redis/connect-redis.js';
import type { WorkerRecord } from './worker-record.js';
import {
  MEMBERS_SET, MEMBERSHIP_CHANNEL, RECORD_TTL_MS, recordKey, REGISTER_SCRIPT, REGISTRY_HEARTBEAT_MS, UNREGISTER_SCRIPT,
} from './redis-schema.js';

export class WorkerIdTakenError extends Error {}

export interface RedisRegistrationOptions {
  readonly client: RedisClient;
  readonly logger: Logger;
  /** The record as of now (clients and state change over time). */
  readonly record: () => WorkerRecord;
  /** How long to wait for a previous process with the same id to expire before giving up. @default RECORD_TTL_MS + 1000 */
  readonly takenWaitMs?: number;
}

export interface RedisRegistration {
  /** Announce a new state (draining) at once, not at the next heartbeat. */
  announce(): Promise<void>;
  /** Stop the heartbeat and remove the record. */
  leave(): Promise<void>;
}

async function write(client: RedisClient, record: WorkerRecord): Promise<boolean> {
  const written = await client.eval(REGISTER_SCRIPT, {
    keys: [recordKey(record.id), MEMBERS_SET],
    arguments: [JSON.stringify(record), record.instance, String(RECORD_TTL_MS), record.id],
  });
  return written === 1;
}

/**
 * Register once Redis answers. Rejects with WorkerIdTakenError when another live worker holds the
 * id for longer than a record lives (a crashed predecessor's record expires within RECORD_TTL_MS).
 */
export async function registerWorker(options: RedisRegistrationOptions): Promise<RedisRegistration> {
  const { client, logger } = options;
  const first = options.record();
  const deadline = Date.now() + (options.takenWaitMs ?? RECORD_TTL_MS + 1000);
  for (;;) {
    let written: boolean | undefined;
    try {
      written = await write(client, first);
    } catch {
      // Redis is not reachable yet: the heartbeat below registers as soon as it is.
      break;
    }
    if (written) {
      await client.publish(MEMBERSHIP_CHANNEL, first.id).catch(() => {});
      break;
    }
    if (Date.now() > deadline) {
      throw new WorkerIdTakenError(`WORKER_ID=${first.id} is held by another live worker in Redis; give each worker its own WORKER_ID`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  let lastState = first.state;
  let stopped = false;
  const beat = async (): Promise<void> => {
    const record = options.record();
    try {
      if (!(await write(client, record))) {
        logger.error({ workerId: record.id }, 'another live worker took this WORKER_ID in Redis; this worker is out of routing');
        return;
      }
      if (record.state !== lastState) {
        lastState = record.state;
        await client.publish(MEMBERSHIP_CHANNEL, record.id);
      }
    } catch {
      // Logged once per outage by the client; the next beat retries.
    }
  };
  const timer = setInterval(() => {
    if (!stopped) void beat();
  }, REGISTRY_HEARTBEAT_MS);
  timer.unref();

  return {
    announce: beat,
    async leave() {
      stopped = true;
      clearInterval(timer);
      try {
        await client.eval(UNREGISTER_SCRIPT, { keys: [recordKey(first.id), MEMBERS_SET], arguments: [first.instance, first.id] });
        await client.publish(MEMBERSHIP_CHANNEL, first.id);
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message } }, 'could not remove this worker from Redis; its record expires by itself');
      }
    },
  };
}
