// One worker: an HTTP server on its own port carrying socket.io, with admission by routing token,
// CORS for the allowed origins only, and the application handlers. A factory: it reads no
// environment and installs no signal handlers; src/cli.ts does that.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import cors from 'cors';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Server, type ServerOptions } from 'socket.io';
import { createAdmission } from './admission.js';
import { isOriginAllowed } from './origin-policy.js';
import type { RegisterHandlers, WorkerContext } from './worker-context.js';
import { SOCKET_IO_PATH } from '../routing/worker-address.js';
import { DRAIN_EVENT, type AdmissionErrorCode } from '../client/protocol.js';
import { createScrapeAccess, METRICS_FORBIDDEN_MESSAGE } from '../metrics/scrape-access.js';
import { createWorkerMetrics } from '../metrics/worker-metrics.js';

/** After the last client of a drain was let go, how long to wait for its notice to be delivered. */
const DRAIN_FLUSH_MS = 2000;

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
  /** e.g. the cluster adapter; socket.io's in-memory adapter when absent. */
  readonly adapter?: ServerOptions['adapter'];
  /** Largest message a client may send, in bytes. @default 100_000 */
  readonly maxHttpBufferSize?: number;
  /** Listen with `exclusive: true` so cluster workers own their port (no round-robin via the primary). @default true */
  readonly exclusive?: boolean;
  readonly onRefused?: (code: AdmissionErrorCode) => void;
  /** Where the worker's metrics live (GET /metrics serves it). @default a new registry, without process metrics */
  readonly metricsRegistry?: Registry;
  /** Peer addresses/CIDRs (and range names) that may read GET /metrics. @default ['127.0.0.0/8', '::1'] */
  readonly metricsFrom?: readonly string[];
}

export interface WorkerServer {
  readonly io: Server;
  readonly http: HttpServer;
  /** The worker's metrics (served on GET /metrics). */
  readonly metrics: Registry;
  /** Listen; resolves with the bound port once listening. */
  start(): Promise<number>;
  /**
   * Drain: stop accepting connections at once (the port is free for a replacement when
   * `onPortReleased` runs), refuse new sessions, then tell each client to move and disconnect it,
   * spread over `drainMs`, then close.
   */
  drain(drainMs: number, onPortReleased?: () => void): Promise<void>;
  /** Disconnect every client and stop listening. */
  close(): Promise<void>;
  clientCount(): number;
}

export function createWorkerServer(options: WorkerServerOptions): WorkerServer {
  const { logger } = options;
  const policy = { allowedOrigins: options.allowedOrigins, frontPort: options.frontPort };
  const originOf = (req: IncomingMessage) => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
  const allowed = (req: IncomingMessage) => isOriginAllowed(policy, { origin: originOf(req), host: req.headers.host });
  const registry = options.metricsRegistry ?? new Registry();
  const metrics = createWorkerMetrics(registry, { workerId: options.workerId, clients: () => io.engine.clientsCount });
  const scrapeAllowed = createScrapeAccess(options.metricsFrom ?? ['127.0.0.0/8', '::1']);

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: ServerResponse, status: number, code: string, message: string) => sendJson(res, status, { statusCode: status, code, error: code, message });

  // Check the timeouts below every second, not every 30 s (Node's default), so idle sockets go in time.
  const http = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    // socket.io answers its own path before this handler; anything else is a small JSON answer.
    const path = req.url?.split('?', 1)[0];
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok', workerId: options.workerId, clients: io.engine.clientsCount });
      return;
    }
    if (path === '/metrics') {
      // The TCP peer, not X-Forwarded-For: the worker's port is public.
      if (!scrapeAllowed(req.socket.remoteAddress)) {
        sendError(res, 403, 'METRICS_FORBIDDEN', METRICS_FORBIDDEN_MESSAGE);
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'metrics failed');
          sendError(res, 500, 'INTERNAL_ERROR', 'internal error');
        },
      );
      return;
    }
    sendError(res, 404, 'NOT_FOUND', 'not found');
  });
  // Slow or idle sockets must not pile up on a public port.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  const io = new Server(http, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    maxHttpBufferSize: options.maxHttpBufferSize ?? 100_000,
    // A connection that has not been admitted to a namespace within this long is closed (a refused
    // client's transport would otherwise linger 45 s).
    connectTimeout: 10_000,
    // Browsers do not apply CORS to WebSocket: check the Origin at every handshake ourselves.
    allowRequest: (req, callback) => callback(allowed(req) ? null : 'origin not allowed', allowed(req)),
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  // CORS decided per request (the allowed front origin depends on the Host the browser used).
  io.engine.use(
    cors((req, callback) => {
      const request = req as unknown as IncomingMessage;
      callback(null, { origin: allowed(request) && originOf(request) !== undefined ? originOf(request)! : false, credentials: true });
    }),
  );

  let state: 'new' | 'starting' | 'listening' | 'draining' | 'closing' | 'closed' = 'new';

  const admission = createAdmission({
    workerId: options.workerId,
    isDraining: () => state === 'draining',
    secret: options.secret,
    now: options.now ?? Date.now,
    onRefused: (code) => {
      metrics.refused(code);
      options.onRefused?.(code);
    },
    onAdmitted: () => metrics.admitted(),
  });
  // Every namespace, including ones the application creates later, requires a token.
  io.use(admission);
  io.on('new_namespace', (namespace) => namespace.use(admission));

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

  async function start(): Promise<number> {
    if (state !== 'new') throw new Error(`worker ${options.workerId} cannot start: it is ${state}`);
    state = 'starting';
    await options.register(io, context);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ host: options.host, port: options.port, exclusive: options.exclusive ?? true }, () => {
        http.off('error', reject);
        resolve();
      });
    });
    boundPort = (http.address() as AddressInfo).port;
    state = 'listening';
    logger.info({ port: boundPort }, 'worker listening');
    return boundPort;
  }

  async function drain(drainMs: number, onPortReleased?: () => void): Promise<void> {
    if (state !== 'listening') return;
    state = 'draining';
    // net.Server#close, not http.Server#close: stop listening (freeing the port) but keep idle
    // keep-alive connections, which polling clients of this worker still use until they are moved.
    NetServer.prototype.close.call(http);
    onPortReleased?.();
    const sockets = [...io.of('/').sockets.values()];
    logger.info({ clients: sockets.length, drainMs }, 'draining');
    await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<void>((resolve) => {
            // Spread evenly, so the clients do not all come back to the front in the same instant.
            const timer = setTimeout(() => {
              if (socket.connected) {
                socket.emit(DRAIN_EVENT, { workerId: options.workerId });
                socket.disconnect(true);
              }
              resolve();
            }, (drainMs * (i + 1)) / sockets.length);
            timer.unref();
          }),
      ),
    );
    // Let the last notices reach polling clients (their next poll carries them) before closing.
    for (let waited = 0; io.engine.clientsCount > 0 && waited < DRAIN_FLUSH_MS; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await close();
  }

  async function close(): Promise<void> {
    if (state === 'closing' || state === 'closed') return;
    state = 'closing';
    await new Promise<void>((resolve) => {
      io.close(() => resolve());
      // Keep-alive polling connections would hold close() open.
      http.closeAllConnections();
    });
    state = 'closed';
  }

  return { io, http, metrics: registry, start, drain, close, clientCount: () => io.engine.clientsCount };
}
