// The browser side of server-side routing: resolve a worker, connect to it directly, and on any
// loss resolve again instead of letting socket.io reconnect to the same (maybe dead) address.
// No DOM use here, so it also runs in Node tests with an injected `fetch`.
import { io } from './vendor/socket.io.esm.min.js';
import type { Socket } from './vendor/socket.io.esm.min.js';
import { DRAIN_EVENT } from './protocol.js';
import type { ClientToServerEvents, ServerToClientEvents, WsEndpoint } from './protocol.js';

export type RoutedSocketState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface RoutedSocketError {
  /** An admission code (`TOKEN_EXPIRED`...), a `/ws-endpoint` error (`NO_HEALTHY_WORKER`, `RATE_LIMITED`, `HTTP_502`...), or `NETWORK_ERROR`, `BAD_ENDPOINT`, `CONNECT_FAILED`, `DISCONNECTED`. */
  code: string;
  message: string;
}

export interface RoutedSocketInfo {
  /** Worker of the live connection; null while not connected. */
  workerId: string | null;
  /** Engine.IO transport of the live connection (`polling`, `websocket`); null while not connected. */
  transport: string | null;
  /** Consecutive failed attempts since the last successful connect. */
  failures: number;
  /** Why the last attempt failed; null once connected. */
  error: RoutedSocketError | null;
}

export interface RoutedSocketOptions {
  /** Where to resolve a worker. @default '/ws-endpoint' */
  endpointUrl?: string;
  /** Endpoint embedded in the page, used for the first attempt while its token is fresh. @default null */
  initialEndpoint?: WsEndpoint | null;
  /** Engine.IO transports, e.g. `['polling']`. @default socket.io's own (polling, then upgrade) */
  transports?: string[];
  /** Called on every change of state or info (an upgrade to websocket too). */
  onStateChange?: (state: RoutedSocketState, info: RoutedSocketInfo) => void;
  /** Wait for an ack before sending the emit again. @default 10_000 */
  ackTimeoutMs?: number;
  /** Sends of one emit after the first before its promise rejects. @default 5 */
  maxResends?: number;
  /** Give up on one connection attempt after this long. @default 10_000 */
  connectTimeoutMs?: number;
  /** Consecutive failed attempts before the state turns `failed` (it keeps retrying, slower). @default 8 */
  failedAfter?: number;
  /** @default globalThis.fetch */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

// An index signature of `any` is what lets plain interfaces (like the protocol's) satisfy it.
type EventsMap = { [event: string]: any };
type Handler = (...args: any[]) => void;
// `Required` turns an optional ack (`ack?: ...`) into a plain last element, so both split alike.
type Split<F> = F extends (...args: infer P) => unknown ? Required<P> : never;
/** The arguments of an event, without its ack callback. */
export type EmitArgs<F> = Split<F> extends [...infer A, unknown] ? A : never;
/** What the server passes to the ack callback. */
export type AckValue<F> = Split<F> extends [...unknown[], (value: infer V) => void] ? V : unknown;

interface PendingEmit {
  event: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  sends: number;
  inFlight: boolean;
}

const FRESH_TOKEN_MARGIN_MS = 5_000;
const FETCH_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const FAILED_RETRY_MIN_MS = 10_000;
const FAILED_RETRY_SPREAD_MS = 5_000;
// A server cannot park a client for longer than this, whatever its Retry-After says.
const RETRY_AFTER_MAX_MS = 60_000;
/** The front takes at most this many ids in `avoid`. */
const AVOID_MAX = 4;

// Refusals that only mean "get a new token": the worker itself is fine, so it is not avoided.
const TOKEN_REFUSALS: ReadonlySet<string> = new Set(['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED']);

type Resolved = { endpoint: WsEndpoint } | { error: RoutedSocketError; retryAfterMs: number };

export class RoutedSocket<L extends EventsMap = ServerToClientEvents, E extends EventsMap = ClientToServerEvents> {
  readonly #endpointUrl: string;
  readonly #transports: string[] | undefined;
  readonly #onStateChange: RoutedSocketOptions['onStateChange'];
  readonly #ackTimeoutMs: number;
  readonly #maxResends: number;
  readonly #connectTimeoutMs: number;
  readonly #failedAfter: number;
  readonly #fetch: (input: string, init: RequestInit) => Promise<Response>;
  readonly #handlers = new Map<string, Set<Handler>>();
  #initialEndpoint: WsEndpoint | null;
  #socket: Socket | null = null;
  #endpoint: WsEndpoint | null = null;
  #state: RoutedSocketState = 'connecting';
  #workerId: string | null = null;
  #transport: string | null = null;
  #failures = 0;
  #error: RoutedSocketError | null = null;
  /** Workers that failed since the last connection (newest last, at most AVOID_MAX): a host that goes down takes all its workers with it. */
  #avoid: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: PendingEmit[] = [];

  constructor(options: RoutedSocketOptions = {}) {
    this.#endpointUrl = options.endpointUrl ?? '/ws-endpoint';
    this.#initialEndpoint = options.initialEndpoint ?? null;
    this.#transports = options.transports;
    this.#onStateChange = options.onStateChange;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.#maxResends = options.maxResends ?? 5;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#failedAfter = options.failedAfter ?? 8;
    // Called through a closure: a bare `window.fetch` stored on an object throws "Illegal invocation".
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    // Deferred, so the caller holds the instance before the first callback runs.
    this.#timer = setTimeout(() => void this.#tryConnect(), 0);
  }

  get state(): RoutedSocketState {
    return this.#state;
  }
  get currentWorkerId(): string | null {
    return this.#workerId;
  }
  get transport(): string | null {
    return this.#transport;
  }
  get info(): RoutedSocketInfo {
    return { workerId: this.#workerId, transport: this.#transport, failures: this.#failures, error: this.#error };
  }

  /** Listens to a server event on every socket this client will ever open. Returns the unsubscribe. */
  on<K extends keyof L & string>(event: K, handler: L[K]): () => void {
    const h = handler as Handler;
    const name: string = event;
    let set = this.#handlers.get(name);
    if (!set) this.#handlers.set(name, (set = new Set()));
    if (!set.has(h)) {
      set.add(h);
      this.#socket?.on(name, h);
    }
    return () => {
      set.delete(h);
      this.#socket?.off(name, h);
    };
  }

  /**
   * Sends an event and resolves with the server's ack. Delivery is at-least-once: an emit whose ack
   * did not arrive (timeout or lost connection) is sent again, on the next worker if need be, so
   * the server may see it twice. Rejects only on `close()` or after `maxResends` failed resends.
   */
  emitWithAck<K extends keyof E & string>(event: K, ...args: EmitArgs<E[K]>): Promise<AckValue<E[K]>> {
    if (this.#state === 'closed') return Promise.reject(new Error('routed socket is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ event, args, resolve: resolve as (value: unknown) => void, reject, sends: 0, inFlight: false });
      this.#flush();
    });
  }

  /** Client-initiated close: no reconnect; pending emits reject. */
  close(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = null;
    socket?.disconnect();
    this.#workerId = null;
    this.#transport = null;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(new Error('routed socket closed'));
    this.#setState('closed');
  }

  async #tryConnect(): Promise<void> {
    this.#timer = undefined;
    const initial = this.#initialEndpoint;
    this.#initialEndpoint = null;
    let endpoint: WsEndpoint;
    if (initial && initial.expiresAt - Date.now() > FRESH_TOKEN_MARGIN_MS) {
      endpoint = initial;
    } else {
      const resolved = await this.#resolve();
      if (this.#state === 'closed') return;
      if ('error' in resolved) return this.#failed(resolved.error, resolved.retryAfterMs);
      endpoint = resolved.endpoint;
    }
    this.#connect(endpoint);
  }

  async #resolve(): Promise<Resolved> {
    const url = this.#avoid.length === 0 ? this.#endpointUrl : withQuery(this.#endpointUrl, 'avoid', this.#avoid.join(','));
    try {
      const res = await this.#fetch(url, {
        cache: 'no-store',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      const body: unknown = await res.json().catch(() => null);
      if (res.ok && isWsEndpoint(body)) return { endpoint: body };
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      return { error: httpError(res.status, res.ok, body), retryAfterMs };
    } catch (err) {
      return { error: { code: 'NETWORK_ERROR', message: errorMessage(err) }, retryAfterMs: 0 };
    }
  }

  #connect(endpoint: WsEndpoint): void {
    const socket: Socket = io(endpoint.url, {
      path: endpoint.path,
      auth: { token: endpoint.token },
      // Ours to manage: a reconnect must go to a freshly resolved worker, with a fresh token.
      reconnection: false,
      forceNew: true,
      timeout: this.#connectTimeoutMs,
      ...(this.#transports ? { transports: this.#transports } : {}),
    });
    this.#socket = socket;
    this.#endpoint = endpoint;
    for (const [event, set] of this.#handlers) for (const h of set) socket.on(event, h);

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
      this.#flush();
    });
    // A draining worker says so before it lets the client go: that is a move, not a failure. Move at
    // once: behind a proxy, a polling client's next request may already reach the slot's replacement,
    // which does not know this session.
    let draining = false;
    socket.on(DRAIN_EVENT, () => {
      draining = true;
      this.#rehome(socket);
    });
    socket.on('connect_error', (err) => {
      const code: unknown = err.data?.code;
      if (code === 'WORKER_DRAINING') {
        this.#rehome(socket);
      } else if (typeof code === 'string') {
        this.#lost(socket, { code, message: err.message }, !TOKEN_REFUSALS.has(code));
      } else {
        this.#lost(socket, { code: 'CONNECT_FAILED', message: err.message }, true);
      }
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      if (draining || reason === 'io server disconnect') this.#rehome(socket);
      else this.#lost(socket, { code: 'DISCONNECTED', message: reason }, true);
    });
  }

  /**
   * The worker let this client go on purpose (drain): re-resolve at once, with no error. No avoid
   * hint: the slot's replacement is usually ready already, and the front sends the client there
   * (or elsewhere while the slot is out of routing), so a rolling restart moves each client once.
   */
  #rehome(socket: Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    socket.disconnect();
    this.#avoid = [];
    this.#workerId = null;
    this.#transport = null;
    this.#error = null;
    this.#timer = setTimeout(() => void this.#tryConnect(), 0);
    this.#setState('reconnecting');
  }

  #lost(socket: Socket, error: RoutedSocketError, avoidWorker: boolean): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    // Releases a half-open engine; this socket's later events fail the check above.
    socket.disconnect();
    const failedOn = this.#endpoint?.workerId;
    if (!avoidWorker) this.#avoid = [];
    else if (failedOn !== undefined && !this.#avoid.includes(failedOn)) this.#avoid = [...this.#avoid, failedOn].slice(-AVOID_MAX);
    this.#failed(error, 0);
  }

  #failed(error: RoutedSocketError, retryAfterMs: number): void {
    this.#failures += 1;
    this.#error = error;
    this.#workerId = null;
    this.#transport = null;
    const failed = this.#failures >= this.#failedAfter;
    // Full jitter, so the clients of a dead worker do not all come back in the same instant.
    const backoff = failed
      ? FAILED_RETRY_MIN_MS + Math.random() * FAILED_RETRY_SPREAD_MS
      : Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.#failures - 1));
    this.#timer = setTimeout(() => void this.#tryConnect(), Math.max(backoff, retryAfterMs));
    this.#setState(failed ? 'failed' : 'reconnecting');
  }

  #flush(): void {
    const socket = this.#socket;
    if (!socket?.connected) return;
    for (const p of this.#pending) if (!p.inFlight) this.#send(socket, p);
  }

  #send(socket: Socket, p: PendingEmit): void {
    p.inFlight = true;
    p.sends += 1;
    socket
      .timeout(this.#ackTimeoutMs)
      .emitWithAck(p.event, ...p.args)
      .then(
        (value: unknown) => {
          this.#pending = this.#pending.filter((q) => q !== p);
          p.resolve(value);
        },
        (err: unknown) => {
          p.inFlight = false;
          if (!this.#pending.includes(p)) return; // already rejected by close()
          if (p.sends > this.#maxResends) {
            this.#pending = this.#pending.filter((q) => q !== p);
            p.reject(err instanceof Error ? err : new Error(errorMessage(err)));
            return;
          }
          // Still connected (the ack timed out): send again now. Otherwise the next connect will.
          this.#flush();
        },
      );
  }

  #setState(state: RoutedSocketState): void {
    this.#state = state;
    this.#notify();
  }

  #notify(): void {
    try {
      this.#onStateChange?.(this.#state, this.info);
    } catch (err) {
      // A throwing listener must not stall the connection life cycle; surface it asynchronously.
      setTimeout(() => {
        throw err;
      });
    }
  }
}

export function createRoutedSocket<L extends EventsMap = ServerToClientEvents, E extends EventsMap = ClientToServerEvents>(
  options: RoutedSocketOptions = {},
): RoutedSocket<L, E> {
  return new RoutedSocket<L, E>(options);
}

export function isWsEndpoint(value: unknown): value is WsEndpoint {
  return (
    isRecord(value) &&
    typeof value.workerId === 'string' &&
    typeof value.url === 'string' &&
    typeof value.path === 'string' &&
    typeof value.token === 'string' &&
    typeof value.expiresAt === 'number' &&
    Number.isFinite(value.expiresAt)
  );
}

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date); 0 when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number {
  if (value === null || value.trim() === '') return 0;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), RETRY_AFTER_MAX_MS) : 0;
}

function httpError(status: number, ok: boolean, body: unknown): RoutedSocketError {
  const fields = isRecord(body) ? body : {};
  const message = typeof fields.message === 'string' ? fields.message : `HTTP ${status}`;
  if (ok) return { code: 'BAD_ENDPOINT', message: 'malformed /ws-endpoint answer' };
  if (status === 429) return { code: 'RATE_LIMITED', message };
  // `error` is a code in the contract's 503 body, but a reason phrase in fastify's default errors.
  const code = typeof fields.error === 'string' && /^[A-Z][A-Z0-9_]*$/.test(fields.error) ? fields.error : `HTTP_${status}`;
  return { code, message };
}

function withQuery(url: string, key: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
