// The CLI's worker: an HTTP server carrying a socket.io Server with the application's handlers,
// made a sioroute worker by attachWorker, exactly as an application would do it itself. A
// factory: it reads no environment and installs no signal handlers.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Server, type ServerOptions } from 'socket.io';
import { SOCKET_IO_PATH } from '../routing/worker-address.js';
import { attachWorker, type DrainHooks, type WorkerHandle } from './attach-worker.js';
import type { RegisterHandlers, WorkerContext } from './worker-context.js';
import type { WorkerRegistration } from './worker-registration.js';
import { sendError } from './worker-routes.js';
import { guardConnections } from '../net/connection-guard.js';
import { rawErrorResponse } from '../net/raw-error-response.js';
import { LISTEN_BACKLOG } from '../net/listen-backlog.js';

export interface WorkerServerOptions {
  readonly workerId: string;
  readonly index: number;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly secret: string;
  readonly allowedOrigins: readonly string[];
  /** The front's port, so that pages served by the front may connect. */
  readonly frontPort: number | undefined;
  readonly logger: Logger;
  readonly register: RegisterHandlers;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /**
   * A client whose connection blipped takes up its session on this worker within this long
   * (socket.io's connection state recovery; the adapter must keep sessions). 0: off. @default 0
   */
  readonly recoveryMs?: number;
  /** e.g. the cluster adapter; socket.io's in-memory adapter when absent. */
  readonly adapter?: ServerOptions['adapter'];
  /** Largest message a client may send, in bytes. @default 100_000 */
  readonly maxHttpBufferSize?: number;
  /** Listen with `exclusive: true` so cluster workers own their port (no round-robin via the primary). @default true */
  readonly exclusive?: boolean;
  /** How fronts learn of this worker. @default none */
  readonly registration?: WorkerRegistration;
  /** The address template this worker reports ({id} {index} {port} filled in). @default the default template */
  readonly publicUrl?: string;
  /** @default 1 */
  readonly weight?: number;
  /** A connection must send a complete request head within this long, in ms. @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** Connections one client address may hold at once; 0: no limit. @default 1000 */
  readonly maxConnectionsPerAddress?: number;
  /**
   * Keep a stand-in of each handshake request (headers, url, query, TCP socket) instead of the
   * request itself: about 0.7 KiB less per connection; `socket.request` is the stand-in. @default true
   */
  readonly releaseHandshakeRequests?: boolean;
  /** Where the worker's metrics live (GET /metrics serves it). @default a new registry */
  readonly metricsRegistry?: Registry;
  /** Peer addresses/CIDRs (and range names) that may read GET /metrics. @default ['127.0.0.0/8', '::1'] */
  readonly metricsFrom?: readonly string[];
  /**
   * Single-port mode: the primary owns the public port and hands this worker its connections; the
   * worker never listens, `port` is the public port, and `frontRequests` answers whatever is not
   * socket.io's (the front's routes).
   */
  readonly handOff?: {
    readonly frontRequests: (req: IncomingMessage, res: ServerResponse) => void;
    /** Bytes that never became a request. */
    readonly clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => void;
  };
}

export interface WorkerServer {
  readonly io: Server;
  readonly http: HttpServer;
  readonly handle: WorkerHandle;
  /** The worker's metrics (served on GET /metrics). */
  readonly metrics: Registry;
  /** Run the handlers and listen; resolves with the bound port once listening. */
  start(): Promise<number>;
  drain(drainMs: number, hooks?: DrainHooks): Promise<void>;
  close(): Promise<void>;
  clientCount(): number;
  /** Serve a connection the primary handed over (single-port mode); closed when the worker is not serving. */
  accept(socket: Socket): void;
}

export function createWorkerServer(options: WorkerServerOptions): WorkerServer {
  const { logger, handOff } = options;
  // Check the timeouts below every second, not every 30 s (Node's default), so idle sockets go in time.
  const http = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    if (handOff) handOff.frontRequests(req, res);
    else sendError(res, 404, 'NOT_FOUND', 'not found');
  });
  // Slow or idle sockets must not pile up on a public port.
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  // Node's own check is the backstop: the guard's timer per socket (below) acts first.
  http.headersTimeout = headersTimeoutMs + 1000;
  http.requestTimeout = 30_000;
  if (handOff) http.on('clientError', handOff.clientErrorHandler);

  const io = new Server(http, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    maxHttpBufferSize: options.maxHttpBufferSize ?? 100_000,
    // A connection not admitted to a namespace within this long is closed (a refused client's
    // transport would otherwise linger 45 s).
    connectTimeout: 10_000,
    // Admission runs again for a recovered session: its token must still be valid for this worker.
    ...(options.recoveryMs ? { connectionStateRecovery: { maxDisconnectionDuration: options.recoveryMs, skipMiddlewares: false } } : {}),
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const handle = attachWorker(io, {
    workerId: options.workerId,
    secret: options.secret,
    allowedOrigins: options.allowedOrigins,
    ...(options.frontPort !== undefined ? { frontPort: options.frontPort } : {}),
    index: options.index,
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    ...(options.weight !== undefined ? { weight: options.weight } : {}),
    ...(options.registration ? { registration: options.registration } : {}),
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
    releaseHandshakeRequests: options.releaseHandshakeRequests ?? true,
    ...(options.metricsFrom ? { metricsFrom: options.metricsFrom } : {}),
    // Handed over: the public port's /healthz and /metrics are the front's (the whole cluster's).
    ...(handOff ? { port: options.port, routes: false } : {}),
    logger,
    ...(options.now ? { now: options.now } : {}),
  });

  // Last, so that it sees every request first (socket.io's and attachWorker's listeners are in place).
  guardConnections(http, { headersTimeoutMs, maxPerAddress: options.maxConnectionsPerAddress ?? 1000, timeoutResponse: rawErrorResponse('REQUEST_TIMEOUT'), logger });

  let boundPort = options.port;
  const context: WorkerContext = {
    workerId: options.workerId,
    index: options.index,
    pid: process.pid,
    get port() {
      return boundPort;
    },
    logger,
  };
  let started = false;

  async function start(): Promise<number> {
    if (started) throw new Error(`worker ${options.workerId} cannot start twice`);
    started = true;
    await options.register(io, context);
    if (handOff) {
      // Node arms the headers and request timeouts of an HTTP server on 'listening'; this one never
      // listens, so it is told the equivalent. engine.io re-creates its WebSocket server on it too.
      http.emit('listening');
      logger.info({ port: boundPort }, 'worker serving connections handed over by the primary');
      return boundPort;
    }
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ host: options.host, port: options.port, exclusive: options.exclusive ?? true, backlog: LISTEN_BACKLOG }, () => {
        http.off('error', reject);
        resolve();
      });
    });
    boundPort = (http.address() as AddressInfo).port;
    logger.info({ port: boundPort }, 'worker listening');
    return boundPort;
  }

  function accept(socket: Socket): void {
    if (!started || handle.state === 'closed') {
      socket.destroy();
      return;
    }
    // What a listening HTTP server does for the connections it accepts itself (Node's default
    // noDelay): without it, Nagle's algorithm holds small writes back by tens of milliseconds.
    socket.setNoDelay(true);
    http.emit('connection', socket);
    // The primary accepted it paused and never read from it: the request's bytes are all still here.
    socket.resume();
  }

  return {
    io,
    http,
    handle,
    metrics: handle.metrics,
    start,
    drain: (drainMs, hooks) => handle.drain(drainMs, hooks),
    close: () => handle.close(),
    accept,
    clientCount: () => handle.clientCount(),
  };
}
