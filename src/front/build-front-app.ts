// The front: a fastify app that hashes each client to a live worker and hands out its address,
// in the page or as JSON. A factory with injected membership, secret and clock; src/cli.ts listens.
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import { Eta } from 'eta';
import helmet from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { WsEndpoint } from '../client/protocol.js';
import type { Config } from '../config/settings.js';
import { chartLayout, STATE_COLOURS } from '../client/status-chart.js';
import { CLIENT_BUILD_DIR, PUBLIC_DIR, socketIoClientDistDir, VIEWS_DIR } from '../paths.js';
import { createFrontMetrics } from '../metrics/front-metrics.js';
import { createScrapeAccess } from '../metrics/scrape-access.js';
import type { Membership } from '../registry/membership.js';
import { clientKey, type ClientKey } from '../routing/client-key.js';
import { workerSource } from '../routing/worker-address.js';
import { createEndpointResolver } from './endpoint-answer.js';
import { errorBody, rawErrorResponse, type FrontErrorCode } from './errors.js';
import { jsonForScript } from './json-in-script.js';
import { registerLoadGuard, UNGUARDED, type LoadGuardOptions } from './load-guard.js';
import { createProxyTrust } from './proxy-trust.js';
import { createRateLimiter } from './rate-limit.js';
import { TimedLogController } from './timed-log-controller.js';
import { healthOf, statusOf } from './status.js';

export type FrontConfig = Pick<
  Config,
  'host' | 'workers' | 'trustProxy' | 'tokenTtlSeconds' | 'workerPublicUrl' | 'allowedOrigins' | 'ipv4Prefix' | 'ipv6Prefix' | 'rateLimitPerMinute' | 'metricsFrom'
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
  readonly membership: Membership;
  readonly secret: string;
  readonly logger: Logger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** How long a client may take to send its request line and headers, in ms. @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send its whole request, body included, in ms (fastify's default is no limit). @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** When to turn requests away with 503 OVERLOADED. @default see LoadGuardOptions */
  readonly loadGuard?: LoadGuardOptions;
  /**
   * Whether the CSP names the embedded supervisor's worker slots (w0..w{WORKERS-1} on the front's
   * template) before they join; false for a front whose workers are separate services. @default true
   */
  readonly embeddedSlots?: boolean;
  /**
   * Single-port mode: the primary hands every connection to the worker its TCP peer address hashes
   * to, reading no header and taking no hint, and a token for any other worker would only be refused
   * (TOKEN_WRONG_WORKER). So the answer is that pick: keyed by the peer address whatever TRUST_PROXY
   * says (X-Forwarded-For still keys the rate limit), and the `avoid` hint is not followed.
   * @default false
   */
  readonly answerPrimaryPick?: boolean;
  /** What GET /metrics serves. @default see FrontMetricsOptions */
  readonly metrics?: FrontMetricsOptions;
}

/** `avoid`: up to four worker ids, comma-separated (a client that failed on several workers of one host). */
const AVOID_LIST = '^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,3}$';
/** The shape of WsEndpoint: `satisfies` keeps the two in step (a field missing here would be dropped). */
const WS_ENDPOINT_PROPERTIES = {
  workerId: { type: 'string' },
  url: { type: 'string' },
  path: { type: 'string' },
  token: { type: 'string' },
  expiresAt: { type: 'integer' },
} as const satisfies Record<keyof WsEndpoint, { type: string }>;
const WS_ENDPOINT_SCHEMA = {
  type: 'object',
  properties: WS_ENDPOINT_PROPERTIES,
  required: Object.keys(WS_ENDPOINT_PROPERTIES),
  additionalProperties: false,
};
const SAFE_HOSTNAME = /^([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]{2,45}\]$/;
const SOURCES_CACHE_MAX = 64;
/** Client keys the rate limit counts per minute; beyond it new keys pass uncounted (memory bound). */
const RATE_LIMIT_KEYS_MAX = 100_000;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

class FrontError extends Error {
  constructor(readonly code: FrontErrorCode, message?: string) {
    super(message);
  }
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
  const { config, membership } = options;
  const now = options.now ?? Date.now;
  const answerPrimaryPick = options.answerPrimaryPick ?? false;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const registry = options.metrics?.registry ?? new Registry();
  const metrics = createFrontMetrics(registry, membership);
  const scrape = options.metrics?.scrape ?? (() => registry.metrics());
  const scrapeAllowed = createScrapeAccess(config.metricsFrom);
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
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
    clientErrorHandler,
  });

  // request.ip runs proxy-addr on every read: routes derive the key once and pass it along (the rate
  // limiter and the answer both need it).
  const maybeKeyOf = (request: FastifyRequest): ClientKey | undefined => clientKey(request.ip, config);
  /** Which worker answers for this client: by its key, or in single-port mode by its TCP peer. */
  const routingKeyOf = (request: FastifyRequest, key: ClientKey | undefined): ClientKey => {
    const routingKey = answerPrimaryPick ? clientKey(request.socket.remoteAddress ?? '', config) : key;
    if (!routingKey) throw new FrontError('BAD_CLIENT_ADDRESS');
    return routingKey;
  };

  /** The host name browsers used for the front: the worker address reuses it ({hostname}). */
  const hostnameOf = (request: { hostname?: string; headers: IncomingMessage['headers'] }): string => {
    const given = request.hostname ?? request.headers.host?.replace(/:[0-9]+$/, '') ?? '';
    if (SAFE_HOSTNAME.test(given)) return given;
    if (!WILDCARD_HOSTS.has(config.host)) return config.host.includes(':') ? `[${config.host}]` : config.host;
    throw new FrontError('BAD_REQUEST', 'the Host header is not a valid host name');
  };

  /** `http` or `https`; X-Forwarded-Proto counts only from TRUST_PROXY, and only with one of these. */
  const protocolOf = (request: FastifyRequest): 'http' | 'https' => {
    const protocol = (request.protocol ?? '').trim().toLowerCase();
    if (protocol === 'http' || protocol === 'https') return protocol;
    throw new FrontError('BAD_REQUEST', 'X-Forwarded-Proto is neither http nor https');
  };

  const endpointFor = createEndpointResolver({
    membership,
    secret: options.secret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    workerPublicUrl: config.workerPublicUrl,
  });
  const endpointForRequest = (request: FastifyRequest, key: ClientKey | undefined, avoid: readonly string[] | undefined) => {
    const endpoint = endpointFor({ key: routingKeyOf(request, key), avoid, now: now(), hostname: hostnameOf(request), protocol: protocolOf(request) });
    if (endpoint) metrics.routingAnswer(endpoint.workerId);
    return endpoint;
  };

  // helmet computes the CSP from the raw request; the page's worker addresses come from the fastify
  // request (X-Forwarded-Host/-Proto from TRUST_PROXY), and the CSP must name the same hosts.
  const fastifyRequests = new WeakMap<IncomingMessage, FastifyRequest>();
  app.addHook('onRequest', (request, _reply, done) => {
    fastifyRequests.set(request.raw, request);
    done();
  });

  /**
   * Worker sources for the page's connect-src: every slot the page may be sent to later (the
   * configured ones and any in membership), at any port, over http(s) and ws(s).
   */
  // Computed per (protocol, host) and membership, not per request: every response carries the CSP.
  const sourcesCache = new Map<string, string>();
  membership.onChange(() => sourcesCache.clear());
  const workerSources = (req: IncomingMessage): string => {
    const request = fastifyRequests.get(req);
    let hostname: string;
    let protocol: string;
    try {
      hostname = hostnameOf(request ?? { headers: req.headers });
      protocol = request ? protocolOf(request) : (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    } catch {
      return '';
    }
    const cacheKey = `${protocol}://${hostname}`;
    let sources = sourcesCache.get(cacheKey);
    if (sources === undefined) {
      // Embedded slots fill the front's template; separate workers bring their own.
      const slots = new Map<string, { id: string; index: number; template: string }>();
      if (options.embeddedSlots !== false) {
        for (let index = 0; index < config.workers; index++) slots.set(`w${index}`, { id: `w${index}`, index, template: config.workerPublicUrl });
      }
      for (const w of membership.list()) slots.set(w.id, { id: w.id, index: w.index, template: w.publicUrl ?? config.workerPublicUrl });
      const set = new Set<string>();
      for (const { id, index, template } of slots.values()) {
        const source = workerSource(template, { id, index, hostname, protocol });
        set.add(source);
        set.add(source.replace(/^http/, 'ws'));
      }
      sources = [...set].join(' ');
      // Bounded: Host headers are chosen by clients.
      if (sourcesCache.size >= SOURCES_CACHE_MAX) sourcesCache.clear();
      sourcesCache.set(cacheKey, sources);
    }
    return sources;
  };

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof FrontError) return reply.code(errorBody(error.code).statusCode).send(errorBody(error.code, error.message || undefined));
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

  await registerLoadGuard(app, options.loadGuard);
  // helmet itself, built once: @fastify/helmet builds the whole helmet middleware again for every
  // request, about 9% of a request's CPU in bench/front-throughput.ts.
  const secureHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", (req: IncomingMessage) => workerSources(req)],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        // Worker URLs follow the scheme the page was reached by; forcing https would break plain-http sites.
        upgradeInsecureRequests: null,
      },
    },
    // The worker ports are other origins; the page must be allowed to reach them.
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => secureHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  const limiter = createRateLimiter({ max: config.rateLimitPerMinute, windowMs: 60_000, maxKeys: RATE_LIMIT_KEYS_MAX });
  /** Count the request against its client key; a refusal is 429 RATE_LIMITED with Retry-After. */
  const limit = (request: FastifyRequest, key: ClientKey | undefined, reply: FastifyReply): void => {
    const waitSeconds = limiter.hit(key?.id ?? request.ip, now());
    if (waitSeconds === 0) return;
    reply.header('retry-after', String(waitSeconds));
    throw new FrontError('RATE_LIMITED');
  };

  await app.register(view, { engine: { eta: new Eta() }, templates: VIEWS_DIR });

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: false, wildcard: false });
  await app.register(fastifyStatic, { root: CLIENT_BUILD_DIR, prefix: '/client/', decorateReply: false, wildcard: false });
  await app.register(fastifyStatic, {
    root: socketIoClientDistDir(),
    prefix: '/client/vendor/',
    decorateReply: false,
    wildcard: false,
    allowedPath: (pathName) => /^\/socket\.io\.esm\.min\.js(\.map)?$/.test(pathName),
  });

  app.get('/', async (request, reply) => {
    const key = maybeKeyOf(request);
    limit(request, key, reply);
    const endpoint = endpointForRequest(request, key, undefined);
    reply.header('cache-control', 'no-store');
    return reply.viewAsync('index.eta', { title: 'sioroute demo', endpointJson: jsonForScript(endpoint ?? null) });
  });

  // CORS for single-page apps served elsewhere: only the listed origins (same-origin needs none).
  await app.register(async (scope) => {
    // @fastify/cors answers a preflight without Origin or Access-Control-Request-Method with a
    // text/plain 400 (on any path: its OPTIONS * route is global); answer in the front's shape instead.
    scope.addHook('onRequest', (request, _reply, done) => {
      if (request.method === 'OPTIONS' && (!request.headers.origin || !request.headers['access-control-request-method'])) {
        done(new FrontError('BAD_REQUEST', 'a CORS preflight needs Origin and Access-Control-Request-Method'));
        return;
      }
      done();
    });
    await scope.register(cors, { origin: [...config.allowedOrigins], methods: ['GET'], maxAge: 600 });
    scope.get<{ Querystring: { avoid?: string } }>(
      '/ws-endpoint',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: { avoid: { type: 'string', pattern: AVOID_LIST } },
          },
          // Serialized by fast-json-stringify instead of JSON.stringify, and never more than these fields.
          response: { 200: WS_ENDPOINT_SCHEMA },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const key = maybeKeyOf(request);
        limit(request, key, reply);
        const endpoint = endpointForRequest(request, key, answerPrimaryPick ? undefined : request.query.avoid?.split(','));
        if (!endpoint) {
          reply.header('retry-after', '1');
          throw new FrontError('NO_HEALTHY_WORKER');
        }
        return endpoint;
      },
    );
  });

  app.get('/healthz', UNGUARDED, async (_request, reply) => {
    const health = healthOf(membership.list());
    reply.header('cache-control', 'no-store');
    return reply.code(health.status === 'down' ? 503 : 200).send(health);
  });

  const currentStatus = async () => statusOf(membership.list(), now(), await metrics.answersByWorker());

  app.get('/status.json', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return currentStatus();
  });

  app.get('/status', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const status = await currentStatus();
    return reply.viewAsync('status.eta', { status, chart: chartLayout(status.list), colours: STATE_COLOURS });
  });

  app.get('/metrics', UNGUARDED, async (request, reply) => {
    // The TCP peer, not request.ip: X-Forwarded-For is written by whoever sends the request.
    if (!scrapeAllowed(request.socket.remoteAddress)) throw new FrontError('METRICS_FORBIDDEN');
    reply.header('cache-control', 'no-store');
    let text: string;
    try {
      text = await scrape();
    } catch (error) {
      request.log.warn({ err: error }, 'metrics could not be collected');
      reply.header('retry-after', '1');
      throw new FrontError('METRICS_UNAVAILABLE');
    }
    return reply.type(registry.contentType).send(text);
  });

  return app;
}
