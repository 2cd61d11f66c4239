// How a routed socket opens each connection, and when it tries again. Pure (randomness is an
// input), apart from opening the socket.
import { io, type Socket } from 'socket.io-client';
import type { WsEndpoint } from '../protocol/wire.js';
import type { RoutedSocketOptions } from './routed-socket-options.js';
import type { RoutedSocketError } from './resolve-endpoint.js';

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const FAILED_RETRY_MIN_MS = 10_000;
const FAILED_RETRY_SPREAD_MS = 5_000;

/**
 * Milliseconds before the next attempt after `failures` consecutive failures. Full jitter, so the
 * clients of a dead worker do not all come back in the same instant; once `failed`, slowly. A
 * front's Retry-After is jittered too, over [Retry-After, 2 × Retry-After): thousands of clients
 * told "2 s" at the same moment would otherwise all return in the same instant and overload it again.
 */
export function retryDelayMs(failures: number, failed: boolean, retryAfterMs: number, random: number): number {
  const backoff = failed ? FAILED_RETRY_MIN_MS + random * FAILED_RETRY_SPREAD_MS : random * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  return Math.max(backoff, retryAfterMs * (1 + random));
}

type Auth = Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void) | undefined;

/** The application's own auth with the routing token added (socket.io's object or callback form). */
export function withToken(auth: Auth, token: string): Exclude<Auth, undefined> {
  if (typeof auth === 'function') return (callback) => auth((data) => callback({ ...data, token }));
  return { ...auth, token };
}

/**
 * WebSocket first: the worker is reached directly, so no sticky session is needed for polling's
 * handshake, and one WebSocket handshake replaces polling's handshake, connect and upgrade requests.
 * Polling is the fallback when the WebSocket fails (`tryAllTransports`), e.g. behind a proxy that
 * drops the Upgrade header.
 */
export const DEFAULT_TRANSPORTS: readonly string[] = ['websocket', 'polling'];
/**
 * socket.io's own order, once a WebSocket hung: a network that swallows WebSocket handshakes
 * without refusing them stalls a WebSocket-first attempt until its timeout, while polling's
 * upgrade probe fails there without harm.
 */
export const POLLING_FIRST: readonly string[] = ['polling', 'websocket'];

/** Whether a failed attempt looks like a WebSocket that hung: it timed out before any transport opened. */
export function websocketHung(message: string, engineOpened: boolean): boolean {
  return message === 'timeout' && !engineOpened;
}

/**
 * A socket.io connection to the endpoint's worker, with the application's options and the token.
 * Transports the application sets win; otherwise WebSocket first, or polling first once one hung.
 */
export function openSocket(endpoint: WsEndpoint, options: RoutedSocketOptions, pollingFirst = false): Socket {
  const namespace = options.namespace ?? '/';
  return io(namespace === '/' ? endpoint.url : `${endpoint.url}${namespace.startsWith('/') ? '' : '/'}${namespace}`, {
    transports: [...(pollingFirst ? POLLING_FIRST : DEFAULT_TRANSPORTS)],
    tryAllTransports: true,
    ...options.socketOptions,
    ...(options.transports ? { transports: options.transports } : {}),
    path: endpoint.path,
    auth: withToken(options.auth, endpoint.token),
    // Ours to manage: a reconnect must go to a freshly resolved worker, with a fresh token.
    reconnection: false,
    forceNew: true,
    timeout: options.connectTimeoutMs ?? 10_000,
  });
}

/** The front takes at most this many ids in `avoid`. */
const AVOID_MAX = 4;
/** The one quick try of the same worker after a blip. */
export const BLIP_CONNECT_TIMEOUT_MS = 3_000;
/** Disconnects of a connection that was fine: the network, not the worker, may be at fault. */
const BLIPS: ReadonlySet<string> = new Set(['transport close', 'transport error', 'ping timeout']);
// Refusals that only mean "get a new token": the worker itself is fine, so it is not avoided.
const TOKEN_REFUSALS: ReadonlySet<string> = new Set(['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED']);

/** What to do about a connection that ended or never began. */
export type Outcome =
  | { readonly kind: 'ignore' }
  /** The worker let the client go on purpose (a drain): resolve again at once, no error. */
  | { readonly kind: 'rehome' }
  /** A blip: try the same worker once, so that socket.io can take the session up again. */
  | { readonly kind: 'retry-same' }
  | { readonly kind: 'lost'; readonly error: RoutedSocketError; readonly avoidWorker: boolean };

export function afterConnectError(code: unknown, message: string): Outcome {
  if (code === 'WORKER_DRAINING') return { kind: 'rehome' };
  if (typeof code === 'string') return { kind: 'lost', error: { code, message }, avoidWorker: !TOKEN_REFUSALS.has(code) };
  return { kind: 'lost', error: { code: 'CONNECT_FAILED', message }, avoidWorker: true };
}

export function afterDisconnect(reason: string, facts: { draining: boolean; blipped: boolean; tokenFresh: boolean }): Outcome {
  if (reason === 'io client disconnect') return { kind: 'ignore' };
  if (facts.draining || reason === 'io server disconnect') return { kind: 'rehome' };
  if (BLIPS.has(reason) && !facts.blipped && facts.tokenFresh) return { kind: 'retry-same' };
  return { kind: 'lost', error: { code: 'DISCONNECTED', message: reason }, avoidWorker: true };
}

/** Workers to avoid after a failure: the failed one added (newest last), or none when the worker was fine. */
export function nextAvoid(avoid: readonly string[], failedOn: string | undefined, avoidWorker: boolean): string[] {
  if (!avoidWorker) return [];
  if (failedOn === undefined || avoid.includes(failedOn)) return [...avoid];
  return [...avoid, failedOn].slice(-AVOID_MAX);
}
