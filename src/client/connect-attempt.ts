// How a routed socket opens each connection, and when it tries again. Pure (randomness is an
// input), apart from opening the socket.
import { io, type Socket } from 'socket.io-client';
import type { WsEndpoint } from '../protocol/wire.js';
import type { RoutedSocketOptions } from './routed-socket-options.js';

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const FAILED_RETRY_MIN_MS = 10_000;
const FAILED_RETRY_SPREAD_MS = 5_000;

/**
 * Milliseconds before the next attempt after `failures` consecutive failures. Full jitter, so the
 * clients of a dead worker do not all come back in the same instant; once `failed`, slowly.
 */
export function retryDelayMs(failures: number, failed: boolean, retryAfterMs: number, random: number): number {
  const backoff = failed ? FAILED_RETRY_MIN_MS + random * FAILED_RETRY_SPREAD_MS : random * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  return Math.max(backoff, retryAfterMs);
}

type Auth = Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void) | undefined;

/** The application's own auth with the routing token added (socket.io's object or callback form). */
export function withToken(auth: Auth, token: string): Exclude<Auth, undefined> {
  if (typeof auth === 'function') return (callback) => auth((data) => callback({ ...data, token }));
  return { ...auth, token };
}

/** A socket.io connection to the endpoint's worker, with the application's options and the token. */
export function openSocket(endpoint: WsEndpoint, options: RoutedSocketOptions): Socket {
  const namespace = options.namespace ?? '/';
  return io(namespace === '/' ? endpoint.url : `${endpoint.url}${namespace.startsWith('/') ? '' : '/'}${namespace}`, {
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
