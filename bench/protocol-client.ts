// A lightweight routed client for load generators: sioroute/client's policy (its resolve, its retry
// delays, its avoid hints, its reading of connect errors and disconnects, all imported from
// src/client) over a bare Engine.IO v4 WebSocket that sends the Socket.IO CONNECT with the token
// and answers pings. It does not carry events. A socket.io-client costs its process several
// times the CPU of a connect; where one machine plays both sides, that CPU is the server's
// loss, so benchmarks of the server's capacity hold their idle crowds with this instead.
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterConnectError, afterDisconnect, BLIP_CONNECT_TIMEOUT_MS, nextAvoid, retryDelayMs, type Outcome } from '../src/client/connect-attempt.js';
import { resolveEndpoint, type FetchLike } from '../src/client/resolve-endpoint.js';
import type { WsEndpoint } from '../src/protocol/wire.js';

export interface ResolveCounts {
  ok: number;
  overloaded: number;
  otherStatus: number;
  failed: number;
  /** Requests without an answer, by error code (ETIMEDOUT, ECONNRESET, AbortError...). */
  failedBy: Record<string, number>;
}
export type ClientState = 'connecting' | 'connected' | 'reconnecting';

const CONNECT_TIMEOUT_MS = 10_000;
const FAILED_AFTER = 8;
const FRESH_TOKEN_MARGIN_MS = 5_000;

/**
 * The client's FetchLike over node:http from a given source address (Node's fetch cannot bind
 * one); counts answers. No keep-alive: each client resolves once per connection.
 */
export function fetchFrom(localAddress: string, counts: ResolveCounts): FetchLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const options = { localAddress, agent: false, headers: { accept: 'application/json' }, ...(init.signal ? { signal: init.signal } : {}) };
      const req = request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks);
          if (status === 200) counts.ok++;
          else if (status === 503 && body.includes('OVERLOADED')) counts.overloaded++;
          else counts.otherStatus++;
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve(new Response(body, { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', (error: Error & { code?: string }) => {
        counts.failed++;
        const code = error.code ?? error.name;
        counts.failedBy[code] = (counts.failedBy[code] ?? 0) + 1;
        reject(error);
      });
      req.end();
    });
}

export class ProtocolClient {
  state: ClientState = 'connecting';
  workerId: string | null = null;
  #endpoint: WsEndpoint | null = null;
  #ws: WebSocket | null = null;
  #avoid: string[] = [];
  #failures = 0;
  #blipped = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly endpointUrl: string,
    readonly localAddress: string,
    readonly fetchImpl: FetchLike,
    /** Told of every change of state, with the worker while connected. */
    readonly onState: (client: ProtocolClient) => void,
  ) {
    void this.#resolveAndConnect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.terminate();
  }

  async #resolveAndConnect(): Promise<void> {
    const resolved = await resolveEndpoint(this.fetchImpl, this.endpointUrl, this.#avoid);
    if (this.#closed) return;
    if ('error' in resolved) return this.#retryLater(resolved.retryAfterMs);
    this.#endpoint = resolved.endpoint;
    this.#open(resolved.endpoint, CONNECT_TIMEOUT_MS);
  }

  #open(endpoint: WsEndpoint, timeoutMs: number): void {
    const url = `${endpoint.url.replace(/^http/, 'ws')}${endpoint.path}/?EIO=4&transport=websocket`;
    const ws = new WebSocket(url, { localAddress: this.localAddress, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.#ws = ws;
    let connected = false;
    const timer = setTimeout(() => settle(afterConnectError(undefined, 'timeout')), timeoutMs);
    const settle = (outcome: Outcome) => {
      clearTimeout(timer);
      if (this.#ws !== ws) return;
      this.#ws = null;
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      this.#act(outcome, connected);
    };
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') ws.send('3');
      else if (text[0] === '0') ws.send(`40${JSON.stringify({ token: endpoint.token })}`);
      else if (text.startsWith('40')) {
        clearTimeout(timer);
        connected = true;
        this.#failures = 0;
        this.#blipped = false;
        this.#avoid = [];
        this.workerId = endpoint.workerId;
        this.#setState('connected');
      } else if (text.startsWith('44')) {
        const code = (JSON.parse(text.slice(2)) as { data?: { code?: unknown } }).data?.code;
        settle(afterConnectError(code, 'refused'));
      }
    });
    ws.on('error', (error) => settle(connected ? this.#disconnected() : afterConnectError(undefined, error.message)));
    ws.on('close', () => settle(connected ? this.#disconnected() : afterConnectError(undefined, 'closed')));
  }

  #disconnected(): Outcome {
    const fresh = (this.#endpoint?.expiresAt ?? 0) - Date.now() > FRESH_TOKEN_MARGIN_MS;
    return afterDisconnect('transport close', { draining: false, blipped: this.#blipped, tokenFresh: fresh });
  }

  #act(outcome: Outcome, wasConnected: boolean): void {
    if (this.#closed || outcome.kind === 'ignore') return;
    this.workerId = null;
    if (outcome.kind === 'retry-same' && this.#endpoint) {
      this.#blipped = true;
      this.#setState('reconnecting');
      this.#open(this.#endpoint, BLIP_CONNECT_TIMEOUT_MS);
      return;
    }
    if (outcome.kind === 'rehome') this.#avoid = [];
    if (outcome.kind === 'lost') this.#avoid = nextAvoid(this.#avoid, this.#endpoint?.workerId, outcome.avoidWorker);
    if (wasConnected || this.state === 'connected') this.#setState('reconnecting');
    if (outcome.kind === 'rehome') this.#timer = setTimeout(() => void this.#resolveAndConnect(), 0);
    else this.#retryLater(0);
  }

  #retryLater(retryAfterMs: number): void {
    this.#failures += 1;
    const delay = retryDelayMs(this.#failures, this.#failures >= FAILED_AFTER, retryAfterMs, Math.random());
    this.#timer = setTimeout(() => void this.#resolveAndConnect(), delay);
  }

  #setState(state: ClientState): void {
    this.state = state;
    this.onState(this);
  }
}
