// How long to wait before respawning a crashed process. Pure.
// A process that crashes again soon after starting waits longer each time (up to a cap), so a
// crash loop costs little; one that ran for a while before crashing is respawned at once.

export interface BackoffPolicy {
  /** @default 100 */
  readonly initialMs: number;
  /** @default 10_000 */
  readonly maxMs: number;
  /** A run at least this long resets the count of quick crashes. @default 30_000 */
  readonly stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 100, maxMs: 10_000, stableAfterMs: 30_000 });

/** The quick-crash count after a process that ran for `ranMs` exited. */
export function nextCrashCount(previous: number, ranMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return ranMs >= policy.stableAfterMs ? 0 : previous + 1;
}

/** Delay before respawn, given the quick-crash count (0 = the first crash after a stable run). */
export function restartDelayMs(crashCount: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (crashCount <= 0) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** (crashCount - 1));
}
