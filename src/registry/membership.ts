// Who is alive: the set of workers with their state, and the routing table of the routable ones,
// rebuilt only when membership changes (not per request).
import { createRoutingTable, updateRoutingTable, type RoutingTable } from '../routing/select-worker.js';

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
  /**
   * The worker's own address template ({id} {index} {port} already filled) when it runs as a
   * separate service; the front's WORKER_PUBLIC_URL applies when absent (embedded mode).
   */
  readonly publicUrl?: string;
}

/** What the routing table, the handed-out addresses or the page's CSP depend on. */
function routingDiffers(a: WorkerInfo, b: WorkerInfo): boolean {
  return a.state !== b.state || a.weight !== b.weight || a.port !== b.port || a.index !== b.index || a.publicUrl !== b.publicUrl;
}

export class Membership {
  #workers = new Map<string, WorkerInfo>();
  #table: RoutingTable | undefined;
  /** The table before the last change, to build the next one from. */
  #last: RoutingTable | undefined;
  #listeners = new Set<() => void>();

  list(): WorkerInfo[] {
    return [...this.#workers.values()].sort((a, b) => a.index - b.index);
  }

  get(id: string): WorkerInfo | undefined {
    return this.#workers.get(id);
  }

  /** The table over workers that may take new clients (ready: not starting, draining or unhealthy). */
  routingTable(): RoutingTable {
    // From the last table: it keeps what it knew of buckets a change leaves alone (cheap at 1,000 workers).
    this.#table ??= this.#tableOf(() => true, this.#last);
    this.#last = this.#table;
    return this.#table;
  }

  /**
   * The same table without some workers: for a primary that found a worker's process gone before
   * the membership did. Built on each call (rare); the picks among the rest are the ones
   * routingTable() gives once those workers have left.
   */
  routingTableWithout(ids: ReadonlySet<string>): RoutingTable {
    return this.#tableOf((w) => !ids.has(w.id), this.routingTable());
  }

  #tableOf(include: (worker: WorkerInfo) => boolean, from: RoutingTable | undefined): RoutingTable {
    const workers = this.list().filter((w) => w.state === 'ready' && include(w)).map((w) => ({ id: w.id, weight: w.weight }));
    return from ? updateRoutingTable(from, workers) : createRoutingTable(workers);
  }

  upsert(worker: WorkerInfo): void {
    const previous = this.#workers.get(worker.id);
    this.#workers.set(worker.id, worker);
    if (!previous || routingDiffers(previous, worker)) this.#changed();
  }

  remove(id: string): void {
    if (this.#workers.delete(id)) this.#changed();
  }

  /** Replace everything (a mirror receiving a snapshot); listeners hear of it only when routing changes. */
  replace(workers: readonly WorkerInfo[]): void {
    const next = new Map(workers.map((w) => [w.id, w]));
    const changed = next.size !== this.#workers.size || [...next.values()].some((w) => {
      const previous = this.#workers.get(w.id);
      return !previous || routingDiffers(previous, w);
    });
    this.#workers = next;
    if (changed) this.#changed();
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
