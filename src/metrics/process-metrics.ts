// prom-client's default process metrics (CPU, memory, event loop lag, GC, handles) on a given
// registry, labelled with the process's role (and worker id), so the aggregate of the embedded
// cluster keeps one series per process instead of adding the front's memory to a worker's.
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { buildInfo } from './build-info.js';

export interface ProcessLabels {
  readonly role: 'front' | 'worker';
  /** The worker's slot id, for workers. */
  readonly worker?: string;
}

export function collectProcessMetrics(registry: Registry, labels: ProcessLabels): void {
  collectDefaultMetrics({ register: registry, labels: { ...labels } });
  buildInfo(registry);
}
