// An existing fastify app and an existing express app, each with its own routes and its own
// template, add routing with sioroute/fastify and sioroute/express over a static list of workers
// the application made with attachWorker; sioroute/client (in Node) connects through them.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect } from '../client/index.js';
import siorouteExpress from '../front/express.js';
import siorouteFastify from '../front/fastify-plugin.js';
import { manualMembership, staticMembership, type WsEndpoint } from '../index.js';
import { httpGet } from '../testing/clients.js';
import { SECRET, startExistingWorker, type ExistingWorker } from './existing-app.js';

/** The apps' own template: their page, with the endpoint rendered in. */
const page = (title: string, endpoint: WsEndpoint | null) =>
  `<!doctype html><title>${title}</title><script id="ws-endpoint" type="application/json">${JSON.stringify(endpoint)}</script>`;
const embedded = (html: string) => JSON.parse(/<script id="ws-endpoint" type="application\/json">(.*)<\/script>/.exec(html)![1]!) as WsEndpoint;

async function viaClient(endpointUrl: string): Promise<{ workerId: string | null; pong: unknown }> {
  const socket = connect({ endpointUrl, auth: { user: 'bo' } });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_error', (error) => reject(new Error(`${error.code}: ${error.message}`)));
    });
    return { workerId: socket.currentWorkerId, pong: await socket.emitWithAck('ping' as never) };
  } finally {
    socket.close();
  }
}

describe('existing apps add routing', () => {
  const workers: ExistingWorker[] = [];
  let fastifyApp: FastifyInstance;
  let fastifyUrl: string;
  let expressServer: import('node:http').Server;
  let expressUrl: string;
  let expressRouting: ReturnType<typeof siorouteExpress>;

  before(async () => {
    workers.push(await startExistingWorker('fw0'), await startExistingWorker('fw1'));
    const urls = workers.map((w) => w.url);

    fastifyApp = Fastify();
    fastifyApp.get('/about', async () => ({ app: 'the fastify app\'s own route' }));
    await fastifyApp.register(siorouteFastify, { membership: staticMembership({ urls, probeEveryMs: 200 }), secret: SECRET, prefix: '/rt' });
    fastifyApp.get('/', async (request, reply) => reply.type('text/html').send(page('fastify app', fastifyApp.sioroute.endpointFor(request))));
    fastifyUrl = await fastifyApp.listen({ host: '127.0.0.1', port: 0 });

    expressRouting = siorouteExpress({ membership: staticMembership({ urls, probeEveryMs: 200 }), secret: SECRET, allowedOrigins: ['https://spa.example.com'] });
    await expressRouting.ready;
    const app = express();
    app.get('/about', (_req, res) => {
      res.json({ app: 'the express app\'s own route' });
    });
    app.use(expressRouting);
    app.get('/', (req, res) => {
      res.type('html').send(page('express app', expressRouting.endpointFor(req)));
    });
    expressServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    expressUrl = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;
  });

  after(async () => {
    await fastifyApp?.close();
    expressServer?.close();
    await expressRouting?.close();
    await Promise.all(workers.map((w) => w.close()));
  });

  test('fastify: its own route, the endpoint at <prefix>/ws-endpoint and in its own template; the client reaches the app\'s handlers', async () => {
    assert.deepEqual((await httpGet(`${fastifyUrl}/about`)).json(), { app: 'the fastify app\'s own route' });
    const answer = await httpGet(`${fastifyUrl}/rt/ws-endpoint`);
    assert.equal(answer.status, 200);
    const endpoint = answer.json<WsEndpoint>();
    assert.ok(['fw0', 'fw1'].includes(endpoint.workerId));
    assert.equal(endpoint.url, workers.find((w) => w.handle.workerId === endpoint.workerId)!.url.replace('127.0.0.1', '127.0.0.1'));
    assert.equal(embedded((await httpGet(`${fastifyUrl}/`)).body).workerId, endpoint.workerId, 'the page and the route agree');
    assert.equal((await httpGet(`${fastifyUrl}/ws-endpoint`)).status, 404, 'nothing outside the prefix');
    const { workerId, pong } = await viaClient(`${fastifyUrl}/rt/ws-endpoint`);
    assert.equal(workerId, endpoint.workerId);
    assert.deepEqual(pong, { pong: endpoint.workerId, user: 'bo', query: null });
  });

  test('express: its own route, the endpoint at /ws-endpoint and in its own template; CORS for the listed origin only', async () => {
    assert.deepEqual((await httpGet(`${expressUrl}/about`)).json(), { app: 'the express app\'s own route' });
    const listed = await httpGet(`${expressUrl}/ws-endpoint`, { headers: { origin: 'https://spa.example.com' } });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers['access-control-allow-origin'], 'https://spa.example.com');
    assert.equal(listed.headers['cache-control'], 'no-store');
    const other = await httpGet(`${expressUrl}/ws-endpoint`, { headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const endpoint = listed.json<WsEndpoint>();
    assert.equal(embedded((await httpGet(`${expressUrl}/`)).body).workerId, endpoint.workerId);
    const bad = await httpGet(`${expressUrl}/ws-endpoint?avoid=no%20such`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json<{ code: string }>().code, 'BAD_REQUEST');
    const { workerId, pong } = await viaClient(`${expressUrl}/ws-endpoint`);
    assert.equal(workerId, endpoint.workerId);
    assert.deepEqual(pong, { pong: endpoint.workerId, user: 'bo', query: null });
  });

  test('both answer 503 NO_HEALTHY_WORKER with Retry-After when no worker is live', async () => {
    const empty = Fastify();
    await empty.register(siorouteFastify, { membership: manualMembership(), secret: SECRET });
    const url = await empty.listen({ host: '127.0.0.1', port: 0 });
    try {
      const answer = await httpGet(`${url}/ws-endpoint`);
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '1');
      assert.equal(answer.json<{ code: string }>().code, 'NO_HEALTHY_WORKER');
    } finally {
      await empty.close();
    }
  });
});

test('bad plug-in options are refused at registration, naming the option and the value', async () => {
  const app = Fastify();
  await assert.rejects(
    (async () => {
      await app.register(siorouteFastify, { membership: manualMembership(), secret: SECRET, prefix: 'rt/' });
    })(),
    /sioroute\/fastify: invalid option prefix="rt\/": expected '' or a path/,
  );
  await app.close();
  assert.throws(() => siorouteExpress({ membership: manualMembership(), secret: 'x'.repeat(8) }), /sioroute\/express: invalid option secret=\(a string of 8 bytes\): expected at least 32 bytes/);
  assert.throws(() => siorouteExpress({ membership: ['http://127.0.0.1:1'] as never, secret: SECRET }), /invalid option membership=\["http:\/\/127.0.0.1:1"\]: expected a membership source/);
  assert.throws(() => siorouteExpress({ membership: manualMembership(), secret: SECRET, trustProxy: ['10.0.0.0/99'] }), /invalid option trustProxy=\["10.0.0.0\/99"\]/);
  assert.throws(() => staticMembership({ urls: [] }), /staticMembership: invalid option urls=\[\]/);
});
