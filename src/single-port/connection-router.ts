// Single-port mode, in the primary: owns the public listening socket and hands every accepted
// connection, unread, to the worker that weighted rendezvous hashing picks for the client's address,
// which is the pick the front hands out for that address. The primary never reads a client byte
// (pauseOnConnect, then the socket itself travels over IPC), so nothing a client sends can reach
// the code here; what it does keep is bounded: connections waiting for a worker (count and time) and
// handles in flight to each worker (count).
import { createServer, type Server, type Socket } from 'node:net';
import { clientKey, type ClientKey } from '../routing/client-key.js';
import type { ConnectionRouterOptions, ConnectionRouterStats, HandoffTarget, Pending } from './handoff.js';
import { onceEvery } from '../net/once-a-second.js';
import type { RoutingTable } from '../routing/select-worker.js';
import { LISTEN_BACKLOG } from '../net/listen-backlog.js';

export type { ConnectionRouterOptions, ConnectionRouterStats, HandoffTarget } from './handoff.js';

const NOWHERE = '';
/** At most one warning of a kind per this many ms, with the count of those not logged. */
const WARN_EVERY_MS = 1000;

export class ConnectionRouter {
  readonly #opts: Required<Omit<ConnectionRouterOptions, 'logger' | 'membership' | 'targetOf' | 'keyOptions'>> & ConnectionRouterOptions;
  readonly #server: Server;
  readonly #queues = new Map<string, Set<Pending>>();
  readonly #inFlight = new Map<HandoffTarget, Set<Pending>>();
  /** Targets that failed a send or went away; a respawned worker is a new target. */
  readonly #broken = new WeakSet<HandoffTarget>();
  readonly #warners = new Map<string, (fields: Record<string, unknown>) => void>();
  readonly #stats = { accepted: 0, handedOff: 0, rerouted: 0, refusedQueueFull: 0, timedOut: 0, noAddress: 0, acceptErrors: 0 };
  #waiting = 0;
  #state: 'new' | 'listening' | 'closed' = 'new';
  #unsubscribe: (() => void) | undefined;
  #detour: { table: RoutingTable; without: string; rest: RoutingTable } | undefined;

  constructor(options: ConnectionRouterOptions) {
    this.#opts = { maxWaiting: 4096, waitTimeoutMs: 5000, maxInFlightPerWorker: 32, backlog: LISTEN_BACKLOG, ...options };
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket));
  }

  /** Listen; resolves with the bound port, rejects with the listen error (e.g. EADDRINUSE). */
  async listen(): Promise<number> {
    if (this.#state !== 'new') throw new Error(`connection router cannot listen: it is ${this.#state}`);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#opts.host, port: this.#opts.port, backlog: this.#opts.backlog }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#state = 'listening';
    // Accept errors (EMFILE, ENFILE, ECONNABORTED): the server keeps accepting once fds are free again.
    this.#server.on('error', (error: NodeJS.ErrnoException) => {
      this.#stats.acceptErrors++;
      this.#warn(`accept-${error.code ?? 'error'}`, { code: error.code }, 'accepting a connection failed; still listening');
    });
    this.#unsubscribe = this.#opts.membership.onChange(() => this.#rerouteWaiting());
    return (this.#server.address() as { port: number }).port;
  }

  /** Stop accepting and close every waiting connection. Handles already sent complete on their own. */
  close(): void {
    if (this.#state === 'closed') return;
    const wasListening = this.#state === 'listening';
    this.#state = 'closed';
    this.#unsubscribe?.();
    // No callback: with handles passed to workers, Node's server 'close' waits for those workers.
    if (wasListening) this.#server.close();
    for (const queue of this.#queues.values()) for (const pending of queue) this.#drop(pending);
    this.#queues.clear();
  }

  /** A worker process went away (exit, or its IPC channel closed): its unwritten handles go elsewhere. */
  targetGone(target: HandoffTarget): void {
    this.#broken.add(target);
    const flying = this.#inFlight.get(target);
    this.#inFlight.delete(target);
    for (const pending of flying ?? []) {
      pending.sends++;
      pending.target = undefined;
      this.#stats.rerouted++;
      this.#admit(pending, true);
    }
    this.#rerouteWaiting();
  }

  stats(): ConnectionRouterStats {
    let inFlight = 0;
    for (const set of this.#inFlight.values()) inFlight += set.size;
    return { ...this.#stats, waiting: this.#waiting, inFlight };
  }

  #onConnection(socket: Socket): void {
    this.#stats.accepted++;
    // Nothing is read, but a reset while waiting may still surface as an error on destroy.
    socket.on('error', () => {});
    if (this.#state !== 'listening') {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress;
    const key = address === undefined ? undefined : clientKey(address, this.#opts.keyOptions);
    if (key === undefined) {
      this.#stats.noAddress++;
      socket.destroy();
      return;
    }
    this.#admit({ socket, key, arrivedAt: Date.now(), queue: undefined, timer: undefined, target: undefined, sends: 0 }, false);
  }

  /** Send at once, or wait in the picked worker's queue; `force` skips the bound (already admitted). */
  #admit(pending: Pending, force: boolean): void {
    if (this.#state === 'closed') {
      pending.socket.destroy();
      return;
    }
    const target = this.#pick(pending.key);
    if (target !== undefined && (this.#inFlight.get(target)?.size ?? 0) < this.#opts.maxInFlightPerWorker) {
      this.#send(pending, target);
      return;
    }
    if (!force && this.#waiting >= this.#opts.maxWaiting) {
      this.#stats.refusedQueueFull++;
      this.#warn('queue-full', { waiting: this.#waiting }, 'connection closed at once: too many connections wait for a worker');
      pending.socket.destroy();
      return;
    }
    const queueName = target?.workerId ?? NOWHERE;
    let queue = this.#queues.get(queueName);
    if (!queue) this.#queues.set(queueName, (queue = new Set()));
    queue.add(pending);
    pending.queue = queueName;
    this.#waiting++;
    const left = Math.max(0, pending.arrivedAt + this.#opts.waitTimeoutMs - Date.now());
    pending.timer ??= setTimeout(() => this.#expire(pending), left);
  }

  #send(pending: Pending, target: HandoffTarget): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
    const send = ++pending.sends;
    pending.target = target;
    let flying = this.#inFlight.get(target);
    if (!flying) this.#inFlight.set(target, (flying = new Set()));
    flying.add(pending);
    const done = (error: Error | null) => {
      // Superseded: its worker went away and the connection was routed again.
      if (pending.sends !== send || pending.target !== target) return;
      pending.target = undefined;
      this.#inFlight.get(target)?.delete(pending);
      if (error) {
        // The worker died before the primary knew: the handle is still ours, so route it again.
        this.#broken.add(target);
        this.#stats.rerouted++;
        this.#warn('send-failed', { workerId: target.workerId, code: (error as NodeJS.ErrnoException).code }, 'handing a connection to a worker failed; routing it to another');
        this.#admit(pending, true);
        this.#rerouteWaiting();
        return;
      }
      // Sent with keepOpen: the worker has its own descriptor now; close the primary's.
      pending.socket.destroy();
      this.#stats.handedOff++;
      this.#sendQueued(target);
    };
    try {
      target.send(pending.socket, done);
    } catch (error) {
      done(error as Error);
    }
  }

  /** The worker the client's address hashes to, among those whose process can take it now. */
  #pick(key: ClientKey): HandoffTarget | undefined {
    const table = this.#opts.membership.routingTable();
    const id = table.select(key);
    if (id === undefined) return undefined;
    const target = this.#usable(id);
    if (target !== undefined) return target;
    // Membership still lists a process that is gone: pick among the rest, as routing will once it learns.
    const unusable = table.ids.filter((w) => this.#usable(w) === undefined);
    const without = unusable.join(',');
    if (this.#detour?.table !== table || this.#detour.without !== without) {
      this.#detour = { table, without, rest: this.#opts.membership.routingTableWithout(new Set(unusable)) };
    }
    const other = this.#detour.rest.select(key);
    return other === undefined ? undefined : this.#usable(other);
  }

  #usable(workerId: string): HandoffTarget | undefined {
    const target = this.#opts.targetOf(workerId);
    return target !== undefined && !this.#broken.has(target) ? target : undefined;
  }

  /** A handle to this worker was written: send the next ones waiting for it. */
  #sendQueued(target: HandoffTarget): void {
    const queue = this.#queues.get(target.workerId);
    if (!queue) return;
    // A snapshot: a connection put back into this queue must not be visited again in this pass.
    for (const pending of [...queue]) {
      if ((this.#inFlight.get(target)?.size ?? 0) >= this.#opts.maxInFlightPerWorker) return;
      this.#unqueue(pending);
      // Re-picked, not assumed: the worker's process may have changed meanwhile.
      this.#admit(pending, true);
    }
  }

  /** Membership changed, or a worker went away: every waiting connection is picked again. */
  #rerouteWaiting(): void {
    if (this.#waiting === 0) return;
    const all = [...this.#queues.values()].flatMap((queue) => [...queue]).sort((a, b) => a.arrivedAt - b.arrivedAt);
    for (const pending of all) {
      this.#unqueue(pending);
      this.#admit(pending, true);
    }
  }

  #unqueue(pending: Pending): void {
    if (pending.queue === undefined) return;
    const queue = this.#queues.get(pending.queue);
    queue?.delete(pending);
    if (queue?.size === 0) this.#queues.delete(pending.queue);
    pending.queue = undefined;
    this.#waiting--;
  }

  #expire(pending: Pending): void {
    pending.timer = undefined;
    if (pending.queue === undefined) return;
    this.#stats.timedOut++;
    this.#warn('wait-timeout', { waitedMs: Date.now() - pending.arrivedAt, noWorker: pending.queue === NOWHERE }, 'connection closed: no worker took it in time');
    this.#drop(pending);
  }

  #drop(pending: Pending): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
    this.#unqueue(pending);
    pending.socket.destroy();
  }

  /** Rate-limited: a flood must not turn into a flood of log lines. */
  /** At most one warning of a kind a second, with the count of those held back (src/net/once-a-second.ts). */
  #warn(kind: string, fields: Record<string, unknown>, message: string): void {
    let warn = this.#warners.get(kind);
    if (!warn) this.#warners.set(kind, (warn = onceEvery(this.#opts.logger, WARN_EVERY_MS, message)));
    warn(fields);
  }
}
