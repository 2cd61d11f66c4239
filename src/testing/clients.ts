// Test support: real HTTP and socket.io clients bound to a chosen loopback source address, so one
// machine can play many distinct clients (all of 127.0.0.0/8 is loopback on Linux).
import { Agent, request, type ClientRequest } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, WsEndpoint } from '../protocol/wire.js';

export type DemoSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

/** GET a URL from a given source address. */
export function httpGet(url: string, options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: options.headers ?? {}, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

/**
 * The i-th simulated client address: 127.0.1.1 ... 127.0.1.250, then 127.0.2.1, ... up to
 * 127.0.250.250 (62,500 addresses), then 127.1.1.1 and on: every one is loopback on Linux.
 */
export function clientAddress(i: number): string {
  if (!(Number.isInteger(i) && i >= 0 && i < 250 * 250 * 255)) throw new RangeError(`clientAddress: no simulated address for index ${i}`);
  return `127.${Math.floor(i / 62_500)}.${1 + (Math.floor(i / 250) % 250)}.${1 + (i % 250)}`;
}

export async function resolveEndpoint(frontUrl: string, localAddress: string, avoid?: string): Promise<WsEndpoint> {
  const answer = await httpGet(`${frontUrl}/ws-endpoint${avoid ? `?avoid=${encodeURIComponent(avoid)}` : ''}`, { localAddress });
  if (answer.status !== 200) throw new Error(`GET /ws-endpoint answered ${answer.status}: ${answer.body}`);
  return answer.json<WsEndpoint>();
}

export interface ConnectOptions {
  localAddress: string;
  transports?: ('polling' | 'websocket')[];
  token?: string | null;
  extraHeaders?: Record<string, string>;
  namespace?: string;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * A keep-alive agent whose requests never count as sent on a reused socket. engine.io-client polls
 * through xmlhttprequest-ssl in Node, which retries a request that fails with ECONNRESET on a reused
 * socket but never ends the retried request: the new connection stays silent until the server's
 * headers timeout (10 s). Where that retry reaches a live server (single-port mode, where every
 * connection is accepted by the primary), a polling client would notice a dead worker 10 s late.
 * Browsers resend such a request properly, or fail it at once; this makes the Node client fail it
 * at once.
 */
export class NoResendAgent extends Agent {
  override reuseSocket(socket: NetSocket, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    request.reusedSocket = false;
  }
}

/** Connect a socket.io client to an endpoint from a source address; resolves once connected. */
export function connectTo(endpoint: Pick<WsEndpoint, 'url' | 'path' | 'token'>, options: ConnectOptions): Promise<DemoSocket> {
  const socket = openSocket(endpoint, options);
  return new Promise((resolve, reject) => {
    // socket.io-client bounds the transport handshake, not the namespace join after it: bound both.
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`not connected within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
  });
}

/** Open a socket.io client without waiting (for tests that watch connect_error). */
export function openSocket(endpoint: Pick<WsEndpoint, 'url' | 'path' | 'token'>, options: ConnectOptions): DemoSocket {
  const agent = new NoResendAgent({ keepAlive: true, localAddress: options.localAddress });
  const socket: DemoSocket = io(`${endpoint.url}${options.namespace ?? ''}`, {
    path: endpoint.path,
    auth: options.token === null ? {} : { token: options.token ?? endpoint.token },
    transports: options.transports ?? ['polling', 'websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    // engine.io-client hands these to its HTTP requests (agent) and to ws (localAddress).
    agent: agent as unknown as string,
    localAddress: options.localAddress,
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  } as Parameters<typeof io>[1]);
  // Later, not at once: a polling client still sends its close packet through this agent.
  socket.io.on('close', () => setTimeout(() => agent.destroy(), 1000).unref());
  return socket;
}

/** Resolve through the front, then connect: what a real client does. */
export async function connectClient(frontUrl: string, localAddress: string, options: Omit<ConnectOptions, 'localAddress'> = {}): Promise<{ socket: DemoSocket; endpoint: WsEndpoint }> {
  const endpoint = await resolveEndpoint(frontUrl, localAddress);
  const socket = await connectTo(endpoint, { ...options, localAddress });
  return { socket, endpoint };
}

export function errorCode(error: unknown): string | undefined {
  return (error as { data?: { code?: string } }).data?.code;
}
