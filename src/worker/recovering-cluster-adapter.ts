// The embedded mode's adapter: @socket.io/cluster-adapter (broadcasts cross the workers over the
// supervisor's IPC) plus connection state recovery for blips on the same worker, which the cluster
// adapter lacks. Every broadcast delivered here, sent here or by another worker, gets an offset
// and goes into this worker's SessionLog; a client that comes back here within the limit gets its
// session, its rooms and what it missed. A client that moves to another worker starts afresh.
import { NodeClusterAdapter } from '@socket.io/cluster-adapter';
import { Adapter, MessageType, type BroadcastOptions, type ClusterMessage, type PrivateSessionId, type Session } from 'socket.io-adapter';
import { SessionLog } from './session-log.js';

const EVENT = 2;

/** A packet whose offset a client can take up again: an event, without ack, not volatile. */
function recoverable(packet: { type: number; id?: number; data: unknown[] }, volatile: boolean | undefined): boolean {
  return packet.type === EVENT && packet.id === undefined && !volatile;
}

export class RecoveringClusterAdapter extends NodeClusterAdapter {
  readonly #log: SessionLog;
  readonly #timer: NodeJS.Timeout;

  constructor(nsp: ConstructorParameters<typeof NodeClusterAdapter>[0], maxDisconnectionMs: number) {
    super(nsp);
    this.#log = new SessionLog({ maxDisconnectionMs });
    this.#timer = setInterval(() => this.#log.expire(Date.now()), 60_000);
    this.#timer.unref();
  }

  // The offset the cluster adapter appends to a local broadcast is the one publishing returns.
  protected override async doPublish(message: ClusterMessage & { source: string }): Promise<string> {
    await super.doPublish(message);
    return this.#log.nextOffset();
  }

  override async broadcast(packet: { type: number; id?: number; data: unknown[] }, opts: BroadcastOptions): Promise<void> {
    // With recovery on, socket.io sends every socket.emit through the adapter, to the socket's own
    // room. That socket is here: deliver it now (in order with what follows, a disconnect too), and
    // tell no other worker. The cluster adapter would publish it to all of them first.
    const [only, more] = opts.rooms;
    if (only !== undefined && more === undefined && !opts.flags?.local && this.nsp.sockets.has(only)) {
      if (recoverable(packet, opts.flags?.volatile)) {
        packet.data.push(this.#log.nextOffset());
        this.#record(packet.data, opts.rooms, opts.except ?? new Set());
      }
      Adapter.prototype.broadcast.call(this, packet, opts);
      return;
    }
    await super.broadcast(packet, opts);
    if (!opts.flags?.local && recoverable(packet, opts.flags?.volatile)) this.#record(packet.data, opts.rooms, opts.except ?? new Set());
  }

  // Another worker's broadcast arrives without an offset: this worker gives it one of its own.
  override onMessage(message: ClusterMessage, offset?: string): void {
    if (message.type !== MessageType.BROADCAST) return super.onMessage(message, offset);
    const own = this.#log.nextOffset();
    super.onMessage(message, own);
    const { packet, opts } = (message as { data: { packet: { type: number; id?: number; data: unknown[] }; opts: { rooms: string[]; except: string[]; flags?: { volatile?: boolean } } } }).data;
    if (packet.data.at(-1) === own && recoverable(packet, opts.flags?.volatile)) this.#record(packet.data, opts.rooms, opts.except);
  }

  override persistSession(session: { sid: string; pid: string; rooms: string[]; data: unknown }): void {
    this.#log.persist(session, Date.now());
  }

  override restoreSession(pid: PrivateSessionId, offset: string): Promise<Session> {
    return Promise.resolve(this.#log.restore(pid, offset, Date.now()) as Session);
  }

  override close(): void {
    clearInterval(this.#timer);
    void super.close();
  }

  #record(data: unknown[], rooms: Iterable<string>, except: Iterable<string>): void {
    const id = data.at(-1);
    if (typeof id === 'string') this.#log.record(id, rooms, except, data, Date.now());
  }
}

/** What to pass as socket.io's `adapter`: socket.io calls it with `new`, so not an arrow function. */
export function createRecoveringClusterAdapter(maxDisconnectionMs: number) {
  return function recoveringClusterAdapter(nsp: ConstructorParameters<typeof NodeClusterAdapter>[0]) {
    return new RecoveringClusterAdapter(nsp, maxDisconnectionMs);
  };
}
