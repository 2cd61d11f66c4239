// Who is alive: the set of workers with their state, and the routing table of the routable ones,
// rebuilt only when membership changes (not per request).
import { createRoutingTable, type RoutingTable } from '../routing/select-worker.js';

export const WORKER_STATES = ['starting', 'ready', 'draining', 'unhealthy'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface WorkerInfo {
  readonly id: string;
  readonly index: number;
  readonly port: number;
  readonly pid: number;
  readonly state: WorkerState;
  readonly weight: number;
  /** Connected clients at the last heartbeat. */
  readonly clients: number;
  /** Epoch ms when this process of the slot started listening. */
  readonly startedAt: number;
  /** Epoch ms of the last heartbeat. */
  readonly lastSeenAt: number;
}

export class Membership {
  #workers = new Map<string, WorkerInfo>();
  #table: RoutingTable | undefined;
  #listeners = new Set<() => void>();

  list(): WorkerInfo[] {
    return [...this.#workers.values()].sort((a, b) => a.index - b.index);
  }

  get(id: string): WorkerInfo | undefined {
    return this.#workers.get(id);
  }

  /** The table over workers that may take new clients (ready: not starting, draining or unhealthy). */
  routingTable(): RoutingTable {
    this.#table ??= createRoutingTable(this.list().filter((w) => w.state === 'ready').map((w) => ({ id: w.id, weight: w.weight })));
    return this.#table;
  }

  upsert(worker: WorkerInfo): void {
    const previous = this.#workers.get(worker.id);
    this.#workers.set(worker.id, worker);
    if (!previous || previous.state !== worker.state || previous.weight !== worker.weight) this.#changed();
  }

  remove(id: string): void {
    if (this.#workers.delete(id)) this.#changed();
  }

  /** Replace everything (a mirror receiving a snapshot). */
  replace(workers: readonly WorkerInfo[]): void {
    this.#workers = new Map(workers.map((w) => [w.id, w]));
    this.#changed();
  }

  /** Called after every change of the routable set. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.#table = undefined;
    for (const listener of this.#listeners) listener();
  }
}
