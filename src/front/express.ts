// `sioroute/express`: the same routing for an existing express (v5) app. `sioroute(options)` is a
// handler serving `GET <prefix>/ws-endpoint` (with CORS for the allowed origins), and its
// `endpointFor(req)` gives the endpoint for a request, to render into the app's own template.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WsEndpoint } from '../protocol/wire.js';
import { errorBody, FrontError } from './errors.js';
import { createRoutingCore, type RequestView, type RoutingCore } from './routing-core.js';
import { checkRoutingOptions, type RoutingOptions } from './routing-options.js';

/** The parts of an express request this reads (express 5's `req.ip`, `req.hostname`, `req.protocol`). */
export interface ExpressLikeRequest extends IncomingMessage {
  ip?: string | undefined;
  hostname?: string | undefined;
  protocol?: string | undefined;
}

export interface SiorouteExpressHandler {
  (req: ExpressLikeRequest, res: ServerResponse, next: (error?: unknown) => void): void;
  /** The endpoint for this request's client (null when no worker is live). Throws a coded error (`statusCode`, `code`) for a bad request. */
  endpointFor(req: ExpressLikeRequest, options?: { avoid?: readonly string[] }): WsEndpoint | null;
  /** Resolves once the membership source has its first view. */
  readonly ready: Promise<void>;
  /** Stop the membership source. */
  close(): Promise<void>;
  readonly core: RoutingCore;
}

export type SiorouteExpressOptions = RoutingOptions;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function sioroute(options: SiorouteExpressOptions): SiorouteExpressHandler {
  const core = createRoutingCore(checkRoutingOptions('sioroute/express', options));
  const route = `${core.options.prefix}/ws-endpoint`;
  const allowed = new Set(core.options.allowedOrigins);
  const viewOf = (req: ExpressLikeRequest): RequestView =>
    core.viewOf?.(req) ?? {
      ip: req.ip ?? req.socket.remoteAddress,
      peer: req.socket.remoteAddress,
      hostname: req.hostname ?? req.headers.host?.replace(/:[0-9]+$/, ''),
      protocol: req.protocol ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'),
    };

  const answer = (req: ExpressLikeRequest, res: ServerResponse, corsHeaders: Record<string, string>): void => {
    const view = viewOf(req);
    const key = core.keyOf(view);
    const waitSeconds = core.limit(view, key);
    if (waitSeconds > 0) return send(res, 429, errorBody('RATE_LIMITED'), { ...corsHeaders, 'retry-after': String(waitSeconds) });
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const endpoint = core.answer(view, key, core.parseAvoid(query.get('avoid') ?? undefined));
    if (!endpoint) return send(res, 503, errorBody('NO_HEALTHY_WORKER'), { ...corsHeaders, 'retry-after': '1' });
    send(res, 200, endpoint, corsHeaders);
  };

  const handler = ((req, res, next) => {
    if ((req.url ?? '').split('?', 1)[0] !== route) return next();
    const origin = req.headers.origin;
    const corsHeaders: Record<string, string> = origin !== undefined && allowed.has(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
    try {
      if (req.method === 'OPTIONS') {
        if (!origin || !req.headers['access-control-request-method']) throw new FrontError('BAD_REQUEST', 'a CORS preflight needs Origin and Access-Control-Request-Method');
        res.writeHead(204, { ...corsHeaders, 'access-control-allow-methods': 'GET', 'access-control-max-age': '600' });
        res.end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      answer(req, res, corsHeaders);
    } catch (error) {
      if (!(error instanceof FrontError)) return next(error);
      send(res, error.statusCode, errorBody(error.code, error.message), corsHeaders);
    }
  }) as SiorouteExpressHandler;
  const endpointFor = (req: ExpressLikeRequest, answerOptions?: { avoid?: readonly string[] }) => {
    const view = viewOf(req);
    return core.answer(view, core.keyOf(view), answerOptions?.avoid);
  };
  return Object.assign(handler, { endpointFor, ready: core.options.membership.ready, close: () => core.options.membership.close(), core });
}

export default sioroute;
