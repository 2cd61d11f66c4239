// Health of the workers from their heartbeats: a ready worker that goes silent leaves routing; one
// silent for longer is killed (the respawn brings it back). The verdicts are pure;
// enforceHeartbeats applies them.
import type { Logger } from 'pino';
import type { Membership, WorkerInfo } from '../registry/membership.js';

export interface HeartbeatLimits {
  /** A ready worker silent this long is taken out of routing. */
  readonly heartbeatTimeoutMs: number;
  /** ... and killed after this long. */
  readonly hangKillMs: number;
}

export type HeartbeatVerdict = { readonly action: 'unhealthy' | 'kill'; readonly worker: WorkerInfo; readonly silentForMs: number };

export function heartbeatVerdicts(workers: readonly WorkerInfo[], now: number, limits: HeartbeatLimits): HeartbeatVerdict[] {
  const verdicts: HeartbeatVerdict[] = [];
  for (const worker of workers) {
    const silentForMs = now - worker.lastSeenAt;
    if (worker.state === 'ready' && silentForMs > limits.heartbeatTimeoutMs) verdicts.push({ action: 'unhealthy', worker, silentForMs });
    // Checked on the state as listed: a worker just marked unhealthy is killed on a later round.
    if (worker.state === 'unhealthy' && silentForMs > limits.hangKillMs) verdicts.push({ action: 'kill', worker, silentForMs });
  }
  return verdicts;
}

/** Apply the verdicts: out of routing, or killed (`kill` the slot's process; the respawn brings it back). */
export function enforceHeartbeats(membership: Membership, now: number, limits: HeartbeatLimits, logger: Logger, kill: (workerId: string) => void): void {
  for (const { action, worker, silentForMs } of heartbeatVerdicts(membership.list(), now, limits)) {
    if (action === 'unhealthy') {
      logger.warn({ workerId: worker.id, silentForMs }, 'worker missed heartbeats; out of routing');
      membership.upsert({ ...worker, state: 'unhealthy' });
    } else {
      logger.error({ workerId: worker.id, silentForMs }, 'worker hangs; killing it');
      kill(worker.id);
    }
  }
}
