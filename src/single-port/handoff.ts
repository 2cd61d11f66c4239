// What the single-port connection router works with: the worker processes it hands connections
// to, its options and the counts it keeps.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Membership } from '../registry/membership.js';
import type { ClientKey, ClientKeyOptions } from '../routing/client-key.js';

/** One worker process that can take a connection. A new process of the same slot is a new target. */
export interface HandoffTarget {
  readonly workerId: string;
  /** Pass the socket over IPC; `done` runs once it is written to the channel (null) or could not be (error). */
  send(socket: Socket, done: (error: Error | null) => void): void;
}

export interface ConnectionRouterOptions {
  readonly host: string;
  /** 0 picks a free one. */
  readonly port: number;
  readonly keyOptions: ClientKeyOptions;
  /** Its routing table decides; a change of it re-routes every waiting connection. */
  readonly membership: Membership;
  /** The process of a worker that can take connections now, or undefined (not ready, gone). */
  readonly targetOf: (workerId: string) => HandoffTarget | undefined;
  readonly logger: Logger;
  /**
   * Connections held while no worker can take them (none ready, or its handles in flight are at the
   * limit): a burst of connects arrives faster than handles can be passed (one per worker per
   * round trip), and each held connection costs the primary one descriptor and some 10 KB.
   * @default 4096
   */
  readonly maxWaiting?: number;
  /** A connection held this long is closed; its client retries. @default 5000 */
  readonly waitTimeoutMs?: number;
  /**
   * Handles sent to one worker and not yet written to its channel. Node passes handles one at a
   * time (each waits for the worker's acknowledgement) and queues the rest, and every other IPC
   * message to that worker (broadcasts, membership) queues behind them: keep the queue short. @default 32
   */
  readonly maxInFlightPerWorker?: number;
  /** @default 1024 */
  readonly backlog?: number;
}

export interface ConnectionRouterStats {
  accepted: number;
  handedOff: number;
  /** Sends that failed or whose worker went away before the handle was written, routed again. */
  rerouted: number;
  /** Closed at once: the waiting queue was full. */
  refusedQueueFull: number;
  /** Closed after waiting waitTimeoutMs for a worker. */
  timedOut: number;
  /** Closed at once: no usable peer address (the client was already gone). */
  noAddress: number;
  acceptErrors: number;
  waiting: number;
  inFlight: number;
}

/** A connection the router holds: waiting for a worker, or on its way to one. */
export interface Pending {
  readonly socket: Socket;
  readonly key: ClientKey;
  readonly arrivedAt: number;
  /** The worker whose queue holds it ('' when no worker is routable), while waiting. */
  queue: string | undefined;
  timer: NodeJS.Timeout | undefined;
  /** While a send is under way. */
  target: HandoffTarget | undefined;
  /** Which send is current: the late callback of a superseded one is ignored. */
  sends: number;
}
