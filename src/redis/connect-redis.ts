// One place that creates Redis clients: bounded reconnect backoff, errors logged once per outage
// (a down Redis must not flood the log), and the URL shown without its password.
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';

export type RedisClient = RedisClientType;

export interface RedisClientOptions {
  readonly url: string;
  readonly logger: Logger;
  /** What this client is for, in log lines. */
  readonly purpose: string;
  /**
   * Fail commands at once while disconnected instead of queueing them: right for heartbeats and
   * membership reads, which are retried on the next tick anyway. @default false
   */
  readonly failFast?: boolean;
}

/** The URL as safe to log: no user name or password. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return '(unparseable url)';
  }
}

/** Reconnect after 100 ms, 200 ms, ... up to 2 s between attempts, forever. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(2000, 100 * (retries + 1));
}

/**
 * A client that connects in the background and keeps reconnecting. The returned promise never
 * rejects because Redis is down: callers keep working from what they last knew.
 */
export function connectRedis(options: RedisClientOptions): RedisClient {
  const shown = redactRedisUrl(options.url);
  const client = createClient({
    url: options.url,
    disableOfflineQueue: options.failFast ?? false,
    socket: { connectTimeout: 2000, reconnectStrategy: reconnectDelayMs },
  }) as unknown as RedisClient;
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    options.logger.warn({ redis: shown, purpose: options.purpose, err: { message: error.message } }, 'Redis unreachable; retrying');
  });
  client.on('ready', () => {
    if (down) options.logger.info({ redis: shown, purpose: options.purpose }, 'Redis reachable again');
    down = false;
  });
  client.connect().catch(() => {
    // The error listener has logged it and the reconnect strategy keeps trying.
  });
  return client;
}

/** Resolves when the client is ready or after `timeoutMs`, whichever comes first (never rejects). */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.isReady) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
    client.on('ready', done);
  });
}
