// The supervisor's part in a cluster scrape: ask every live worker process for its metrics, gather
// what arrives within a bounded time, and hand it on. It only relays data; the front aggregates,
// so nothing here parses metrics (the supervisor stays small and hard to crash).
import type { MetricsJson } from '../metrics/cluster-scrape.js';

export interface RelayChild {
  /** The cluster worker id of the process. */
  readonly key: number;
  /** Shown when it does not answer, e.g. `w1` or `w1 (draining)`. */
  readonly name: string;
  /** Sends metrics-collect with this id; false when the process cannot be reached. */
  readonly ask: (collectId: number) => boolean;
}

interface Collection {
  readonly parts: MetricsJson[];
  /** Asked and not answered yet, by key. */
  readonly waiting: Map<number, string>;
  /** Could not be asked at all. */
  readonly unreachable: string[];
  readonly done: (parts: MetricsJson[], unanswered: string[]) => void;
  timer?: NodeJS.Timeout;
}

export class MetricsRelay {
  readonly #timeoutMs: number;
  #nextId = 1;
  #collections = new Map<number, Collection>();

  /** @param timeoutMs how long to wait for the workers. @default 1500 */
  constructor(timeoutMs = 1500) {
    this.#timeoutMs = timeoutMs;
  }

  collect(children: readonly RelayChild[], done: (parts: MetricsJson[], unanswered: string[]) => void): void {
    const id = this.#nextId++;
    const collection: Collection = { parts: [], waiting: new Map(), unreachable: [], done };
    this.#collections.set(id, collection);
    for (const child of children) {
      if (child.ask(id)) collection.waiting.set(child.key, child.name);
      else collection.unreachable.push(child.name);
    }
    if (collection.waiting.size === 0) this.#finish(id);
    else collection.timer = setTimeout(() => this.#finish(id), this.#timeoutMs);
  }

  /** A worker answered; parts for unknown or finished collections are dropped. */
  onPart(from: number, collectId: number, metrics: MetricsJson): void {
    const collection = this.#collections.get(collectId);
    if (!collection || !collection.waiting.delete(from)) return;
    collection.parts.push(metrics);
    if (collection.waiting.size === 0) this.#finish(collectId);
  }

  /** Finish every pending collection now (on shutdown), with what arrived. */
  stop(): void {
    for (const id of [...this.#collections.keys()]) this.#finish(id);
  }

  #finish(id: number): void {
    const collection = this.#collections.get(id);
    if (!collection) return;
    this.#collections.delete(id);
    clearTimeout(collection.timer);
    collection.done(collection.parts, [...collection.unreachable, ...collection.waiting.values()]);
  }
}

/** A worker process as a metrics source: asked over IPC while it is alive and connected. */
export function relayChild(child: import('node:cluster').Worker, name: string, ask: (collectId: number) => void): RelayChild {
  return {
    key: child.id,
    name,
    ask: (collectId) => {
      if (child.isDead() || !child.isConnected()) return false;
      ask(collectId);
      return true;
    },
  };
}
