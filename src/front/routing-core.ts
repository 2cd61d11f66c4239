// The routing answer for one request, whatever the web framework: the client's address, the host
// and scheme it used, the workers it asks to avoid -> an endpoint, a rate-limit verdict, a CORS
// verdict. sioroute/fastify and sioroute/express are thin adapters over this.
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { WsEndpoint } from '../protocol/wire.js';
import { clientKey, type ClientKey } from '../routing/client-key.js';
import { createEndpointResolver } from './endpoint-answer.js';
import { FrontError } from './errors.js';
import { createProxyTrust, type ProxyTrust } from './proxy-trust.js';
import { createRateLimiter } from './rate-limit.js';
import type { CheckedRoutingOptions } from './routing-options.js';

/** How a request reached us, as the framework (or our own proxy trust) sees it. */
export interface RequestView {
  /** Client address after the trusted proxies. */
  readonly ip: string | undefined;
  /** The TCP peer. */
  readonly peer: string | undefined;
  /** Host name the client used, without port. */
  readonly hostname: string | undefined;
  /** `http` or `https` as the client used it. */
  readonly protocol: string | undefined;
}

/** `avoid`: up to four worker ids, comma-separated (a client that failed on several workers of one host). */
export const AVOID_LIST = '^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,3}$';
const AVOID_PATTERN = new RegExp(AVOID_LIST);
const SAFE_HOSTNAME = /^([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]{2,45}\]$/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
/** Client keys the rate limit counts per minute; beyond it new keys pass uncounted (memory bound). */
const RATE_LIMIT_KEYS_MAX = 100_000;

export interface RoutingCore {
  readonly options: CheckedRoutingOptions;
  /** The endpoint for this client, or null when no worker is live. Throws FrontError for a bad request. */
  answer(view: RequestView, key: ClientKey | undefined, avoid: readonly string[] | undefined): WsEndpoint | null;
  /** The routing key of the client address (undefined for a non-IP address). */
  keyOf(view: RequestView): ClientKey | undefined;
  /** Count a request; 0 when allowed, else the seconds to put in Retry-After. */
  limit(view: RequestView, key: ClientKey | undefined): number;
  /** The `avoid` query value as a list; throws FrontError BAD_REQUEST when malformed. */
  parseAvoid(raw: unknown): string[] | undefined;
  /** A view from the raw request with our own proxy trust (when the `trustProxy` option is set). */
  viewOf?: (req: IncomingMessage) => RequestView;
  /** The host name a request is answered for ({hostname}); throws FrontError when unusable. */
  hostnameOf(view: RequestView): string;
  /** `http` or `https`; throws FrontError for anything else from a trusted proxy. */
  protocolOf(view: RequestView): 'http' | 'https';
}

export function createRoutingCore(options: CheckedRoutingOptions): RoutingCore {
  const source = options.membership;
  const endpointFor = createEndpointResolver({
    membership: source.membership,
    secret: options.secret,
    tokenTtlSeconds: options.tokenTtlSeconds,
    workerPublicUrl: options.workerPublicUrl,
  });
  const limiter = createRateLimiter({ max: options.rateLimitPerMinute, windowMs: 60_000, maxKeys: RATE_LIMIT_KEYS_MAX });

  const hostnameOf = (view: RequestView): string => {
    const given = view.hostname ?? '';
    if (SAFE_HOSTNAME.test(given)) return given;
    const fallback = options.fallbackHost;
    if (fallback !== undefined && !WILDCARD_HOSTS.has(fallback)) return fallback.includes(':') ? `[${fallback}]` : fallback;
    throw new FrontError('BAD_REQUEST', 'the Host header is not a valid host name');
  };
  const protocolOf = (view: RequestView): 'http' | 'https' => {
    const protocol = (view.protocol ?? '').trim().toLowerCase();
    if (protocol === 'http' || protocol === 'https') return protocol;
    throw new FrontError('BAD_REQUEST', 'X-Forwarded-Proto is neither http nor https');
  };
  const keyOf = (view: RequestView) => clientKey(view.ip ?? '', options);

  return {
    options,
    keyOf,
    hostnameOf,
    protocolOf,
    answer(view, key, avoid) {
      // Single-port mode: the answer must be the worker the primary hands this TCP peer to.
      const routingKey = source.routesByPeer ? clientKey(view.peer ?? '', options) : key;
      if (!routingKey) throw new FrontError('BAD_CLIENT_ADDRESS');
      const endpoint = endpointFor({
        key: routingKey,
        avoid: source.routesByPeer ? undefined : avoid,
        now: options.now(),
        hostname: hostnameOf(view),
        protocol: protocolOf(view),
      });
      if (!endpoint) return null;
      options.onAnswer?.(endpoint.workerId);
      return endpoint;
    },
    limit(view, key) {
      return limiter.hit(key?.id ?? view.ip ?? '', options.now());
    },
    parseAvoid(raw) {
      if (raw === undefined) return undefined;
      if (typeof raw !== 'string' || !AVOID_PATTERN.test(raw)) throw new FrontError('BAD_REQUEST', 'avoid must be up to 4 comma-separated worker ids');
      return raw.split(',');
    },
    ...(options.trustProxy ? { viewOf: forwardedView(createProxyTrust(options.trustProxy)) } : {}),
  };
}

/** X-Forwarded-For/-Host/-Proto believed only when the TCP peer is a trusted proxy. */
function forwardedView(trust: ProxyTrust): (req: IncomingMessage) => RequestView {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(',', 1)[0]?.trim();
  return (req) => {
    const peer = req.socket.remoteAddress;
    const trusted = peer !== undefined && trust(peer, 0);
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const host = (trusted ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
    return {
      ip: proxyAddr(req, trust),
      peer,
      hostname: host?.replace(/:[0-9]+$/, ''),
      protocol: (trusted ? first(req.headers['x-forwarded-proto']) : undefined) ?? (encrypted ? 'https' : 'http'),
    };
  };
}
