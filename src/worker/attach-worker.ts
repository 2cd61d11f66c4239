// attachWorker(io, options): make a socket.io Server the application created itself a sioroute
// worker, its handlers untouched. It adds admission by routing token (namespaces may be exempt),
// CORS and Origin checks for the allowed origins, /healthz /livez /readyz /metrics on io's HTTP
// server, membership registration, and a drain that moves clients away before closing.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import cors from 'cors';
import { Registry } from 'prom-client';
import type { Namespace, Server } from 'socket.io';
import type { AdmissionErrorCode } from '../protocol/wire.js';
import { createWorkerMetrics } from '../metrics/worker-metrics.js';
import type { WorkerRecord } from '../registry/worker-record.js';
import { bindWorkerTemplate } from '../routing/worker-address.js';
import { createAdmission } from './admission.js';
import { checkAttachOptions, type AttachWorkerOptions } from './attach-options.js';
import { drainSockets } from './drain-sockets.js';
import { createOriginCheck } from './origin-policy.js';
import { releaseHandshakeRequests } from './release-requests.js';
import { createWorkerRoutes, WORKER_ROUTES } from './worker-routes.js';

export type { AttachWorkerOptions } from './attach-options.js';

export interface DrainHooks {
  /** Out of routing (new sessions are refused from now on). */
  readonly onLeaving?: () => void;
  /** The port is released: a replacement may listen on it. */
  readonly onPortReleased?: () => void;
  /**
   * Keep listening until closed (a stop: no replacement will want the port, and /readyz answers
   * 503 meanwhile). By default the port is released once the polling clients have their notice,
   * so that a replacement can listen on it during the rest of the drain. @default false
   */
  readonly keepPort?: boolean;
}

export interface WorkerHandle {
  readonly workerId: string;
  /** The worker's metrics (served on GET /metrics). */
  readonly metrics: Registry;
  readonly state: 'serving' | 'draining' | 'closed';
  /** What /healthz and the registration say about this worker; undefined before io's server listens. */
  record(): WorkerRecord | undefined;
  clientCount(): number;
  /** Resolves once the registration has joined routing (at once without one); rejects when it cannot. */
  readonly ready: Promise<void>;
  /**
   * Refuse new sessions, leave routing, tell every routed client to move (polling ones at once,
   * WebSocket ones spread over `drainMs`), release the port, then close io. Resolves when closed.
   */
  drain(drainMs: number, hooks?: DrainHooks): Promise<void>;
  /** Disconnect everyone, leave routing, close io. */
  close(): Promise<void>;
}

export function attachWorker(io: Server, options: AttachWorkerOptions): WorkerHandle {
  const checked = checkAttachOptions(options);
  const { workerId, logger, exempt } = checked;
  let state: WorkerHandle['state'] = 'serving';
  const registry = checked.metricsRegistry ?? new Registry();
  const metrics = createWorkerMetrics(registry, { workerId, clients: () => io.engine.clientsCount });
  const originAllowed = createOriginCheck({ allowedOrigins: checked.allowedOrigins, frontPort: checked.frontPort });
  const originOf = (req: IncomingMessage) => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined);

  // Browsers do not apply CORS to WebSocket: check the Origin at every handshake ourselves.
  const previousAllow = io.engine.opts.allowRequest;
  io.engine.opts.allowRequest = (req, callback) => {
    if (!originAllowed(req)) return callback('origin not allowed', false);
    if (previousAllow) return previousAllow(req, callback);
    callback(null, true);
  };
  // CORS decided per request (the allowed front origin depends on the Host the browser used).
  if (checked.cors) {
    io.engine.use(
      cors((req, callback) => {
        const request = req as unknown as IncomingMessage;
        const origin = originOf(request);
        callback(null, { origin: origin !== undefined && originAllowed(request) ? origin : false, credentials: true });
      }),
    );
  }

  if (checked.releaseHandshakeRequests) releaseHandshakeRequests(io);

  const admission = createAdmission({
    workerId,
    isDraining: () => state !== 'serving',
    secret: checked.secret,
    now: checked.now,
    onRefused: (code: AdmissionErrorCode) => metrics.refused(code),
    onAdmitted: () => metrics.admitted(),
  });
  // First in line: an application's own middlewares never see a socket without a valid token.
  const guard = (namespace: Namespace) => {
    if (exempt.has(namespace.name)) return;
    const fns = (namespace as unknown as { _fns: unknown[] })._fns;
    fns.unshift(admission);
  };
  for (const namespace of io._nsps.values()) guard(namespace);
  io.on('new_namespace', guard);

  const startedAt = Date.now();
  const instance = randomBytes(8).toString('hex');
  // socket.io types its server as any of node's; a sioroute worker is plain HTTP(S)/1.1.
  const http = io.httpServer as HttpServer | undefined;
  const boundPort = (): number | undefined => {
    const address = http?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : checked.port;
  };
  const record = (): WorkerRecord | undefined => {
    const port = boundPort();
    if (port === undefined) return undefined;
    return {
      id: workerId, index: checked.index, port, publicUrl: bindWorkerTemplate(checked.publicUrl, { id: workerId, index: checked.index, port }),
      weight: checked.weight, state: state === 'serving' ? 'ready' : 'draining', clients: io.engine.clientsCount, pid: process.pid, startedAt, instance,
    };
  };

  // Once the port is released no HTTP connection to this process is kept alive: a pooling proxy
  // would otherwise send a request of the replacement's sessions over one of ours.
  let keepAlive = true;
  io.engine.on('headers', (headers: Record<string, string>) => {
    if (!keepAlive) headers.connection = 'close';
  });
  if (http && checked.routes) {
    const routes = createWorkerRoutes({ workerId, clients: () => io.engine.clientsCount, draining: () => state !== 'serving', record, registry, metricsFrom: checked.metricsFrom, logger });
    // As engine.io attaches itself: answer our paths first, hand everything else to the listeners that were there.
    const previous = http.listeners('request') as ((...args: unknown[]) => void)[];
    http.removeAllListeners('request');
    http.on('request', (req: IncomingMessage, res) => {
      if (!keepAlive) res.setHeader('connection', 'close');
      const path = req.url?.split('?', 1)[0] ?? '';
      if (WORKER_ROUTES.has(path)) return routes(req, res, path);
      for (const listener of previous) listener.call(http, req, res);
    });
  }

  const joined = (async () => {
    if (!checked.registration) return;
    // Once io's server listens (or, handed its connections, says so): never before the handlers are in.
    if (http && !http.listening) await new Promise((resolve) => http.once('listening', resolve));
    await checked.registration.join(() => record()!, logger);
  })();
  // Callers that await `ready` see the reason; nobody else must get an unhandled rejection.
  joined.catch(() => {});

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      state = 'closed';
      await checked.registration?.leave();
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        // Keep-alive polling connections would hold close() open.
        http?.closeAllConnections();
      });
    })());

  return {
    workerId,
    metrics: registry,
    get state() {
      return state;
    },
    record,
    clientCount: () => io.engine.clientsCount,
    ready: joined,
    async drain(drainMs, hooks = {}) {
      if (state !== 'serving') return closing;
      state = 'draining';
      hooks.onLeaving?.();
      await checked.registration?.leaving().catch((error: unknown) => logger.warn({ err: error }, 'could not announce the drain'));
      logger.info({ clients: io.engine.clientsCount, drainMs }, 'draining');
      await drainSockets(
        {
          io,
          workerId,
          exempt,
          releasePort: () => {
            // net.Server#close: stop listening (freeing the port) and let requests in progress
            // finish. A server that never listened (single-port hand-over) has no port to free.
            if (hooks.keepPort) return;
            if (http?.listening) NetServer.prototype.close.call(http);
            keepAlive = false;
            http?.closeIdleConnections();
            checked.registration?.portReleased?.();
            hooks.onPortReleased?.();
          },
        },
        drainMs,
      );
      await close();
    },
    close,
  };
}
