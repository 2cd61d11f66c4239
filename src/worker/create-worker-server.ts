// One worker: an HTTP server on its own port carrying socket.io, with admission by routing token,
// CORS for the allowed origins only, and the application handlers. A factory: it reads no
// environment and installs no signal handlers; src/cli.ts does that.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import cors from 'cors';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Server, type ServerOptions } from 'socket.io';
import { createAdmission } from './admission.js';
import { isOriginAllowed } from './origin-policy.js';
import type { RegisterHandlers, WorkerContext } from './worker-context.js';
import { SOCKET_IO_PATH } from '../routing/worker-address.js';
import { DRAIN_EVENT, type AdmissionErrorCode } from '../client/protocol.js';
import type { WorkerRecord } from '../registry/worker-record.js';
import { createScrapeAccess, METRICS_FORBIDDEN_MESSAGE } from '../metrics/scrape-access.js';
import { createWorkerMetrics } from '../metrics/worker-metrics.js';

/** After the last client of a drain was let go, how long to wait for its notice to be delivered. */
const DRAIN_FLUSH_MS = 2000;
/** How long a drain waits for its polling clients to take their notice before releasing the port. */
const POLLING_NOTICE_MS = 2000;

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
  /**
   * Single-port mode: the primary owns the public port and hands this worker its connections; the
   * worker never listens, `port` is the public port, and `accept(socket)` serves each connection.
   * @default false
   */
  readonly handedOff?: boolean;
  /** Requests outside the socket.io path (single-port mode: the front's routes). @default GET /healthz, else 404 JSON */
  readonly otherRequests?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Bytes that never became a request. @default Node's plain 400 */
  readonly clientErrorHandler?: (error: Error & { code?: string }, socket: Socket) => void;
  readonly onRefused?: (code: AdmissionErrorCode) => void;
  /** What /healthz says about this worker when it runs as a separate service (fronts probe it). */
  readonly record?: () => WorkerRecord;
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
   * Drain: refuse new sessions (`onLeaving` runs: take this worker out of routing), tell the
   * polling clients to move and disconnect them, stop accepting connections (the port is free for a
   * replacement when `onPortReleased` runs), then tell the WebSocket clients the same, spread over
   * `drainMs`, then close.
   */
  drain(drainMs: number, onPortReleased?: () => void, onLeaving?: () => void): Promise<void>;
  /** Disconnect every client and stop listening. */
  close(): Promise<void>;
  clientCount(): number;
  /** Serve a connection the primary handed over (single-port mode); closed when the worker is not serving. */
  accept(socket: Socket): void;
}

/** Origin and Host pairs whose verdict a worker remembers. */
const ORIGIN_VERDICTS_MAX = 256;

export function createWorkerServer(options: WorkerServerOptions): WorkerServer {
  const { logger } = options;
  const policy = { allowedOrigins: options.allowedOrigins, frontPort: options.frontPort };
  const originOf = (req: IncomingMessage) => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
  // Asked for every polling request (CORS) and handshake: a browser sends the same Origin and Host
  // each time, and the check parses both as URLs. Bounded: both headers are written by clients.
  const verdicts = new Map<string, boolean>();
  const allowed = (req: IncomingMessage): boolean => {
    const origin = originOf(req);
    if (origin === undefined) return true;
    // A line break cannot occur in a header value: no two pairs share a memo key.
    const memoKey = `${origin}\n${req.headers.host ?? ''}`;
    let verdict = verdicts.get(memoKey);
    if (verdict === undefined) {
      verdict = isOriginAllowed(policy, { origin, host: req.headers.host });
      if (verdicts.size >= ORIGIN_VERDICTS_MAX) verdicts.clear();
      verdicts.set(memoKey, verdict);
    }
    return verdict;
  };
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
    if (options.otherRequests) {
      options.otherRequests(req, res);
      return;
    }
    const path = req.url?.split('?', 1)[0];
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok', workerId: options.workerId, clients: io.engine.clientsCount, worker: options.record?.() });
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
  if (options.clientErrorHandler) http.on('clientError', options.clientErrorHandler);

  const io = new Server(http, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    maxHttpBufferSize: options.maxHttpBufferSize ?? 100_000,
    // A connection that has not been admitted to a namespace within this long is closed (a refused
    // client's transport would otherwise linger 45 s).
    connectTimeout: 10_000,
    // Browsers do not apply CORS to WebSocket: check the Origin at every handshake ourselves.
    allowRequest: (req, callback) => {
      const ok = allowed(req);
      callback(ok ? null : 'origin not allowed', ok);
    },
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  // CORS decided per request (the allowed front origin depends on the Host the browser used).
  io.engine.use(
    cors((req, callback) => {
      const request = req as unknown as IncomingMessage;
      const origin = originOf(request);
      callback(null, { origin: origin !== undefined && allowed(request) ? origin : false, credentials: true });
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
    if (options.handedOff) {
      // Node arms the headers and request timeouts of an HTTP server on 'listening'; this one never
      // listens (the primary hands it connections), so it is told the equivalent. engine.io
      // re-creates its WebSocket server on 'listening', as it does for a server that listens.
      http.emit('listening');
      state = 'listening';
      logger.info({ port: boundPort }, 'worker serving connections handed over by the primary');
      return boundPort;
    }
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

  // Once the port is released, no HTTP connection to this process is kept alive: the replacement
  // listens on the same port, and a proxy that pools connections (nginx's upstream keepalive) would
  // otherwise send a request of the replacement's sessions over one of ours, to be answered "Session
  // ID unknown". Requests that arrive after, and answers to polls held since before, close theirs.
  let keepAlive = true;
  http.prependListener('request', (_req, res) => {
    if (!keepAlive) res.setHeader('connection', 'close');
  });
  io.engine.on('headers', (headers: Record<string, string>) => {
    if (!keepAlive) headers.connection = 'close';
  });

  async function drain(drainMs: number, onPortReleased?: () => void, onLeaving?: () => void): Promise<void> {
    if (state !== 'listening') return;
    state = 'draining';
    onLeaving?.();
    const sockets = [...io.of('/').sockets.values()];
    logger.info({ clients: sockets.length, drainMs }, 'draining');
    const letGo = (socket: (typeof sockets)[number]) => {
      if (!socket.connected) return;
      socket.emit(DRAIN_EVENT, { workerId: options.workerId });
      socket.disconnect(true);
    };
    // Polling clients first, while the port still leads here: behind a proxy, any request made after
    // the port is released may reach the replacement, which does not know their sessions. Bounded:
    // a polling client that has gone silent is not waited for.
    const polling = sockets.filter((socket) => socket.conn.transport.name === 'polling');
    await Promise.race([
      Promise.all(
        polling.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.conn.readyState === 'closed') return resolve();
              socket.conn.once('close', () => resolve());
              letGo(socket);
            }),
        ),
      ),
      new Promise<void>((resolve) => setTimeout(resolve, POLLING_NOTICE_MS).unref()),
    ]);
    // net.Server#close, not http.Server#close: stop listening (freeing the port for the replacement)
    // and let the requests in progress finish; the idle connections go. A handed-off worker
    // (single-port mode) has no port: the primary stops sending it connections once it is out of
    // routing, and closing a server that never listened would close socket.io with it.
    if (!options.handedOff) NetServer.prototype.close.call(http);
    keepAlive = false;
    http.closeIdleConnections();
    onPortReleased?.();
    // WebSocket clients keep their own connection: spread evenly over the drain time, so that they
    // do not all come back to the front in the same instant.
    const spread = sockets.filter((socket) => socket.connected);
    await Promise.all(
      spread.map(
        (socket, i) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              letGo(socket);
              resolve();
            }, (drainMs * (i + 1)) / spread.length);
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

  function accept(socket: Socket): void {
    if (state !== 'listening' && state !== 'draining') {
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

  return { io, http, metrics: registry, start, drain, close, accept, clientCount: () => io.engine.clientsCount };
}
