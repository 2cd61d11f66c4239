// The supervisor's children: one slot per role (the front, w0, w1...), the process serving each
// slot now, drained processes still finishing, forking and messaging them. No policy: when to
// fork, drain or kill is the supervisor's.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import type { Logger } from 'pino';
import type { WorkerInfo } from '../registry/membership.js';
import type { SupervisorToChild } from './ipc-messages.js';
import { relayChild, type RelayChild } from './metrics-relay.js';

export type Role = 'front' | 'worker';

export interface Slot {
  readonly id: string;
  readonly role: Role;
  readonly index: number;
  process?: ClusterWorker;
  forkedAt: number;
  ready: boolean;
  crashCount: number;
  fatalReason?: string;
  respawnTimer?: NodeJS.Timeout;
}

export function sendTo(child: ClusterWorker, message: SupervisorToChild): void {
  if (child.isDead() || !child.isConnected()) return;
  child.send(message, undefined, () => {
    // A child that died between the check and the send: its exit event handles it.
  });
}

export class Children {
  readonly slots = new Map<string, Slot>();
  readonly #byProcess = new Map<number, Slot>();
  /** Drained processes still finishing, no longer in any slot. */
  readonly retired = new Set<ClusterWorker>();
  readonly #readyWaiters = new Map<string, (() => void)[]>();

  add(id: string, role: Role, index: number): Slot {
    const slot: Slot = { id, role, index, forkedAt: 0, ready: false, crashCount: 0 };
    this.slots.set(id, slot);
    return slot;
  }

  fork(slot: Slot, env: Record<string, string>): void {
    slot.ready = false;
    slot.forkedAt = Date.now();
    delete slot.fatalReason;
    const child = cluster.fork(env);
    slot.process = child;
    this.#byProcess.set(child.id, slot);
  }

  /** The slot a process serves or served (a retired process still names its slot). */
  slotOf(child: ClusterWorker): Slot | undefined {
    return this.#byProcess.get(child.id);
  }

  /** Forget a process that exited. */
  exited(child: ClusterWorker): void {
    this.#byProcess.delete(child.id);
  }

  /** Keep a draining process apart from its slot until it exits (killed after `graceMs`). */
  retire(child: ClusterWorker, graceMs: number): void {
    this.retired.add(child);
    const grace = setTimeout(() => {
      if (!child.isDead()) child.process.kill('SIGKILL');
    }, graceMs);
    grace.unref();
    child.process.once('exit', () => {
      clearTimeout(grace);
      this.retired.delete(child);
    });
  }

  /** Every live child process, drained ones still finishing included. */
  alive(): ClusterWorker[] {
    return [...this.slots.values()].flatMap((slot) => (slot.process ? [slot.process] : [])).concat([...this.retired]).filter((child) => !child.isDead());
  }

  /** Send each child the message and wait for it to exit; kill what is left after `boundMs`. */
  async ended(children: readonly ClusterWorker[], message: SupervisorToChild, boundMs: number): Promise<void> {
    const exits = children.map((child) => new Promise<void>((resolve) => (child.isDead() ? resolve() : child.process.once('exit', () => resolve()))));
    for (const child of children) sendTo(child, message);
    const deadline = setTimeout(() => {
      for (const child of children) if (!child.isDead()) child.process.kill('SIGKILL');
    }, boundMs);
    await Promise.all(exits);
    clearTimeout(deadline);
  }

  /** The process of a worker that can take a connection now: ready, and its IPC channel open. */
  handoffProcess(workerId: string): ClusterWorker | undefined {
    const slot = this.slots.get(workerId);
    const child = slot?.process;
    return slot?.ready && child && !child.isDead() && child.isConnected() ? child : undefined;
  }

  markReady(slot: Slot): void {
    slot.ready = true;
    const waiters = this.#readyWaiters.get(slot.id) ?? [];
    this.#readyWaiters.delete(slot.id);
    for (const waiter of waiters) waiter();
  }

  /** Resolves the next time the slot reports ready. */
  nextReady(id: string): Promise<void> {
    return new Promise((resolve) => this.#readyWaiters.set(id, [...(this.#readyWaiters.get(id) ?? []), resolve]));
  }

  /** The membership to whoever routes: the front, or in single-port mode every worker's own front. */
  sendMembership(workers: WorkerInfo[], singlePort: boolean): void {
    const message: SupervisorToChild = { sioroute: 1, type: 'membership', workers };
    for (const slot of this.slots.values()) {
      if (slot.ready && slot.process && (singlePort ? slot.role === 'worker' : slot.role === 'front')) sendTo(slot.process, message);
    }
  }

  whenReady(slot: Slot): Promise<void> {
    return slot.ready ? Promise.resolve() : this.nextReady(slot.id);
  }
}

/** Worker processes to scrape: each ready slot's process, and drained ones still finishing. */
export function metricsSources(children: Children): RelayChild[] {
  const source = (child: ClusterWorker, name: string) => relayChild(child, name, (collectId) => sendTo(child, { sioroute: 1, type: 'metrics-collect', collectId }));
  const sources: RelayChild[] = [];
  for (const slot of children.slots.values()) {
    if (slot.role === 'worker' && slot.ready && slot.process) sources.push(source(slot.process, slot.id));
  }
  for (const old of children.retired) sources.push(source(old, `${children.slotOf(old)?.id ?? 'worker'} (draining)`));
  return sources;
}

/**
 * A child got SIGTERM. Sent to it alone, it is a restart of that child (a worker drains and is
 * replaced, the front closes and is respawned). Sent to the whole group (Ctrl-C, systemd,
 * `timeout`), the supervisor got it too within `windowMs`: its stop drains everyone, and nothing
 * is replaced.
 */
export function restartIfAlone(slot: Slot, signal: string, options: { running: () => boolean; windowMs: number; logger: Logger }): void {
  const child = slot.process;
  setTimeout(() => {
    if (!options.running() || !child || slot.process !== child) return;
    options.logger.info({ id: slot.id, signal }, `${slot.id} was signalled alone: restarting it`);
    sendTo(child, { sioroute: 1, type: slot.role === 'worker' ? 'drain' : 'shutdown' });
  }, options.windowMs).unref();
}
