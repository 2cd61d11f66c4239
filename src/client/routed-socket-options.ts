// The options, states and events of a routed socket: what an application sets and listens to.
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { WsEndpoint } from '../protocol/wire.js';
import type { FetchLike, RoutedSocketError } from './resolve-endpoint.js';

export type RoutedSocketState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

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

/** socket.io-client options passed through as given; the ones routing manages are left out. */
export type PassThroughOptions = Omit<Partial<ManagerOptions & SocketOptions>, 'path' | 'auth' | 'reconnection' | 'forceNew' | 'autoConnect' | 'timeout'>;

export interface RoutedSocketOptions {
  /** Where to resolve a worker: the front's `/ws-endpoint` (absolute in Node). @default '/ws-endpoint' */
  endpointUrl?: string;
  /** Endpoint rendered into the page, used for the first attempt while its token is fresh. @default null */
  initialEndpoint?: WsEndpoint | null;
  /** Namespace to join on the worker. @default '/' */
  namespace?: string;
  /** The application's own auth, merged with the routing token (an object or socket.io's callback form). */
  auth?: Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void);
  /** Open the first connection at once; otherwise call `connect()`. @default true */
  autoConnect?: boolean;
  /** Any other socket.io-client option: `transports`, `query`, `extraHeaders`, `withCredentials`... */
  socketOptions?: PassThroughOptions;
  /**
   * Engine.IO transports, e.g. `['polling']` (same as `socketOptions.transports`). The default opens
   * a WebSocket and falls back to polling when it fails (`tryAllTransports`); `['polling', 'websocket']`
   * is socket.io's own default, a polling handshake and then an upgrade.
   * @default ['websocket', 'polling']
   */
  transports?: string[];
  /** Called on every change of state or info (an upgrade to websocket too). */
  onStateChange?: (state: RoutedSocketState, info: RoutedSocketInfo) => void;
  /** Wait for an ack before sending an `emitWithAck` again. @default 10_000 */
  ackTimeoutMs?: number;
  /** Sends of one `emitWithAck` after the first before its promise rejects. @default 5 */
  maxResends?: number;
  /** Give up on one connection attempt after this long. @default 10_000 */
  connectTimeoutMs?: number;
  /** Consecutive failed attempts before the state turns `failed` (it keeps retrying, slower). @default 8 */
  failedAfter?: number;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
}

/** Events the routed socket itself emits (not the server's). */
export interface RoutedSocketEvents {
  connect: () => void;
  disconnect: (reason: string) => void;
  connect_error: (error: RoutedSocketError) => void;
  'sioroute:state': (state: RoutedSocketState, info: RoutedSocketInfo) => void;
}
export const LIFECYCLE: ReadonlySet<string> = new Set(['connect', 'disconnect', 'connect_error', 'sioroute:state']);

// An index signature of `any` is what lets plain interfaces (like the protocol's) satisfy it.
export type EventsMap = { [event: string]: any };
export type Handler = (...args: any[]) => void;
// `Required` turns an optional ack (`ack?: ...`) into a plain last element, so both split alike.
type Split<F> = F extends (...args: infer P) => unknown ? Required<P> : never;
/** The arguments of an event, without its ack callback (any arguments for an untyped `(...args: any[])` event). */
export type EmitArgs<F> = number extends Split<F>['length'] ? Split<F> : Split<F> extends [...infer A, unknown] ? A : never;
/** What the server passes to the ack callback. */
export type AckValue<F> = Split<F> extends [...unknown[], (value: infer V) => void] ? V : unknown;
export type Params<F> = F extends (...args: infer P) => unknown ? P : never;

