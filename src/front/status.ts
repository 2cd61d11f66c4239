// What /healthz and /status report, from the membership list and the routing answers. Pure.
import type { WorkerInfo } from '../registry/membership.js';

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  workers: { healthy: number; total: number };
}

export function healthOf(workers: readonly WorkerInfo[]): Health {
  const healthy = workers.filter((w) => w.state === 'ready').length;
  const total = workers.length;
  const status = healthy === 0 ? 'down' : healthy === total ? 'ok' : 'degraded';
  return { status, workers: { healthy, total } };
}

export interface WorkerStatus {
  id: string;
  index: number;
  port: number;
  pid: number;
  state: WorkerInfo['state'];
  weight: number;
  clients: number;
  /** Share of all connected clients, 0 to 1. */
  share: number;
  /** Routing answers (page or /ws-endpoint) this front gave naming the worker since it started. */
  routingAnswers: number;
  startedAt: string;
  lastSeenMsAgo: number;
}

export interface Status extends Health {
  clients: number;
  /** Routing answers of this front since it started, all workers together. */
  routingAnswers: number;
  /** When this picture was taken (ISO 8601). */
  at: string;
  list: WorkerStatus[];
}

export function statusOf(workers: readonly WorkerInfo[], now: number, answers: ReadonlyMap<string, number> = new Map()): Status {
  const clients = workers.reduce((sum, w) => sum + w.clients, 0);
  let routingAnswers = 0;
  for (const count of answers.values()) routingAnswers += count;
  return {
    ...healthOf(workers),
    clients,
    routingAnswers,
    at: new Date(now).toISOString(),
    list: workers.map((w) => ({
      id: w.id,
      index: w.index,
      port: w.port,
      pid: w.pid,
      state: w.state,
      weight: w.weight,
      clients: w.clients,
      share: clients === 0 ? 0 : w.clients / clients,
      routingAnswers: answers.get(w.id) ?? 0,
      startedAt: new Date(w.startedAt).toISOString(),
      lastSeenMsAgo: Math.max(0, now - w.lastSeenAt),
    })),
  };
}
