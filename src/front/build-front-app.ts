// The front of the CLI: a fastify app made of plug-ins, the same `sioroute/fastify` plug-in an
// existing app would register, plus the demo page, status, probes, metrics and a load guard. A
// factory with injected membership source, secret and clock; the caller listens.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config/settings.js';
import { createFrontMetrics, REFUSAL_CODES, type RefusalCode } from '../metrics/front-metrics.js';
import type { MembershipSource } from '../registry/membership-source.js';
import { registerDemoPage } from './demo-page.js';
import { errorBody, FrontError, rawErrorResponse, type FrontErrorCode } from './errors.js';
import { sioroute } from './fastify-plugin.js';
import { registerLoadGuard, type LoadGuardOptions } from './load-guard.js';
import { registerMetricsRoute } from './metrics-route.js';
import { createProxyTrust } from './proxy-trust.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerProbeRoutes, registerStatusRoutes } from './status-routes.js';
import { TimedLogController } from './timed-log-controller.js';
import { guardConnections } from '../net/connection-guard.js';

export type FrontConfig = Pick<
  Config,
  | 'host' | 'trustProxy' | 'tokenTtlSeconds' | 'workerPublicUrl' | 'allowedOrigins' | 'ipv4Prefix' | 'ipv6Prefix' | 'rateLimitPerMinute' | 'metricsFrom'
  | 'headersTimeoutSeconds' | 'maxConnectionsPerAddress' | 'statusFrom'
>;

export interface FrontMetricsOptions {
  /** Where the front's own metrics live. @default a new registry, without process metrics */
  readonly registry?: Registry;
  /**
   * The Prometheus text GET /metrics answers, e.g. the aggregate of a whole cluster; a rejection
   * answers 503 METRICS_UNAVAILABLE. @default the registry's own text
   */
  readonly scrape?: () => Promise<string>;
}

export interface FrontOptions {
  readonly config: FrontConfig;
  /** Who is alive: the supervisor's mirror, Redis, a static list... */
  readonly membership: MembershipSource;
  readonly secret: string;
  readonly logger: Logger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** How long a client may take to send its request line and headers, in ms. @default HEADERS_TIMEOUT_SECONDS */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send its whole request, body included, in ms (fastify's default is no limit). @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** When to turn requests away with 503 OVERLOADED. @default see LoadGuardOptions */
  readonly loadGuard?: LoadGuardOptions;
  /** What GET /metrics serves. @default see FrontMetricsOptions */
  readonly metrics?: FrontMetricsOptions;
}

/** Bytes that never became a request: answer in the front's error shape, then close. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: FrontErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  if (socket.writable) socket.write(rawErrorResponse(code));
  socket.destroy();
}

export async function buildFrontApp(options: FrontOptions): Promise<FastifyInstance> {
  const { config, membership: source } = options;
  const now = options.now ?? Date.now;
  const headersTimeout = options.headersTimeoutMs ?? config.headersTimeoutSeconds * 1000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout + 1000);
  const registry = options.metrics?.registry ?? new Registry();
  const metrics = createFrontMetrics(registry, source.membership);
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy: config.trustProxy.length > 0 ? createProxyTrust(config.trustProxy) : false,
    // Logs no requests (they would carry client addresses), and times GET /ws-endpoint.
    logController: new TimedLogController((seconds) => metrics.wsEndpointAnswered(seconds)),
    return503OnClosing: true,
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 100 },
    // Slow or idle sockets must not pile up: Node checks these limits every connectionsCheckingInterval.
    requestTimeout,
    // Node's own check is the backstop: the guard's timer per socket (below) acts first.
    http: { headersTimeout: headersTimeout + 1000, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
    clientErrorHandler,
  });

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof FrontError) {
      refused(error.code);
      return reply.code(error.statusCode).send(errorBody(error.code, error.message));
    }
    if (error.statusCode === 429) return reply.code(429).send(errorBody('RATE_LIMITED'));
    if (error.statusCode === 413) return reply.code(413).send(errorBody('PAYLOAD_TOO_LARGE'));
    if (error.validation) return reply.code(400).send(errorBody('BAD_REQUEST', error.message));
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ ...errorBody('BAD_REQUEST', error.message), statusCode: error.statusCode });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('INTERNAL_ERROR'));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NOT_FOUND')));

  const refused = (code: string) => {
    if ((REFUSAL_CODES as readonly string[]).includes(code)) metrics.refused(code as RefusalCode);
  };
  await registerLoadGuard(app, { ...options.loadGuard, onOverloaded: () => metrics.refused('OVERLOADED') });
  registerSecurityHeaders(app, source, () => app.sioroute.core);
  // The app's own trustProxy (above) gives request.ip/hostname/protocol; the plug-in uses them.
  await app.register(sioroute, {
    membership: source,
    secret: options.secret,
    allowedOrigins: config.allowedOrigins,
    tokenTtlSeconds: config.tokenTtlSeconds,
    workerPublicUrl: config.workerPublicUrl,
    ipv4Prefix: config.ipv4Prefix,
    ipv6Prefix: config.ipv6Prefix,
    rateLimitPerMinute: config.rateLimitPerMinute,
    fallbackHost: config.host,
    onAnswer: (workerId) => metrics.routingAnswer(workerId),
    onRefused: refused,
    now,
  });
  await registerDemoPage(app);
  registerProbeRoutes(app, source.membership);
  registerStatusRoutes(app, source.membership, metrics, { now, statusFrom: config.statusFrom });
  registerMetricsRoute(app, { registry, scrape: options.metrics?.scrape ?? (() => registry.metrics()), metricsFrom: config.metricsFrom });
  // Last, so that it sees every request first (fastify's own request listener is in place).
  guardConnections(app.server, { headersTimeoutMs: headersTimeout, maxPerAddress: config.maxConnectionsPerAddress, timeoutResponse: rawErrorResponse('REQUEST_TIMEOUT'), logger: options.logger });
  return app;
}
