// The demo page and its assets: GET / renders the endpoint into the page (`@fastify/view` + eta),
// /client/*.js are the page scripts bundled from sioroute/client at build time.
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import { BUNDLE_DIR, PUBLIC_DIR, VIEWS_DIR } from '../paths.js';
import { jsonForScript } from './json-in-script.js';

export async function registerDemoPage(app: FastifyInstance): Promise<void> {
  await app.register(view, { engine: { eta: new Eta() }, templates: VIEWS_DIR });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: false, wildcard: false });
  await app.register(fastifyStatic, { root: BUNDLE_DIR, prefix: '/client/', decorateReply: false, wildcard: false });

  app.get('/', async (request, reply) => {
    app.sioroute.limit(request, reply);
    const endpoint = app.sioroute.endpointFor(request);
    reply.header('cache-control', 'no-store');
    return reply.viewAsync('index.eta', { title: 'sioroute demo', endpointJson: jsonForScript(endpoint) });
  });
}
