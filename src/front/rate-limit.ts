// Requests per client key per minute on the front's public routes: fixed windows counted in a Map,
// checked synchronously in the route. It replaced @fastify/rate-limit on the hot path: its async
// hooks, promise-wrapped store and LRU bookkeeping cost 11% of a constant route's throughput in
// bench/front-throughput.ts, more than hashing and signing together. Pure: the clock is an input.

export interface RateLimiterOptions {
  /** Requests one key may make per window. */
  readonly max: number;
  readonly windowMs: number;
  /**
   * Keys counted per window at most. Beyond it new keys pass uncounted: memory stays bounded and
   * an honest client is never refused because strangers were many.
   */
  readonly maxKeys: number;
}

export interface RateLimiter {
  /** Count one request; 0 when allowed, else the whole seconds until the window ends (Retry-After). */
  hit(key: string | number, now: number): number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  let windowStart = Number.NEGATIVE_INFINITY;
  let counts = new Map<string | number, number>();
  return {
    hit(key, now) {
      if (now >= windowStart + options.windowMs) {
        windowStart = now - (now % options.windowMs);
        counts = new Map();
      }
      const previous = counts.get(key);
      if (previous === undefined) {
        if (counts.size < options.maxKeys) counts.set(key, 1);
        return options.max >= 1 ? 0 : Math.max(1, Math.ceil((windowStart + options.windowMs - now) / 1000));
      }
      if (previous >= options.max) return Math.max(1, Math.ceil((windowStart + options.windowMs - now) / 1000));
      counts.set(key, previous + 1);
      return 0;
    },
  };
}
