// What happened to the children, for operators: crashes, respawns and drains by slot. Kept by the
// supervisor (the only one who sees them) and added to every cluster scrape as one more part.
import { Counter, Registry } from 'prom-client';
import type { MetricsJson } from '../metrics/cluster-scrape.js';

export class LifecycleMetrics {
  readonly #registry = new Registry();
  readonly #crashes = new Counter({ name: 'sioroute_process_crashes_total', help: 'Children (front or worker) that exited without being asked to, by slot', labelNames: ['slot'], registers: [this.#registry] });
  readonly #respawns = new Counter({ name: 'sioroute_process_respawns_total', help: 'Children started again after a crash, by slot', labelNames: ['slot'], registers: [this.#registry] });
  readonly #drains = new Counter({ name: 'sioroute_worker_drains_total', help: 'Workers that drained (a rolling restart, a SIGTERM to one worker), by slot', labelNames: ['slot'], registers: [this.#registry] });

  crashed(slot: string): void {
    this.#crashes.inc({ slot });
  }
  respawned(slot: string): void {
    this.#respawns.inc({ slot });
  }
  drained(slot: string): void {
    this.#drains.inc({ slot });
  }
  /** Zero for each slot, so a series exists before the first event. */
  known(slot: string): void {
    for (const counter of [this.#crashes, this.#respawns, this.#drains]) counter.inc({ slot }, 0);
  }
  json(): Promise<MetricsJson> {
    return this.#registry.getMetricsAsJSON();
  }
}
