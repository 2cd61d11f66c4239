// A rolling restart: every worker in turn drains, its replacement starts as soon as it has
// released its port (before its clients are moved) and takes them back; the next worker starts
// only once the old process has moved everyone and exited. Capacity never drops, and each client
// moves once.
import type { Worker as ClusterWorker } from 'node:cluster';
import type { Logger } from 'pino';

export interface RestartableSlot {
  readonly id: string;
  readonly process?: ClusterWorker | undefined;
  readonly ready: boolean;
}

export interface RollingRestartDeps {
  readonly slots: () => readonly RestartableSlot[];
  readonly running: () => boolean;
  /** Resolves the next time the slot reports ready. */
  readonly nextReady: (slot: RestartableSlot) => Promise<void>;
  /** Tell the process to drain. */
  readonly drain: (child: ClusterWorker) => void;
  readonly replaceTimeoutMs: number;
  readonly logger: Logger;
}

async function replaced(deps: RollingRestartDeps, slot: RestartableSlot, old: ClusterWorker): Promise<void> {
  const deadline = Date.now() + deps.replaceTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${slot.id} was not replaced within ${deps.replaceTimeoutMs} ms`)), deps.replaceTimeoutMs);
  });
  try {
    while (!(slot.process !== old && slot.ready) && Date.now() < deadline) await Promise.race([deps.nextReady(slot), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function restartWorkers(deps: RollingRestartDeps): Promise<void> {
  if (!deps.running()) throw new Error('cannot restart: the supervisor is not running');
  deps.logger.info('rolling restart');
  for (const slot of deps.slots()) {
    if (!deps.running()) return;
    const old = slot.process;
    if (!old || old.isDead()) continue;
    const exited = new Promise<void>((resolve) => (old.isDead() ? resolve() : old.process.once('exit', () => resolve())));
    const done = replaced(deps, slot, old);
    deps.drain(old);
    await done;
    deps.logger.info({ workerId: slot.id, pid: slot.process?.process.pid }, 'worker replaced');
    // One drain at a time: the next worker's clients must not move onto a worker that is leaving.
    await exited;
  }
  deps.logger.info('rolling restart done');
}
