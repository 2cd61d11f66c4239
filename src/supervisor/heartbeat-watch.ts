// Health of the workers from their heartbeats: a ready worker that goes silent leaves routing,
// one silent for longer is killed (the respawn brings it back). Pure: what to do is returned.
import type { WorkerInfo } from '../registry/membership.js';

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
