// `sioroute/fastify`: add server-side routing to an existing fastify app. It serves
// `GET <prefix>/ws-endpoint` and decorates the app with `sioroute.endpointFor(request)`, the
// endpoint for the current request, to render into the app's own template. No page, no status.
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WsEndpoint } from '../protocol/wire.js';
import { errorBody, FrontError } from './errors.js';
import { AVOID_LIST, createRoutingCore, type RequestView, type RoutingCore } from './routing-core.js';
import { checkRoutingOptions, type RoutingOptions } from './routing-options.js';

export interface SiorouteDecorator {
  /** The endpoint for this request's client (null when no worker is live). Throws a coded 4xx error for a bad request. */
  endpointFor(request: FastifyRequest, options?: { avoid?: readonly string[] }): WsEndpoint | null;
  /** Count this request against the client's rate limit; throws 429 RATE_LIMITED (with Retry-After on the reply) when over. */
  limit(request: FastifyRequest, reply: { header(name: string, value: string): unknown }): void;
  readonly core: RoutingCore;
}

declare module 'fastify' {
  interface FastifyInstance {
    sioroute: SiorouteDecorator;
  }
}

export type SiorouteFastifyOptions = RoutingOptions;

/** The shape of WsEndpoint: `satisfies` keeps the two in step (a field missing here would be dropped). */
const WS_ENDPOINT_PROPERTIES = {
  workerId: { type: 'string' },
  url: { type: 'string' },
  path: { type: 'string' },
  token: { type: 'string' },
  expiresAt: { type: 'integer' },
} as const satisfies Record<keyof WsEndpoint, { type: string }>;
const WS_ENDPOINT_SCHEMA = { type: 'object', properties: WS_ENDPOINT_PROPERTIES, required: Object.keys(WS_ENDPOINT_PROPERTIES), additionalProperties: false };

function viewFrom(core: RoutingCore, request: FastifyRequest): RequestView {
  if (core.viewOf) return core.viewOf(request.raw);
  return {
    ip: request.ip,
    peer: request.socket.remoteAddress,
    hostname: request.hostname ?? request.headers.host?.replace(/:[0-9]+$/, ''),
    protocol: request.protocol,
  };
}

async function siorouteFastify(app: FastifyInstance, options: SiorouteFastifyOptions): Promise<void> {
  const core = createRoutingCore(checkRoutingOptions('sioroute/fastify', options));
  const { membership } = core.options;
  app.addHook('onClose', async () => membership.close());
  await membership.ready;

  const limit = (view: RequestView, key: ReturnType<RoutingCore['keyOf']>, reply: { header(name: string, value: string): unknown }) => {
    const waitSeconds = core.limit(view, key);
    if (waitSeconds === 0) return;
    reply.header('retry-after', String(waitSeconds));
    throw new FrontError('RATE_LIMITED');
  };
  app.decorate('sioroute', {
    core,
    endpointFor(request: FastifyRequest, answerOptions?: { avoid?: readonly string[] }) {
      const view = viewFrom(core, request);
      return core.answer(view, core.keyOf(view), answerOptions?.avoid);
    },
    limit(request: FastifyRequest, reply: { header(name: string, value: string): unknown }) {
      const view = viewFrom(core, request);
      limit(view, core.keyOf(view), reply);
    },
  } satisfies SiorouteDecorator);

  // Encapsulated: the route's CORS and error answers must not change the rest of the app.
  await app.register(async (scope) => {
    scope.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
      if (error instanceof FrontError) {
        core.options.onRefused?.(error.code);
        return reply.code(error.statusCode).send(errorBody(error.code, error.message));
      }
      if (error.validation) {
        core.options.onRefused?.('BAD_REQUEST');
        return reply.code(400).send(errorBody('BAD_REQUEST', error.message));
      }
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ ...errorBody('BAD_REQUEST', error.message), statusCode: error.statusCode });
      }
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(errorBody('INTERNAL_ERROR'));
    });
    // @fastify/cors answers a preflight without Origin or Access-Control-Request-Method with a
    // text/plain 400; answer in the contract's shape instead.
    scope.addHook('onRequest', (request, _reply, done) => {
      if (request.method === 'OPTIONS' && (!request.headers.origin || !request.headers['access-control-request-method'])) {
        done(new FrontError('BAD_REQUEST', 'a CORS preflight needs Origin and Access-Control-Request-Method'));
        return;
      }
      done();
    });
    // Same-origin pages need no CORS; other origins only when listed.
    await scope.register(cors, { origin: [...core.options.allowedOrigins], methods: ['GET'], maxAge: 600 });
    scope.get<{ Querystring: { avoid?: string } }>(
      `${core.options.prefix}/ws-endpoint`,
      {
        schema: {
          querystring: { type: 'object', properties: { avoid: { type: 'string', pattern: AVOID_LIST } } },
          // Serialized by fast-json-stringify instead of JSON.stringify, and never more than these fields.
          response: { 200: WS_ENDPOINT_SCHEMA },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const view = viewFrom(core, request);
        const key = core.keyOf(view);
        limit(view, key, reply);
        const endpoint = core.answer(view, key, request.query.avoid?.split(','));
        if (!endpoint) {
          reply.header('retry-after', '1');
          throw new FrontError('NO_HEALTHY_WORKER');
        }
        return endpoint;
      },
    );
  });
}

/** Register with `app.register(sioroute, { membership, secret, ... })`. */
export const sioroute = fp(siorouteFastify, { fastify: '5.x', name: 'sioroute' });
export default sioroute;
