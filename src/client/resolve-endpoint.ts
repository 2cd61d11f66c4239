// Asking the front where to connect: GET /ws-endpoint, read into an endpoint or a coded error.
// Pure apart from the injected fetch, so it runs in browsers and in Node alike.
import type { WsEndpoint } from '../protocol/wire.js';

export interface RoutedSocketError {
  /** An admission code (`TOKEN_EXPIRED`...), a `/ws-endpoint` error (`NO_HEALTHY_WORKER`, `RATE_LIMITED`, `HTTP_502`...), or `NETWORK_ERROR`, `BAD_ENDPOINT`, `CONNECT_FAILED`, `DISCONNECTED`. */
  code: string;
  message: string;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type Resolved = { endpoint: WsEndpoint } | { error: RoutedSocketError; retryAfterMs: number };

const FETCH_TIMEOUT_MS = 10_000;
// A server cannot park a client for longer than this, whatever its Retry-After says.
const RETRY_AFTER_MAX_MS = 60_000;

/** Fetch an endpoint, hinting the workers that just failed (`avoid`). Never throws. */
export async function resolveEndpoint(fetchImpl: FetchLike, endpointUrl: string, avoid: readonly string[]): Promise<Resolved> {
  const url = avoid.length === 0 ? endpointUrl : withQuery(endpointUrl, 'avoid', avoid.join(','));
  try {
    const res = await fetchImpl(url, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      // `cache` is the browsers' (Node's fetch has no HTTP cache); asserted so both builds type it.
    } as RequestInit);
    const body: unknown = await res.json().catch(() => null);
    if (res.ok && isWsEndpoint(body)) return { endpoint: body };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    return { error: httpError(res.status, res.ok, body), retryAfterMs };
  } catch (err) {
    return { error: { code: 'NETWORK_ERROR', message: errorMessage(err) }, retryAfterMs: 0 };
  }
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
  // `error` is a code in the contract's error bodies, but a reason phrase in other servers' errors.
  const code = typeof fields.error === 'string' && /^[A-Z][A-Z0-9_]*$/.test(fields.error) ? fields.error : `HTTP_${status}`;
  return { code, message };
}

function withQuery(url: string, key: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
