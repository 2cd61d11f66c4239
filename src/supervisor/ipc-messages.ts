// Messages between the supervisor and its children over cluster IPC: a tagged union, and a guard
// that ignores anything else on the channel (the cluster adapter shares it).
import type { MetricsJson } from '../metrics/cluster-scrape.js';
import type { WorkerInfo } from '../registry/membership.js';

export type ChildToSupervisor =
  | { sioroute: 1; type: 'worker-ready'; id: string; index: number; port: number; pid: number }
  | { sioroute: 1; type: 'front-ready'; port: number; pid: number }
  | { sioroute: 1; type: 'heartbeat'; id: string; clients: number }
  /** The worker started draining: out of routing at once (it still serves its clients). */
  | { sioroute: 1; type: 'worker-leaving'; id: string }
  /** The worker is draining and has released its port: start the replacement. */
  | { sioroute: 1; type: 'worker-draining'; id: string }
  /** The child got SIGTERM: alone, it is restarted; as part of a signal to the whole group, the supervisor's stop goes on. */
  | { sioroute: 1; type: 'signalled'; signal: string }
  /** A start that cannot succeed (port taken, handlers module missing): the reason, for the user. */
  | { sioroute: 1; type: 'fatal'; reason: string }
  /** The front is scraped: collect every worker's metrics and answer with metrics-answer. */
  | { sioroute: 1; type: 'metrics-request'; requestId: number }
  /** A worker's own metrics, answering metrics-collect. */
  | { sioroute: 1; type: 'metrics-part'; collectId: number; metrics: MetricsJson };

export type SupervisorToChild =
  | { sioroute: 1; type: 'membership'; workers: WorkerInfo[] }
  /** Drain (rolling restart): move the clients away, then exit; the supervisor starts a replacement. */
  | { sioroute: 1; type: 'drain'; keepPort?: boolean }
  | { sioroute: 1; type: 'shutdown' }
  /** Single-port mode: the client connection travels as the message's handle; serve it. */
  | { sioroute: 1; type: 'connection' }
  /** To each worker: send your metrics (metrics-part). */
  | { sioroute: 1; type: 'metrics-collect'; collectId: number }
  /** To the front: the workers' metrics that arrived in time, and who did not answer. */
  | { sioroute: 1; type: 'metrics-answer'; requestId: number; parts: MetricsJson[]; unanswered: string[] };

const CHILD_TYPES = new Set(['worker-ready', 'front-ready', 'heartbeat', 'worker-leaving', 'worker-draining', 'signalled', 'fatal', 'metrics-request', 'metrics-part']);
const SUPERVISOR_TYPES = new Set(['membership', 'drain', 'shutdown', 'connection', 'metrics-collect', 'metrics-answer']);

function isTagged(message: unknown, types: Set<string>): boolean {
  return (
    typeof message === 'object' && message !== null &&
    (message as { sioroute?: unknown }).sioroute === 1 &&
    types.has((message as { type?: unknown }).type as string)
  );
}

export function isChildMessage(message: unknown): message is ChildToSupervisor {
  return isTagged(message, CHILD_TYPES);
}

export function isSupervisorMessage(message: unknown): message is SupervisorToChild {
  return isTagged(message, SUPERVISOR_TYPES);
}
