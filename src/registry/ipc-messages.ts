// Messages between the supervisor and its children over cluster IPC: a tagged union, and a guard
// that ignores anything else on the channel (the cluster adapter shares it).
import type { WorkerInfo } from './membership.js';

export type ChildToSupervisor =
  | { sioroute: 1; type: 'worker-ready'; id: string; index: number; port: number; pid: number }
  | { sioroute: 1; type: 'front-ready'; port: number; pid: number }
  | { sioroute: 1; type: 'heartbeat'; id: string; clients: number }
  /** The worker started draining: out of routing at once (it still serves its clients). */
  | { sioroute: 1; type: 'worker-leaving'; id: string }
  /** The worker is draining and has released its port: start the replacement. */
  | { sioroute: 1; type: 'worker-draining'; id: string }
  /** A start that cannot succeed (port taken, handlers module missing): the reason, for the user. */
  | { sioroute: 1; type: 'fatal'; reason: string };

export type SupervisorToChild =
  | { sioroute: 1; type: 'membership'; workers: WorkerInfo[] }
  /** Drain (rolling restart): move the clients away, then exit; the supervisor starts a replacement. */
  | { sioroute: 1; type: 'drain' }
  | { sioroute: 1; type: 'shutdown' }
  /** Single-port mode: the client connection travels as the message's handle; serve it. */
  | { sioroute: 1; type: 'connection' };

const CHILD_TYPES = new Set(['worker-ready', 'front-ready', 'heartbeat', 'worker-leaving', 'worker-draining', 'fatal']);
const SUPERVISOR_TYPES = new Set(['membership', 'drain', 'shutdown', 'connection']);

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
