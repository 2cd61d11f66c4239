// Test support: a Node client with the browser client's life cycle (src/client/routed-socket.ts):
// resolve through the front, connect directly, on loss or drain re-resolve avoiding the lost
// worker, and resend every emit that was not acknowledged (at least once). For fault tests that
// need hundreds of clients from distinct loopback addresses.
import { DRAIN_EVENT } from '../protocol/wire.js';
import { connectTo, resolveEndpoint, type DemoSocket } from './clients.js';

interface Pending {
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  inFlight: boolean;
  /** Which send is current: a late failure of an earlier send must not trigger another. */
  sends: number;
}

export interface RehomingStats {
  /** Moves after a drain notice or a server-side disconnect. */
  drained: number;
  /** Moves after losing the worker (crash, network). */
  lost: number;
  /** Resends of emits whose ack did not come. */
  resends: number;
}

export class RehomingClient {
  readonly stats: RehomingStats = { drained: 0, lost: 0, resends: 0 };
  workerId: string | undefined;
  /** When the current connection was made (epoch ms). */
  connectedAt = 0;
  #socket: DemoSocket | undefined;
  #pending: Pending[] = [];
  #closed = false;
  #connecting: Promise<void> | undefined;

  constructor(
    readonly frontUrl: string,
    readonly localAddress: string,
    readonly transports: ('polling' | 'websocket')[] = ['websocket'],
  ) {}

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Resolve and connect; retries (bounded) until connected. */
  start(avoid?: string): Promise<void> {
    this.#connecting ??= this.#connect(avoid).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(lost: string | undefined): Promise<void> {
    // Like the browser client: avoid every worker that failed since the last connection (up to 4).
    const avoid = lost === undefined ? [] : [lost];
    for (let attempt = 0; !this.#closed; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(2000, 100 * 2 ** attempt)));
      if (attempt > 40) throw new Error(`${this.localAddress}: could not reconnect after ${attempt} attempts`);
      try {
        const endpoint = await resolveEndpoint(this.frontUrl, this.localAddress, avoid.length > 0 ? avoid.slice(-4).join(',') : undefined);
        if (!avoid.includes(endpoint.workerId)) avoid.push(endpoint.workerId);
        const socket = await connectTo(endpoint, { localAddress: this.localAddress, transports: this.transports });
        if (this.#closed) {
          socket.close();
          return;
        }
        this.#attach(socket, endpoint.workerId);
        return;
      } catch {
        // Try again: the front may not know yet, or the worker went away meanwhile.
      }
    }
  }

  #attach(socket: DemoSocket, workerId: string): void {
    this.#socket = socket;
    this.workerId = workerId;
    this.connectedAt = Date.now();
    let moved = false;
    const move = (isDrain: boolean) => {
      if (moved || this.#closed) return;
      moved = true;
      this.#socket = undefined;
      for (const p of this.#pending) p.inFlight = false;
      if (isDrain) this.stats.drained++;
      else this.stats.lost++;
      // Like the browser client: after a drain no avoid hint (the slot's replacement takes it back).
      void this.start(isDrain ? undefined : workerId).then(() => this.#flush());
    };
    // Like the browser client: a drain notice is a move, made at once (behind a proxy, the next poll
    // may already reach the replacement, which does not know this session).
    socket.on(DRAIN_EVENT, () => {
      move(true);
      socket.close();
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      move(reason === 'io server disconnect');
    });
    this.#flush();
  }

  /** Emit `echo` and resolve with its ack; sent again after a move until acknowledged. */
  echo(payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ args: [payload], resolve, reject, inFlight: false, sends: 0 });
      this.#flush();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    if (!socket?.connected) return;
    for (const p of this.#pending) {
      if (p.inFlight) continue;
      p.inFlight = true;
      const send = ++p.sends;
      socket
        .timeout(5000)
        .emitWithAck('echo', p.args[0])
        .then(
          (value) => {
            this.#pending = this.#pending.filter((q) => q !== p);
            p.resolve(value);
          },
          () => {
            if (send !== p.sends || !p.inFlight) return;
            p.inFlight = false;
            this.stats.resends++;
            this.#flush();
          },
        );
    }
  }

  close(): void {
    this.#closed = true;
    this.#socket?.close();
    for (const p of this.#pending) p.reject(new Error('client closed'));
    this.#pending = [];
  }
}
