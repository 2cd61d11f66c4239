// The client side of server-side routing: resolve a worker, connect to it directly, and on any
// loss resolve again instead of letting socket.io reconnect to the same (maybe dead) address.
// No DOM use here, so it runs in browsers (bundled) and in Node alike.
import type { Socket } from 'socket.io-client';
import { DRAIN_EVENT, type ClientToServerEvents, type ServerToClientEvents, type WsEndpoint } from '../protocol/wire.js';
import { AckQueue } from './ack-queue.js';
import { resolveEndpoint, type FetchLike, type RoutedSocketError } from './resolve-endpoint.js';
import { guarded, Listeners } from './listeners.js';
import { afterConnectError, afterDisconnect, BLIP_CONNECT_TIMEOUT_MS, nextAvoid, openSocket, retryDelayMs, websocketHung, type Outcome } from './connect-attempt.js';
import type { AckValue, EmitArgs, EventsMap, Handler, Params, RoutedSocketEvents, RoutedSocketInfo, RoutedSocketOptions, RoutedSocketState } from './routed-socket-options.js';

export type * from './routed-socket-options.js';

const FRESH_TOKEN_MARGIN_MS = 5_000;
export class RoutedSocket<L extends EventsMap = ServerToClientEvents, E extends EventsMap = ClientToServerEvents> {
  readonly #options: RoutedSocketOptions;
  readonly #fetch: FetchLike;
  readonly #listeners = new Listeners();
  readonly #acks: AckQueue;
  #initialEndpoint: WsEndpoint | null;
  #socket: Socket | null = null;
  #endpoint: WsEndpoint | null = null;
  #state: RoutedSocketState = 'idle';
  #workerId: string | null = null;
  #transport: string | null = null;
  #failures = 0;
  #error: RoutedSocketError | null = null;
  /** Workers that failed since the last connection (newest last): a host that goes down takes all its workers with it. */
  #avoid: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Plain emits made while no connection was live, sent once on the next connect. */
  #buffered: unknown[][] = [];
  /** A WebSocket attempt hung here once: later attempts start with polling (unless the application chose). */
  #pollingFirst = false;

  constructor(options: RoutedSocketOptions = {}) {
    this.#options = options;
    this.#initialEndpoint = options.initialEndpoint ?? null;
    // Called through a closure: a bare `window.fetch` stored on an object throws "Illegal invocation".
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#acks = new AckQueue({ ackTimeoutMs: options.ackTimeoutMs ?? 10_000, maxResends: options.maxResends ?? 5 });
    if (options.autoConnect !== false) this.connect();
  }

  get state(): RoutedSocketState { return this.#state; }
  /** The socket.io id of the live connection. */
  get id(): string | undefined { return this.#socket?.connected ? this.#socket.id : undefined; }
  get connected(): boolean { return this.#state === 'connected'; }
  /** Whether the live connection recovered its session (socket.io connection state recovery). */
  get recovered(): boolean { return this.#socket?.recovered ?? false; }
  /** The live socket.io-client Socket, for what this class does not wrap; null between connections. */
  get socket(): Socket | null { return this.#socket; }
  get currentWorkerId(): string | null { return this.#workerId; }
  get transport(): string | null { return this.#transport; }
  get info(): RoutedSocketInfo { return { workerId: this.#workerId, transport: this.#transport, failures: this.#failures, error: this.#error }; }

  /** Open the connection (after `autoConnect: false`, or again after `close()`). */
  connect(): this {
    if (this.#state !== 'idle' && this.#state !== 'closed') return this;
    this.#setState('connecting');
    // Deferred, so the caller holds the instance (and adds listeners) before the first attempt.
    this.#timer = setTimeout(() => void this.#tryConnect(), 0);
    return this;
  }

  /** Listen to a server event on every connection this client opens, or to a lifecycle event. */
  on<K extends keyof (L & RoutedSocketEvents) & string>(event: K, handler: (L & RoutedSocketEvents)[K]): this {
    this.#listeners.add(event, handler as Handler, (name, h) => this.#socket?.on(name, h));
    return this;
  }

  /** Remove one listener, or every listener of the event. */
  off<K extends keyof (L & RoutedSocketEvents) & string>(event: K, handler?: (L & RoutedSocketEvents)[K]): this {
    this.#listeners.remove(event, handler as Handler | undefined, (name, h) => this.#socket?.off(name, h));
    return this;
  }

  /** Send once, like socket.io's emit: buffered while no connection is live, never resent. */
  emit<K extends keyof E & string>(event: K, ...args: Params<E[K]>): this {
    const socket = this.#socket;
    if (this.#state === 'connected' && socket?.connected) socket.emit(event, ...args);
    else if (this.#state !== 'closed') this.#buffered.push([event, ...args]);
    return this;
  }

  /**
   * Send and resolve with the server's ack. Delivery is at-least-once: an emit whose ack did not
   * arrive (timeout or lost connection) is sent again, on the next worker if need be, so the server
   * may see it twice. Rejects only on `close()` or after `maxResends` failed resends.
   */
  emitWithAck<K extends keyof E & string>(event: K, ...args: EmitArgs<E[K]>): Promise<AckValue<E[K]>> {
    if (this.#state === 'closed') return Promise.reject(new Error('routed socket is closed'));
    return this.#acks.add(event, args) as Promise<AckValue<E[K]>>;
  }

  /** Client-initiated close: no reconnect; pending `emitWithAck`s reject. `connect()` opens again. */
  close(): this {
    if (this.#state === 'closed') return this;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = null;
    socket?.disconnect();
    this.#workerId = null;
    this.#transport = null;
    this.#buffered = [];
    this.#acks.rejectAll('routed socket closed');
    this.#setState('closed');
    return this;
  }

  /** Same as `close()`, named as socket.io names it. */
  disconnect(): this {
    return this.close();
  }

  async #tryConnect(): Promise<void> {
    this.#timer = undefined;
    const initial = this.#initialEndpoint;
    this.#initialEndpoint = null;
    let endpoint: WsEndpoint;
    if (initial && initial.expiresAt - Date.now() > FRESH_TOKEN_MARGIN_MS) {
      endpoint = initial;
    } else {
      const resolved = await resolveEndpoint(this.#fetch, this.#options.endpointUrl ?? '/ws-endpoint', this.#avoid);
      if (this.#state === 'closed') return;
      if ('error' in resolved) return this.#failed(resolved.error, resolved.retryAfterMs);
      endpoint = resolved.endpoint;
    }
    this.#connect(endpoint);
  }

  #connect(endpoint: WsEndpoint): void {
    const socket = openSocket(endpoint, this.#options, this.#pollingFirst);
    this.#socket = socket;
    let engineOpened = false;
    socket.io.on('open', () => (engineOpened = true));
    this.#endpoint = endpoint;
    for (const [event, h] of this.#listeners.serverEvents()) socket.on(event, h);

    socket.io.engine.on('upgrade', (transport) => {
      // Before `connect` the name is read on connect instead.
      if (socket !== this.#socket || !socket.connected) return;
      this.#transport = transport.name;
      this.#notify();
    });
    socket.on('connect', () => {
      if (socket !== this.#socket) return;
      this.#failures = 0;
      this.#error = null;
      this.#avoid = [];
      this.#workerId = endpoint.workerId;
      this.#transport = socket.io.engine.transport.name;
      this.#setState('connected');
      this.#fire('connect');
      for (const [event, ...args] of this.#buffered.splice(0)) socket.emit(event as string, ...args);
      this.#acks.flush(socket);
    });
    // A draining worker says so before it lets the client go: that is a move, not a failure. Move at
    // once: behind a proxy, a polling client's next request may already reach the slot's replacement.
    let draining = false;
    let blipped = false;
    socket.on(DRAIN_EVENT, () => {
      draining = true;
      act({ kind: 'rehome' }, 'worker draining');
    });
    const act = (outcome: Outcome, reason: string) => {
      if (outcome.kind === 'rehome') this.#rehome(socket, reason);
      else if (outcome.kind === 'lost') this.#lost(socket, outcome.error, outcome.avoidWorker);
      else if (outcome.kind === 'retry-same') {
        blipped = true;
        this.#retrySame(socket, reason);
      }
    };
    socket.on('connect_error', (err) => {
      if (socket === this.#socket && websocketHung(err.message, engineOpened)) this.#pollingFirst = true;
      act(afterConnectError((err as { data?: { code?: unknown } }).data?.code, err.message), 'worker draining');
    });
    const tokenFresh = () => endpoint.expiresAt - Date.now() > FRESH_TOKEN_MARGIN_MS;
    socket.on('disconnect', (reason) => act(afterDisconnect(reason, { draining, blipped, tokenFresh: tokenFresh() }), reason));
    socket.on('connect', () => (blipped = false));
  }

  /** A blip: the worker may well be up. Try it once more with the same socket (its session id and last offset). */
  #retrySame(socket: Socket, reason: string): void {
    this.#workerId = null;
    this.#transport = null;
    this.#setState('reconnecting');
    this.#fire('disconnect', reason);
    // Briefly: a worker that hangs must not hold its clients back from another one for long.
    socket.io.timeout(Math.min(BLIP_CONNECT_TIMEOUT_MS, this.#options.connectTimeoutMs ?? 10_000));
    socket.connect();
  }

  /**
   * The worker let this client go on purpose (drain): re-resolve at once, with no error. No avoid
   * hint: the slot's replacement is usually ready already, so a rolling restart moves each client once.
   */
  #rehome(socket: Socket, reason: string): void {
    if (socket !== this.#socket) return;
    const wasConnected = this.#state === 'connected';
    this.#socket = null;
    socket.disconnect();
    this.#avoid = [];
    this.#workerId = null;
    this.#transport = null;
    this.#error = null;
    this.#timer = setTimeout(() => void this.#tryConnect(), 0);
    this.#setState('reconnecting');
    if (wasConnected) this.#fire('disconnect', reason);
  }

  #lost(socket: Socket, error: RoutedSocketError, avoidWorker: boolean): void {
    if (socket !== this.#socket) return;
    const wasConnected = this.#state === 'connected';
    this.#socket = null;
    // Releases a half-open engine; this socket's later events fail the check above.
    socket.disconnect();
    this.#avoid = nextAvoid(this.#avoid, this.#endpoint?.workerId, avoidWorker);
    if (wasConnected) this.#fire('disconnect', error.message);
    this.#failed(error, 0);
  }

  #failed(error: RoutedSocketError, retryAfterMs: number): void {
    this.#failures += 1;
    this.#error = error;
    this.#workerId = null;
    this.#transport = null;
    const failedAfter = this.#options.failedAfter ?? 8;
    const failed = this.#failures >= failedAfter;
    this.#timer = setTimeout(() => void this.#tryConnect(), retryDelayMs(this.#failures, failed, retryAfterMs, Math.random()));
    this.#setState(failed ? 'failed' : 'reconnecting');
    this.#fire('connect_error', error);
  }

  #setState(state: RoutedSocketState): void {
    this.#state = state;
    this.#notify();
  }

  #notify(): void {
    guarded(() => this.#options.onStateChange?.(this.#state, this.info));
    this.#fire('sioroute:state', this.#state, this.info);
  }

  #fire(event: keyof RoutedSocketEvents, ...args: unknown[]): void {
    this.#listeners.fire(event, ...args);
  }
}
