// A worker's own metrics, defined on a registry the caller owns: connected clients, admissions and
// refused admissions by code. Every series carries the worker's id, so the aggregate of the
// embedded cluster keeps one series per worker; a standalone worker scraped on its own port reads
// the same names.
import { Counter, Gauge, type Registry } from 'prom-client';
import { ADMISSION_ERROR_CODES, type AdmissionErrorCode } from '../protocol/wire.js';

export interface WorkerMetrics {
  /** A socket was admitted to a namespace. */
  admitted(): void;
  /** A socket was refused admission with this code. */
  refused(code: AdmissionErrorCode): void;
}

export interface WorkerMetricsOptions {
  readonly workerId: string;
  /** Connected clients now; read at scrape time. */
  readonly clients: () => number;
}

export function createWorkerMetrics(registry: Registry, options: WorkerMetricsOptions): WorkerMetrics {
  const registers = [registry];
  const worker = options.workerId;
  new Gauge({
    name: 'sioroute_worker_clients',
    help: 'Clients connected to the worker (engine.io sessions)',
    labelNames: ['worker'],
    registers,
    collect() {
      this.set({ worker }, options.clients());
    },
  });
  const admitted = new Counter({
    name: 'sioroute_admissions_total',
    help: 'Sockets admitted to a namespace with a valid routing token',
    labelNames: ['worker'],
    registers,
  }).labels(worker);
  admitted.inc(0);
  const refusedCounter = new Counter({
    name: 'sioroute_admissions_refused_total',
    help: 'Sockets refused admission, by code',
    labelNames: ['worker', 'code'],
    registers,
  });
  // Every code from the start (at 0), so rate() sees the first refusal.
  const refused = new Map(ADMISSION_ERROR_CODES.map((code) => [code, refusedCounter.labels(worker, code)]));
  for (const child of refused.values()) child.inc(0);
  return {
    admitted: () => admitted.inc(),
    refused: (code) => refused.get(code)?.inc(),
  };
}
