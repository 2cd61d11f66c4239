// What a worker running as a separate service says about itself: the value it keeps in Redis and
// the body of its /healthz. Pure. Fronts read records written by other processes (and, in static
// mode, fetched over the network), so parsing checks every field instead of trusting a cast.
import { checkWorkerUrlTemplate } from '../routing/worker-address.js';
import type { WorkerInfo, WorkerState } from './membership.js';

export interface WorkerRecord {
  readonly id: string;
  readonly index: number;
  readonly port: number;
  /** The worker's address template with {id} {index} {port} filled in. */
  readonly publicUrl: string;
  readonly weight: number;
  readonly state: Extract<WorkerState, 'ready' | 'draining'>;
  readonly clients: number;
  readonly pid: number;
  readonly startedAt: number;
  /** Random per process: tells a restarted or duplicate worker with the same id apart. */
  readonly instance: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A record from untrusted JSON text, or undefined when anything is missing or out of range. */
export function parseWorkerRecord(text: string | null | undefined): WorkerRecord | undefined {
  if (typeof text !== 'string' || text.length > 4096) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return checkWorkerRecord(value);
}

export function checkWorkerRecord(value: unknown): WorkerRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    typeof r.id === 'string' && ID.test(r.id) &&
    isCount(r.index) && isCount(r.port) && r.port <= 65535 &&
    typeof r.publicUrl === 'string' && r.publicUrl.length <= 512 && checkWorkerUrlTemplate(r.publicUrl) === undefined &&
    typeof r.weight === 'number' && r.weight > 0 && r.weight <= 1000 &&
    (r.state === 'ready' || r.state === 'draining') &&
    isCount(r.clients) && isCount(r.pid) && isCount(r.startedAt) &&
    typeof r.instance === 'string' && r.instance.length > 0 && r.instance.length <= 64;
  if (!ok) return undefined;
  return {
    id: r.id as string, index: r.index as number, port: r.port as number, publicUrl: r.publicUrl as string,
    weight: r.weight as number, state: r.state as WorkerRecord['state'], clients: r.clients as number,
    pid: r.pid as number, startedAt: r.startedAt as number, instance: r.instance as string,
  };
}

export function workerInfoFromRecord(record: WorkerRecord, lastSeenAt: number): WorkerInfo {
  return {
    id: record.id, index: record.index, port: record.port, pid: record.pid, state: record.state,
    weight: record.weight, clients: record.clients, startedAt: record.startedAt, lastSeenAt, publicUrl: record.publicUrl,
  };
}
