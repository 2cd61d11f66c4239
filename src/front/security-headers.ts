// Security headers of the front's own pages: helmet, built once (@fastify/helmet builds the whole
// helmet middleware again for every request, about 9% of a request's CPU in
// bench/front-throughput.ts), with a CSP whose connect-src names the worker addresses the page
// may be sent to, for the host and scheme the browser used.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage } from 'node:http';
import type { MembershipSource } from '../registry/membership-source.js';
import { workerSource } from '../routing/worker-address.js';
import type { RoutingCore } from './routing-core.js';

const SOURCES_CACHE_MAX = 64;

/** `routing` is read at request time: the sioroute plug-in registers after these hooks, so they cover its route too. */
export function registerSecurityHeaders(app: FastifyInstance, source: MembershipSource, routing: () => RoutingCore): void {
  // helmet computes the CSP from the raw request; the worker addresses come from the fastify
  // request (X-Forwarded-Host/-Proto from TRUST_PROXY), and the CSP must name the same hosts.
  const fastifyRequests = new WeakMap<IncomingMessage, FastifyRequest>();
  app.addHook('onRequest', (request, _reply, done) => {
    fastifyRequests.set(request.raw, request);
    done();
  });

  // Computed per (protocol, host) and membership, not per request: every response carries the CSP.
  const sourcesCache = new Map<string, string>();
  source.membership.onChange(() => sourcesCache.clear());
  const workerSources = (req: IncomingMessage): string => {
    const request = fastifyRequests.get(req);
    let hostname: string;
    let protocol: string;
    try {
      const view = { ip: undefined, peer: undefined, hostname: request?.hostname ?? req.headers.host?.replace(/:[0-9]+$/, ''), protocol: request?.protocol ?? 'http' };
      hostname = routing().hostnameOf(view);
      protocol = routing().protocolOf(view);
    } catch {
      return '';
    }
    const cacheKey = `${protocol}://${hostname}`;
    let sources = sourcesCache.get(cacheKey);
    if (sources === undefined) {
      const template = routing().options.workerPublicUrl;
      // Expected slots (the embedded supervisor's) fill the front's template before they join.
      const slots = new Map<string, { id: string; index: number; template: string }>();
      for (const { id, index } of source.expectedSlots ?? []) slots.set(id, { id, index, template });
      for (const w of source.membership.list()) slots.set(w.id, { id: w.id, index: w.index, template: w.publicUrl ?? template });
      const set = new Set<string>();
      for (const slot of slots.values()) {
        const origin = workerSource(slot.template, { id: slot.id, index: slot.index, hostname, protocol });
        set.add(origin);
        set.add(origin.replace(/^http/, 'ws'));
      }
      sources = [...set].join(' ');
      // Bounded: Host headers are chosen by clients.
      if (sourcesCache.size >= SOURCES_CACHE_MAX) sourcesCache.clear();
      sourcesCache.set(cacheKey, sources);
    }
    return sources;
  };

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
}
